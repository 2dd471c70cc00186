/**
 * The outreach state machine: where a CSM stands with one affected customer during an incident.
 *
 *   pending → drafted → sent → responded → followed_up
 *   pending → sent                       (the CSM wrote the email by hand)
 *   drafted | sent | responded → resolution_sent → responded | followed_up
 *   sent → followed_up                   (a call instead of an answer)
 *
 * Outreach only moves forward: a message that went out cannot be un-sent, so nothing leads back
 * to pending or drafted, and a customer cannot have responded to an email nobody sent.
 * followed_up closes the loop and is final. Setting the status a customer already has is accepted
 * as a no-op (a double-clicked button must not show an error).
 */
import type { OutreachStatus } from './types';

export const OUTREACH_LABELS: Record<OutreachStatus, string> = {
  pending: 'pending',
  drafted: 'drafted',
  sent: 'sent',
  responded: 'responded',
  resolution_sent: 'resolution sent',
  followed_up: 'followed up',
};

export const OUTREACH_TRANSITIONS: Readonly<Record<OutreachStatus, readonly OutreachStatus[]>> = {
  pending: ['drafted', 'sent'],
  // A drafted customer counts as contacted: the resolution notice may complete that thread.
  drafted: ['sent', 'resolution_sent'],
  sent: ['responded', 'resolution_sent', 'followed_up'],
  responded: ['resolution_sent', 'followed_up'],
  resolution_sent: ['responded', 'followed_up'],
  followed_up: [],
};

export type TransitionCheck =
  | { ok: true; noop: boolean }
  | { ok: false; reason: string };

function list(statuses: readonly OutreachStatus[]): string {
  const labels = statuses.map((s) => `"${OUTREACH_LABELS[s]}"`);
  if (labels.length <= 1) return labels.join('');
  return `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}`;
}

/**
 * Whether outreach for `customerName` may move from `from` to `to`; a refusal says why and what
 * is possible instead, in words a CSM can act on.
 */
export function checkOutreachTransition(from: OutreachStatus, to: OutreachStatus, customerName = 'this customer'): TransitionCheck {
  if (!(to in OUTREACH_TRANSITIONS)) {
    return { ok: false, reason: `"${String(to)}" is not an outreach status; use one of ${list(Object.keys(OUTREACH_TRANSITIONS) as OutreachStatus[])}.` };
  }
  if (from === to) return { ok: true, noop: true };
  const allowed = OUTREACH_TRANSITIONS[from];
  if (allowed.includes(to)) return { ok: true, noop: false };
  const head = `Outreach to ${customerName} is "${OUTREACH_LABELS[from]}" and cannot become "${OUTREACH_LABELS[to]}"`;
  if (allowed.length === 0) {
    return { ok: false, reason: `${head}: the follow-up is done and outreach is closed.` };
  }
  const backwards = outreachRank(to) < outreachRank(from);
  const why = backwards ? 'outreach never moves backwards'
    : to === 'responded' ? 'a customer can only respond once an email was sent' : 'that would skip a step';
  return { ok: false, reason: `${head}: ${why}. From "${OUTREACH_LABELS[from]}" it can become ${list(allowed)}.` };
}

export function canTransition(from: OutreachStatus, to: OutreachStatus): boolean {
  return checkOutreachTransition(from, to).ok;
}

const RANK: Record<OutreachStatus, number> = {
  pending: 0, drafted: 1, sent: 2, responded: 3, resolution_sent: 3, followed_up: 4,
};

/** How far outreach has come (responded and resolution_sent are the same distance). */
export function outreachRank(status: OutreachStatus): number {
  return RANK[status];
}

/**
 * Contacted customers get the resolution notice: those whose CSM prepared or sent an outreach
 * email, or who already answered. A pending customer never heard about the incident from us, and
 * customers already sent the resolution (or followed up) need no second one.
 */
export function isContacted(status: OutreachStatus): boolean {
  return status === 'drafted' || status === 'sent' || status === 'responded';
}

/** Still owed a follow-up call a day after resolution: no answer and no follow-up yet. */
export function needsFollowUp(status: OutreachStatus): boolean {
  return status !== 'responded' && status !== 'followed_up';
}
