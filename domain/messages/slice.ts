/**
 * Which of a CSM's customers each kind of message is about, and the totals it shows. A message
 * lists only the first `customerLimit` customers and counts the rest, so callers pass a slice
 * (the first customers, in order) plus the totals of the whole list. activities/slack-csm-messages.ts reads
 * the slice from Postgres (db/csm-slices.ts, the same rules in SQL); `sliceFor` cuts it from a
 * list held in memory (incidents on the old workflow type, tests).
 */
import type { CsmMessageKind } from '../incident/model';
import { needsFollowUp, OUTREACH_LABELS } from '../outreach';
import type { OutreachStatus } from '../types';
import type { MessageCustomer } from './customer-list';

/**
 * - affected: the CSM's customers affected now;
 * - all: every customer of the CSM in the incident, affected now or earlier;
 * - follow_up: high-impact customers affected now whose outreach still needs a follow-up call.
 */
export type ListScope = 'affected' | 'all' | 'follow_up';

export const LIST_SCOPE: Readonly<Record<CsmMessageKind, ListScope>> = {
  alert: 'affected',
  update: 'affected',
  update_reminder: 'affected',
  resolution: 'affected',
  escalation: 'affected',
  post_mortem: 'all',
  follow_up: 'follow_up',
};

/** The escalation names the silent CSM's high-impact accounts first. */
export function highImpactFirst(kind: CsmMessageKind): boolean {
  return kind === 'escalation';
}

/** Totals of the whole list a message is about (not only the customers it shows). */
export interface ListTotals {
  customers: number;
  arr: number;
  highImpact: number;
  highArr: number;
}

export interface CustomerSlice {
  /** The first customers of the list, in the order the message shows them. */
  customers: MessageCustomer[];
  totals: ListTotals;
}

function arrOf(c: MessageCustomer): number {
  return Number.isFinite(c.arr) ? c.arr : 0;
}

export function listTotals(customers: MessageCustomer[]): ListTotals {
  const high = customers.filter((c) => c.impactLevel === 'high');
  return {
    customers: customers.length,
    arr: customers.reduce((s, c) => s + arrOf(c), 0),
    highImpact: high.length,
    highArr: high.reduce((s, c) => s + arrOf(c), 0),
  };
}

export function inScope(scope: ListScope, c: MessageCustomer): boolean {
  const affectedNow = c.impactLevel !== 'none' && c.stillAffected !== false;
  if (scope === 'affected') return affectedNow;
  if (scope === 'all') return c.impactLevel !== 'none' || c.stillAffected === false;
  return affectedNow && c.impactLevel === 'high' && (!c.outreachStatus || needsFollowUp(c.outreachStatus));
}

/** Outreach statuses that still need a follow-up call (the SQL slice reads this list). */
export const FOLLOW_UP_STATUSES: readonly OutreachStatus[] = (Object.keys(OUTREACH_LABELS) as OutreachStatus[]).filter(needsFollowUp);

/** Priority order (ties by id, as the SQL orders them); the escalation puts high-impact customers first. */
export function byPriority(kind: CsmMessageKind): (a: MessageCustomer, b: MessageCustomer) => number {
  const high = highImpactFirst(kind);
  return (a, b) => (high ? Number(b.impactLevel === 'high') - Number(a.impactLevel === 'high') : 0)
    || a.priorityRank - b.priorityRank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The slice a `kind` message shows of `customers` (any order, any status), at most `limit` listed. */
export function sliceFor(kind: CsmMessageKind, customers: MessageCustomer[], limit: number): CustomerSlice {
  const list = customers.filter((c) => inScope(LIST_SCOPE[kind], c)).sort(byPriority(kind));
  return { customers: list.slice(0, Math.max(0, limit)), totals: listTotals(list) };
}
