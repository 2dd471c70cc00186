/**
 * Everything driven by time or by the end of the incident: escalations, the P1 update cadence,
 * resolution, follow-ups, the post-mortem reminder and a reopen. Deadlines live in the state (ISO
 * strings), so a continued-as-new run re-arms exactly the same timers.
 */
import { isCancellation, log } from '@temporalio/workflow';
import { needsEscalation } from '../domain/incident-state';
import type { CsmSummary, IncidentState } from '../domain/incident/model';
import { formatDuration } from '../domain/messages/format';
import { slack, store } from './incident-activities';
import { dueKey, onceKey, revisionKey, timelineKey } from './incident-keys';
import { delivered, errorMessage, type IncidentRun } from './incident-run';
import { autoCloseDue, dismiss } from './incident-suspected';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function ms(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}

function alerted(s: IncidentState): CsmSummary[] {
  return s.csms.filter((c) => c.alertedAt);
}

/** The earliest moment something is due, or undefined when only an event or a handler can move the incident on. */
export function nextDeadline(s: IncidentState): number | undefined {
  const due: (number | undefined)[] = [];
  if (s.phase === 'active') {
    for (const c of s.csms) if (!c.escalatedAt) due.push(ms(c.escalationDueAt));
    due.push(ms(s.nextUpdateReminderAt));
    if (s.suspected) due.push(ms(s.autoCloseAt));
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
  const quiet = autoCloseDue(run, now);
  if (quiet) {
    await dismiss(run, quiet);
    return;
  }
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
 * The message is about the silent CSM (their customers, their name); the Slack activity addresses
 * it to their manager, and answers 'failed' when none is on record.
 */
async function escalate(run: IncidentRun, emails: string[]): Promise<void> {
  const s = run.s;
  const now = run.now();
  const silent = emails.map((e) => run.csm(e)!).filter((c) => needsEscalation(c, s.incident.severity) && c.customers > 0);
  for (const e of emails) {
    const c = run.csm(e)!;
    if (!silent.includes(c)) c.escalationDueAt = undefined;
  }
  if (silent.length === 0) return;
  for (const c of silent) c.escalatedAt = now;
  const results = await run.notify('escalation', silent.map((c) => ({ csm: c, key: onceKey(s, 'escalation', c.email) })));
  // One follow-up row per escalated CSM, grouped by due time (CSMs alerted together share it).
  const byDue = new Map<string, string[]>();
  for (const c of silent) byDue.set(c.escalationDueAt ?? now, [...(byDue.get(c.escalationDueAt ?? now) ?? []), c.email]);
  await Promise.all([...byDue].map(([dueAt, csmEmails]) => store.recordFollowUps({
    incidentId: s.incident.id, kind: 'escalation', csmEmails, dueAt, status: 'done',
  })));
  const undelivered = silent.filter((_, i) => !delivered(results[i]!));
  await run.timeline([{
    kind: 'escalation',
    summary: `${silent.length - undelivered.length} CSM${silent.length - undelivered.length === 1 ? '' : 's'} neither acknowledged nor contacted a high-impact customer `
      + `within ${run.settings.escalationMinutes} minutes: escalated to their manager`
      + (undelivered.length ? `; not delivered for ${undelivered.slice(0, 20).map((c) => c.email).join(', ')}${undelivered.length > 20 ? ` and ${undelivered.length - 20} more` : ''}` : ''),
    details: {
      csms: silent.slice(0, 100).map((c, i) => ({ csm: c.email, status: results[i]!.status, error: results[i]!.error ?? null })),
      escalated: silent.length, undelivered: undelivered.length,
    },
    occurredAt: now, dedupeKey: timelineKey(s, 'escalation', now),
  }]);
}

/** P1 without a public update within the cadence: every alerted CSM is reminded, in the alert's thread. */
async function remindToUpdate(run: IncidentRun): Promise<void> {
  const s = run.s;
  const dueAt = s.nextUpdateReminderAt!;
  const since = s.lastPublicUpdateAt ?? s.detectedAt;
  const targets = alerted(s).filter((c) => c.customers > 0);
  await run.notify('update_reminder', targets.map((c) => ({ csm: c, key: dueKey(s, 'update_reminder', c.email, dueAt), thread: c.thread })), {
    changes: [`No public update for ${formatDuration(since, run.now())} (promised every ${run.settings.updateCadenceMinutes} minutes)`],
  });
  s.nextUpdateReminderAt = iso(Date.now() + run.settings.updateCadenceMinutes * MINUTE);
  await store.recordFollowUps({ incidentId: s.incident.id, kind: 'update_reminder', csmEmails: [null], dueAt, status: 'done' });
  await run.timeline([{
    kind: 'update_reminder', summary: `No public update within ${run.settings.updateCadenceMinutes} minutes: ${targets.length} CSM${targets.length === 1 ? '' : 's'} reminded`,
    details: { dueAt, lastPublicUpdateAt: since }, occurredAt: run.now(), dedupeKey: timelineKey(s, 'update_reminder', dueAt),
  }]);
}

/**
 * Resolved: the business-impact estimate recomputed for the real duration, a resolution DM to
 * every alerted CSM, resolution emails for the customers contacted so far (sent or drafted, per
 * settings), a note in the war room, then the follow-up timers.
 */
export async function resolve(run: IncidentRun, lines: string[]): Promise<void> {
  const s = run.s;
  s.phase = 'resolved';
  s.nextUpdateReminderAt = undefined;
  for (const c of s.csms) if (!c.escalatedAt) c.escalationDueAt = undefined;
  s.totals = await store.refreshBusinessImpact({ incident: s.incident, now: run.now() });
  run.upsertSearch();
  const targets = alerted(s);
  const results = await run.notify('resolution', targets.map((c) => ({ csm: c, key: revisionKey(s, 'resolution', c.email) })), { changes: lines });
  targets.forEach((t, i) => {
    const c = run.csm(t.email);
    if (c && delivered(results[i]!)) c.resolutionNotifiedAt = results[i]!.sentAt ?? run.now();
  });

  const send = run.settings.sendResolutionEmails;
  const emailed = await run.outreachLock.run(async () => {
    // Every CSM the incident touched: the activity finds their contacted customers (none: nothing to do).
    const result = await run.emails('resolution', send, 'contacted', 'forewarn', s.csms.map((c) => ({ email: c.email, prefix: revisionKey(s, 'resolution_email', c.email) })));
    for (const e of result.errors.slice(0, 20)) log.warn('resolution emails failed', { error: e });
    return result.done;
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
    kind: 'resolution', summary,
    details: { csmsNotified: notified, emails: emailed, sent: send, followUpDueAt: s.followUpDueAt, postMortemDueAt: s.postMortemDueAt, businessImpact: s.totals.businessImpact },
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
  if (targets.length === 0) return;
  const csmEmails = targets.map((c) => c.email);
  await Promise.all([
    store.recordFollowUps({ incidentId: s.incident.id, kind: 'customer_follow_up', csmEmails, dueAt: followUpAt, status: 'scheduled' }),
    store.recordFollowUps({ incidentId: s.incident.id, kind: 'post_mortem', csmEmails, dueAt: s.postMortemDueAt, status: 'scheduled' }),
  ]);
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
    await store.recordFollowUps({ incidentId: s.incident.id, kind: 'customer_follow_up', csmEmails: [c.email], dueAt: old, status: 'cancelled' });
  }
  await store.recordFollowUps({ incidentId: s.incident.id, kind: 'customer_follow_up', csmEmails: [c.email], dueAt, status: 'scheduled' });
}

/** A day after resolution: each CSM's high-impact customers not yet responded or followed up (none: no message). */
async function followUp(run: IncidentRun, emails: string[]): Promise<void> {
  const s = run.s;
  const now = run.now();
  const work = emails.map((e) => {
    const c = run.csm(e)!;
    const dueAt = c.followUpDueAt!;
    c.followUpDoneAt = now;
    return { c, dueAt };
  });
  const results = await run.notify('follow_up', work.map(({ c, dueAt }) => ({ csm: c, key: dueKey(s, 'follow_up', c.email, dueAt) })));
  const byDue = new Map<string, string[]>();
  for (const { c, dueAt } of work) byDue.set(dueAt, [...(byDue.get(dueAt) ?? []), c.email]);
  await Promise.all([...byDue].map(([dueAt, csmEmails]) => store.recordFollowUps({
    incidentId: s.incident.id, kind: 'customer_follow_up', csmEmails, dueAt, status: 'done',
  })));
  const reminded = work.filter((_, i) => delivered(results[i]!));
  await run.timeline([{
    kind: 'follow_up',
    summary: `Follow-up reminder: ${reminded.length} CSM${reminded.length === 1 ? '' : 's'} with high-impact customers to call`,
    details: { csms: reminded.slice(0, 100).map((w) => w.c.email), reminded: reminded.length },
    occurredAt: now, dedupeKey: timelineKey(s, 'follow_up', now),
  }]);
}

async function remindPostMortem(run: IncidentRun): Promise<void> {
  const s = run.s;
  const now = run.now();
  const dueAt = s.postMortemDueAt!;
  s.postMortemRemindedAt = now;
  const targets = alerted(s);
  const results = await run.notify('post_mortem', targets.map((c) => ({ csm: c, key: revisionKey(s, 'post_mortem', c.email) })));
  targets.forEach((t, i) => {
    const cur = run.csm(t.email);
    if (cur && delivered(results[i]!)) cur.postMortemRemindedAt = results[i]!.sentAt ?? now;
  });
  if (targets.length) {
    await store.recordFollowUps({ incidentId: s.incident.id, kind: 'post_mortem', csmEmails: targets.map((c) => c.email), dueAt, status: 'done' });
  }
  await run.recordIncident();
  await run.timeline([{
    kind: 'post_mortem', summary: `Post-mortem reminder sent to ${targets.length} CSM${targets.length === 1 ? '' : 's'}`,
    occurredAt: now, dedupeKey: timelineKey(s, 'post_mortem', s.revision),
  }]);
}

/** A non-resolved status after resolution: pending follow-ups are cancelled, the incident is followed again. */
export async function reopen(run: IncidentRun): Promise<void> {
  run.s.phase = 'active';
  await cancelFollowUps(run);
  await run.recordIncident();
}

/** Scheduled follow-ups and the post-mortem reminder are cancelled (a reopen, or the incident merged into another). */
export async function cancelFollowUps(run: IncidentRun): Promise<void> {
  const s = run.s;
  const followUps = new Map<string, string[]>();
  const postMortems: string[] = [];
  for (const c of s.csms) {
    if (c.followUpDueAt && !c.followUpDoneAt) followUps.set(c.followUpDueAt, [...(followUps.get(c.followUpDueAt) ?? []), c.email]);
    if (s.postMortemDueAt && !s.postMortemRemindedAt && c.followUpDueAt) postMortems.push(c.email);
    c.followUpDueAt = undefined;
    c.followUpDoneAt = undefined;
  }
  const cancels = [...followUps].map(([dueAt, csmEmails]) => store.recordFollowUps({
    incidentId: s.incident.id, kind: 'customer_follow_up', csmEmails, dueAt, status: 'cancelled',
  }));
  if (postMortems.length) {
    cancels.push(store.recordFollowUps({ incidentId: s.incident.id, kind: 'post_mortem', csmEmails: postMortems, dueAt: s.postMortemDueAt!, status: 'cancelled' }));
  }
  s.followUpDueAt = undefined;
  s.postMortemDueAt = undefined;
  s.postMortemRemindedAt = undefined;
  await Promise.all(cancels);
}
