/**
 * Everything driven by time or by the end of the incident: escalations, the P1 update cadence,
 * resolution, follow-ups, the post-mortem reminder and a reopen. Deadlines live in the state (ISO
 * strings), so a continued-as-new run re-arms exactly the same timers.
 */
import { isCancellation, log } from '@temporalio/workflow';
import { isContacted, needsFollowUp } from '../../domain/outreach';
import { customersOf, needsEscalation, sameEmail } from '../../domain/incident-state';
import { formatDuration } from '../../domain/messages/format';
import type { CsmState, CustomerState, IncidentState } from './contract';
import { gmail, slack, store } from './incident-activities';
import { dueKey, onceKey, revisionKey, timelineKey } from '../incident-keys';
import { delivered, errorMessage, type IncidentRun } from './incident-run';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function ms(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}

/** Every customer a CSM looks after in this incident, affected now or earlier. */
function allCustomersOf(s: IncidentState, csmEmail: string): CustomerState[] {
  return s.customers.filter((c) => sameEmail(c.csmEmail, csmEmail));
}

function alerted(s: IncidentState): CsmState[] {
  return s.csms.filter((c) => c.alertedAt);
}

/** The earliest moment something is due, or undefined when only an event or a handler can move the incident on. */
export function nextDeadline(s: IncidentState): number | undefined {
  const due: (number | undefined)[] = [];
  if (s.phase === 'active') {
    for (const c of s.csms) if (!c.escalatedAt) due.push(ms(c.escalationDueAt));
    due.push(ms(s.nextUpdateReminderAt));
  } else if (s.phase === 'resolved') {
    for (const c of s.csms) if (!c.followUpDoneAt) due.push(ms(c.followUpDueAt));
    if (!s.postMortemRemindedAt) due.push(ms(s.postMortemDueAt));
  }
  const times = due.filter((t): t is number => t !== undefined && !Number.isNaN(t));
  return times.length ? Math.min(...times) : undefined;
}

/** Does whatever is due now; marks the incident completed once every follow-up is done. */
export async function runDueWork(run: IncidentRun): Promise<void> {
  const s = run.s;
  const now = Date.now();
  const isDue = (value: string | undefined) => value !== undefined && Date.parse(value) <= now;
  if (s.phase === 'active') {
    const escalations = s.csms.filter((c) => !c.escalatedAt && isDue(c.escalationDueAt));
    if (escalations.length) await escalate(run, escalations.map((c) => c.email));
    if (isDue(s.nextUpdateReminderAt)) await remindToUpdate(run);
  }
  if (s.phase === 'resolved') {
    const followUps = s.csms.filter((c) => !c.followUpDoneAt && isDue(c.followUpDueAt));
    if (followUps.length) await followUp(run, followUps.map((c) => c.email));
    if (!s.postMortemRemindedAt && isDue(s.postMortemDueAt)) await remindPostMortem(run);
    const open = s.csms.some((c) => c.followUpDueAt && !c.followUpDoneAt);
    if (s.postMortemRemindedAt && !open) {
      s.phase = 'completed';
      await run.timeline([{
        kind: 'follow_up', summary: 'All follow-ups done: Forewarn stops following this incident',
        occurredAt: run.now(), dedupeKey: timelineKey(s, 'completed', s.revision),
      }]);
    }
  }
}

/**
 * A silent CSM's manager gets a DM, once; a CSM who reacted in time just loses the deadline.
 * notifyCsm gets the silent CSM as `csm` (their customers, their name in the message); the Slack
 * activity addresses the DM to their manager, and answers 'failed' when none is on record.
 */
async function escalate(run: IncidentRun, emails: string[]): Promise<void> {
  const s = run.s;
  const now = run.now();
  const silent = emails.map((e) => run.csm(e)!).filter((c) => needsEscalation(c, s.incident.severity) && customersOf(s.customers, c.email).length > 0);
  for (const e of emails) {
    const c = run.csm(e)!;
    if (!silent.includes(c)) c.escalationDueAt = undefined;
  }
  if (silent.length === 0) return;
  for (const c of silent) c.escalatedAt = now;
  const results = await Promise.all(silent.map((c) => run.notify('escalation', c, {
    key: onceKey(s, 'escalation', c.email), customers: customersOf(s.customers, c.email),
  })));
  await Promise.all(silent.map((c) => store.recordFollowUp({
    incidentId: s.incident.id, kind: 'escalation', csmEmail: c.email, dueAt: c.escalationDueAt ?? now, status: 'done',
  })));
  await run.timeline(silent.map((c, i) => ({
    kind: 'escalation' as const,
    summary: delivered(results[i]!)
      ? `${c.name} neither acknowledged nor contacted a high-impact customer within ${run.settings.escalationMinutes} minutes: escalated to ${c.managerEmail ?? 'their manager'}`
      : `${c.name} did not react within ${run.settings.escalationMinutes} minutes; the escalation could not be delivered (${results[i]!.error ?? 'unknown error'})`,
    details: { csm: c.email, manager: c.managerEmail ?? null, status: results[i]!.status },
    occurredAt: now, dedupeKey: timelineKey(s, 'escalation', c.email),
  })));
}

/** P1 without a public update within the cadence: every alerted CSM is reminded, in the alert's thread. */
async function remindToUpdate(run: IncidentRun): Promise<void> {
  const s = run.s;
  const dueAt = s.nextUpdateReminderAt!;
  const since = s.lastPublicUpdateAt ?? s.detectedAt;
  const targets = alerted(s).filter((c) => customersOf(s.customers, c.email).length > 0);
  await Promise.all(targets.map((c) => run.notify('update_reminder', c, {
    key: dueKey(s, 'update_reminder', c.email, dueAt), customers: customersOf(s.customers, c.email), thread: c.thread,
    changes: [`No public update for ${formatDuration(since, run.now())} (promised every ${run.settings.updateCadenceMinutes} minutes)`],
  })));
  s.nextUpdateReminderAt = iso(Date.now() + run.settings.updateCadenceMinutes * MINUTE);
  await store.recordFollowUp({ incidentId: s.incident.id, kind: 'update_reminder', dueAt, status: 'done' });
  await run.timeline([{
    kind: 'update_reminder', summary: `No public update within ${run.settings.updateCadenceMinutes} minutes: ${targets.length} CSM${targets.length === 1 ? '' : 's'} reminded`,
    details: { dueAt, lastPublicUpdateAt: since }, occurredAt: run.now(), dedupeKey: timelineKey(s, 'update_reminder', dueAt),
  }]);
}

/**
 * Resolved: a resolution DM to every alerted CSM, resolution emails for the customers contacted
 * so far (sent or drafted, per settings), a note in the war room, then the follow-up timers.
 */
export async function resolve(run: IncidentRun, lines: string[]): Promise<void> {
  const s = run.s;
  s.phase = 'resolved';
  s.nextUpdateReminderAt = undefined;
  for (const c of s.csms) if (!c.escalatedAt) c.escalationDueAt = undefined;
  const targets = alerted(s);
  const results = await Promise.all(targets.map((c) => run.notify('resolution', c, {
    key: revisionKey(s, 'resolution', c.email), customers: customersOf(s.customers, c.email), changes: lines,
  })));
  targets.forEach((t, i) => {
    const c = run.csm(t.email);
    if (c && delivered(results[i]!)) c.resolutionNotifiedAt = results[i]!.sentAt ?? run.now();
  });

  const send = run.settings.sendResolutionEmails;
  const emailed = await run.outreachLock.run(async () => {
    const byCsm = s.csms
      .map((csm) => ({ csm, customers: allCustomersOf(s, csm.email).filter((c) => isContacted(c.outreachStatus)) }))
      .filter((x) => x.customers.length > 0);
    const done = await Promise.all(byCsm.map(async ({ csm, customers }) => {
      try {
        const r = await gmail.draftCustomerEmails({
          idempotencyPrefix: revisionKey(s, 'resolution_email', csm.email), kind: 'resolution', send, incident: s.incident, csm, customers,
        });
        return run.applyEmailResults('resolution', send, r, 'forewarn');
      } catch (err) {
        if (isCancellation(err)) throw err;
        log.warn('resolution emails failed', { csm: csm.email, error: errorMessage(err) });
        return [];
      }
    }));
    return done.flat().length;
  });

  const duration = formatDuration(s.incident.startedAt, s.incident.resolvedAt ?? run.now());
  const notified = results.filter(delivered).length;
  const summary = `Resolved after ${duration}: ${notified} CSM${notified === 1 ? '' : 's'} notified, `
    + `${emailed} resolution email${emailed === 1 ? '' : 's'} ${send ? 'sent' : 'drafted'}`;
  if (s.warRoom) {
    try {
      await slack.postToWarRoom({ idempotencyKey: revisionKey(s, 'war_room_post', 'channel'), channelId: s.warRoom.channelId, incident: s.incident, text: [summary, ...lines].join('\n') });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('war room post failed', { error: errorMessage(err) });
    }
  }
  await scheduleFollowUps(run);
  await run.recordIncident();
  await run.timeline([{
    kind: 'resolution', summary, details: { csmsNotified: notified, emails: emailed, sent: send, followUpDueAt: s.followUpDueAt, postMortemDueAt: s.postMortemDueAt },
    occurredAt: run.now(), dedupeKey: timelineKey(s, 'resolution', s.revision),
  }]);
}

/** Durable timers from now: each alerted CSM's follow-up, then the post-mortem reminder. */
async function scheduleFollowUps(run: IncidentRun): Promise<void> {
  const s = run.s;
  const followUpAt = iso(Date.now() + run.settings.followUpHours * HOUR);
  s.followUpDueAt = followUpAt;
  s.postMortemDueAt = iso(Date.parse(followUpAt) + run.settings.postMortemHours * HOUR);
  s.postMortemRemindedAt = undefined;
  const targets = alerted(s);
  for (const c of targets) {
    c.followUpDueAt = followUpAt;
    c.followUpDoneAt = undefined;
    c.postMortemRemindedAt = undefined;
  }
  await Promise.all(targets.flatMap((c) => [
    store.recordFollowUp({ incidentId: s.incident.id, kind: 'customer_follow_up', csmEmail: c.email, dueAt: followUpAt, status: 'scheduled' }),
    store.recordFollowUp({ incidentId: s.incident.id, kind: 'post_mortem', csmEmail: c.email, dueAt: s.postMortemDueAt!, status: 'scheduled' }),
  ]));
}

/** "Schedule Follow-ups": moves one CSM's follow-up reminder (the old one is cancelled). */
export async function rescheduleFollowUp(run: IncidentRun, email: string, dueAt: string): Promise<void> {
  const s = run.s;
  const c = run.csm(email)!;
  const old = c.followUpDueAt && !c.followUpDoneAt ? c.followUpDueAt : undefined;
  c.followUpDueAt = dueAt;
  c.followUpDoneAt = undefined;
  run.wake = true;
  if (old && old !== dueAt) {
    await store.recordFollowUp({ incidentId: s.incident.id, kind: 'customer_follow_up', csmEmail: c.email, dueAt: old, status: 'cancelled' });
  }
  await store.recordFollowUp({ incidentId: s.incident.id, kind: 'customer_follow_up', csmEmail: c.email, dueAt, status: 'scheduled' });
}

/** A day after resolution: each CSM's high-impact customers not yet responded or followed up. */
async function followUp(run: IncidentRun, emails: string[]): Promise<void> {
  const s = run.s;
  const now = run.now();
  const work = emails.map((e) => {
    const c = run.csm(e)!;
    const dueAt = c.followUpDueAt!;
    c.followUpDoneAt = now;
    const customers = customersOf(s.customers, c.email).filter((x) => x.impactLevel === 'high' && needsFollowUp(x.outreachStatus));
    return { c, dueAt, customers };
  });
  await Promise.all(work.map(async ({ c, dueAt, customers }) => {
    if (customers.length) await run.notify('follow_up', c, { key: dueKey(s, 'follow_up', c.email, dueAt), customers });
    await store.recordFollowUp({ incidentId: s.incident.id, kind: 'customer_follow_up', csmEmail: c.email, dueAt, status: 'done' });
  }));
  const reminded = work.filter((w) => w.customers.length > 0);
  await run.timeline([{
    kind: 'follow_up',
    summary: `Follow-up reminder: ${reminded.length} CSM${reminded.length === 1 ? '' : 's'} with ${reminded.reduce((n, w) => n + w.customers.length, 0)} high-impact customers to call`,
    details: { csms: reminded.map((w) => ({ csm: w.c.email, customers: w.customers.map((x) => x.id) })) },
    occurredAt: now, dedupeKey: timelineKey(s, 'follow_up', now),
  }]);
}

async function remindPostMortem(run: IncidentRun): Promise<void> {
  const s = run.s;
  const now = run.now();
  const dueAt = s.postMortemDueAt!;
  s.postMortemRemindedAt = now;
  const targets = alerted(s);
  await Promise.all(targets.map(async (c) => {
    const r = await run.notify('post_mortem', c, { key: revisionKey(s, 'post_mortem', c.email), customers: allCustomersOf(s, c.email) });
    const cur = run.csm(c.email);
    if (cur && delivered(r)) cur.postMortemRemindedAt = r.sentAt ?? now;
    await store.recordFollowUp({ incidentId: s.incident.id, kind: 'post_mortem', csmEmail: c.email, dueAt, status: 'done' });
  }));
  await run.recordIncident();
  await run.timeline([{
    kind: 'post_mortem', summary: `Post-mortem reminder sent to ${targets.length} CSM${targets.length === 1 ? '' : 's'}`,
    occurredAt: now, dedupeKey: timelineKey(s, 'post_mortem', s.revision),
  }]);
}

/** A non-resolved status after resolution: pending follow-ups are cancelled, the incident is followed again. */
export async function reopen(run: IncidentRun): Promise<void> {
  const s = run.s;
  s.phase = 'active';
  const cancels: Promise<void>[] = [];
  for (const c of s.csms) {
    if (c.followUpDueAt && !c.followUpDoneAt) {
      cancels.push(store.recordFollowUp({ incidentId: s.incident.id, kind: 'customer_follow_up', csmEmail: c.email, dueAt: c.followUpDueAt, status: 'cancelled' }));
    }
    if (s.postMortemDueAt && !s.postMortemRemindedAt && c.followUpDueAt) {
      cancels.push(store.recordFollowUp({ incidentId: s.incident.id, kind: 'post_mortem', csmEmail: c.email, dueAt: s.postMortemDueAt, status: 'cancelled' }));
    }
    c.followUpDueAt = undefined;
    c.followUpDoneAt = undefined;
  }
  s.followUpDueAt = undefined;
  s.postMortemDueAt = undefined;
  s.postMortemRemindedAt = undefined;
  await Promise.all(cancels);
  await run.recordIncident();
}
