/**
 * While the incident is open: apply each event, (re-)analyze impact, alert the CSMs, open and
 * feed the war room, draft outreach. Each step reads the current state after its awaits (handlers
 * may have changed it meanwhile) and looks CSMs up again by email before writing. Customers are
 * never loaded here: the analysis and the messages work on Postgres.
 */
import { isCancellation, log, patched, workflowInfo } from '@temporalio/workflow';
import type { TimelineEntry, TimelineKind } from '../activities/types';
import {
  applyEvent, describeChanges, diffIncidents, hasChanges, isMajor, MAX_DELIVERY_IDS, needsReanalysis, startLedger, type IncidentChanges,
} from '../domain/incident-state';
import { ZERO_TOTALS, type IncidentState } from '../domain/incident/model';
import { applySourceEvent, combineSources, isSameSource, linkedSourceFrom } from '../domain/incident/sources';
import { alsoReportedLine, sourceStatusLine } from '../domain/messages/sources';
import { affectedCsms, applyAssessment } from '../domain/incident/summaries';
import type { IncidentEvent } from '../domain/types';
import { slack, store } from './incident-activities';
import { onceKey, revisionKey, timelineKey } from './incident-keys';
import { reopen, resolve } from './incident-lifecycle';
import { delivered, errorMessage, type IncidentRun } from './incident-run';
import { followSuspicion, markSuspected } from './incident-suspected';

const MINUTE = 60_000;

function eventEntries(s: IncidentState, event: IncidentEvent, changes: IncidentChanges, at: string): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  // The source incident the event came from (several feed a correlated incident).
  const from = s.sources ? { source: event.source, externalId: event.externalId } : { source: s.incident.source };
  const add = (kind: TimelineKind, summary: string, details: Record<string, unknown>) => entries.push({
    kind, summary, details: { ...from, deliveryId: event.deliveryId, ...details }, actor: event.actor,
    occurredAt: at, dedupeKey: timelineKey(s, 'event', event.deliveryId, kind),
  });
  const lines = describeChanges(changes);
  let i = 0;
  if (changes.status) add(changes.status.from === 'resolved' ? 'reopened' : 'status', lines[i++]!, { ...changes.status });
  if (changes.severity) add('severity', lines[i++]!, { ...changes.severity });
  if (changes.components) add('components', lines[i++]!, { ...changes.components });
  if (changes.regions) add('regions', lines[i++]!, { ...changes.regions });
  if (changes.message) add('message', lines[i++]!, { message: changes.message.to ?? null });
  if (event.note?.trim()) add('note', event.note.trim(), {});
  return entries;
}

/** The first event: the incident exists from now on. */
async function start(run: IncidentRun, event: IncidentEvent): Promise<void> {
  const now = run.now();
  const { workflowId } = workflowInfo();
  const ledger = startLedger(event, workflowId, now);
  // Correlation may route another source incident's event first to the incident a source opens (their
  // signals race): the incident keeps the identity its workflow id names, and the event is its first source.
  const own = run.opens;
  const foreign = own !== undefined && !isSameSource(own, event) && patched(MULTI_SOURCE_PATCH);
  const sources = foreign ? [linkedSourceFrom(event.source, event.externalId, ledger, now)] : undefined;
  if (foreign) ledger.incident = { ...ledger.incident, source: own.source, externalId: own.externalId };
  const s: IncidentState = {
    ...ledger,
    ...(sources ? { sources } : {}),
    phase: 'active',
    csms: [],
    totals: ZERO_TOTALS,
    detectedAt: now,
    revision: 1,
    lastPublicUpdateAt: now,
    // The problems of an earlier first event Postgres refused (incident-problems.ts), if any.
    ...run.takeParked(),
  };
  run.state = s;
  markSuspected(run, event);
  const { incident } = s;
  const at = Number.isNaN(Date.parse(event.occurredAt)) ? now : new Date(event.occurredAt).toISOString();
  // Time to awareness: the row must exist first (everything else points at it), then the
  // analysis runs beside the timeline write, and the alerts go out beside the totals update.
  await run.recordIncident();
  run.upsertSearch();
  await Promise.all([
    run.timeline([{
      kind: 'created',
      summary: `Detected: ${incident.title} (${incident.severity}, ${incident.status})`,
      details: { source: event.source, externalId: event.externalId, deliveryId: event.deliveryId, components: incident.components, regions: incident.regions },
      actor: event.actor, occurredAt: at, dedupeKey: timelineKey(s, 'event', event.deliveryId, 'created'),
    }, ...eventEntries(s, event, {}, at)]),
    analyze(run),
  ]);
  const startedResolved = incident.status === 'resolved';
  await Promise.all([alertNewCsms(run), run.recordIncident()]);
  if (!startedResolved) {
    await openWarRoom(run);
    await draftOutreach(run);
    refreshCadence(run, true);
  } else {
    await resolve(run, []);
  }
}

/** The first line CSMs read in their alert's thread when an incident Forewarn had finished following comes back. */
const BACK_LINE = 'It is back: this incident was resolved and closed, and has been reopened';

/** Marks histories that may hold several source incidents (correlation): older ones replay as before. */
const MULTI_SOURCE_PATCH = 'multi-source-incident';

/** Any later event: apply it field by field, record what changed, and tell who needs to know. */
export async function handleEvent(run: IncidentRun, event: IncidentEvent): Promise<void> {
  if (!run.state) return start(run, event);
  const s = run.state;
  if ((s.sources || !isSameSource(s.incident, event)) && patched(MULTI_SOURCE_PATCH)) return handleSourceEvent(run, event);
  const now = run.now();
  const result = applyEvent(s, event, now);
  if (result.duplicate) {
    log.info('duplicate incident event ignored', { deliveryId: event.deliveryId });
    return;
  }
  if (result.staleFields.length) log.info('stale fields ignored', { deliveryId: event.deliveryId, fields: result.staleFields });
  const titleChanged = result.incident.title !== s.incident.title;
  s.incident = result.incident;
  s.appliedAt = result.appliedAt;
  s.deliveryIds = result.deliveryIds;
  const { changes } = result;
  const entries = eventEntries(s, event, changes, result.appliedAt.status && changes.status ? result.appliedAt.status : now);
  entries.push(...followSuspicion(run, event, changes, now));
  await followChanges(run, changes, entries, titleChanged, []);
}

/**
 * An event of a correlated incident: applied to its own source incident's view, the incident derived
 * again from every source (domain/incident/sources.ts). A source joining, or a source's own status
 * moving, is news in each CSM's thread and the war room even when the incident's fields stay.
 */
async function handleSourceEvent(run: IncidentRun, event: IncidentEvent): Promise<void> {
  const s = run.s;
  if (s.deliveryIds.includes(event.deliveryId)) {
    log.info('duplicate incident event ignored', { deliveryId: event.deliveryId });
    return;
  }
  const now = run.now();
  s.deliveryIds = [...s.deliveryIds, event.deliveryId].slice(-MAX_DELIVERY_IDS);
  // The incident's own source becomes the first linked one when a second joins.
  const own = s.sources ?? [linkedSourceFrom(s.incident.source, s.incident.externalId, s, s.detectedAt)];
  const applied = applySourceEvent(own, event, s.incident, now);
  if (applied.staleFields.length) log.info('stale fields ignored', { deliveryId: event.deliveryId, fields: applied.staleFields });
  if (!applied.source) {
    // A note for the incident (support tickets...), or a source beyond the limit: the timeline only.
    if (!s.sources && !isSameSource(s.incident, event) && !event.byPerson) log.warn('event of an unlinked source incident kept as a note', { source: event.source, externalId: event.externalId });
    const confirmation = followSuspicion(run, event, {}, now);
    // Only a person's declaration (event.confirms) confirms with a note: the row then says it is no longer suspected.
    await Promise.all([run.timeline([...eventEntries(s, event, {}, now), ...confirmation]), confirmation.length ? run.recordIncident() : undefined]);
    return;
  }
  s.sources = applied.sources;
  const next = combineSources(s.incident, s.sources);
  const changes = diffIncidents(s.incident, next);
  const titleChanged = next.title !== s.incident.title;
  s.incident = next;
  const { source } = applied;
  // People's changes speak for themselves (the changed fields); a source joining or moving is news.
  const news = source.person ? undefined : applied.isNew ? alsoReportedLine(source.source, source.view.title, source.view.status)
    : applied.statusChanged ? sourceStatusLine(source.source, source.view.title, source.view.status) : undefined;
  const at = Number.isNaN(Date.parse(event.occurredAt)) ? now : new Date(event.occurredAt).toISOString();
  const entries = eventEntries(s, event, changes, at);
  // A source that is not a support spike joining confirms a suspected incident.
  const wasSuspected = s.suspected === true;
  entries.push(...followSuspicion(run, event, changes, at, applied.isNew && !source.person && !source.suspected));
  const confirmedNow = wasSuspected && !s.suspected;
  if (news) {
    entries.unshift({
      kind: applied.isNew ? 'source_linked' : 'source_status', summary: news, actor: event.actor, occurredAt: at,
      details: { source: source.source, externalId: source.externalId, title: source.view.title, status: source.view.status, severity: source.view.severity, deliveryId: event.deliveryId },
      dedupeKey: timelineKey(s, 'event', event.deliveryId, 'source'),
    });
  }
  await followChanges(run, changes, entries, titleChanged || confirmedNow, news ? [news] : []);
}

/**
 * What every event leads to once applied: the timeline, and for a change (or news of a source) the
 * re-analysis, alerts, thread updates, war room, drafts and deadlines it calls for.
 */
export async function followChanges(run: IncidentRun, changes: IncidentChanges, entries: TimelineEntry[], rowChanged: boolean, news: string[]): Promise<void> {
  const s = run.s;
  const now = run.now();
  if (!hasChanges(changes) && news.length === 0) {
    // The title (or the suspicion) changed without any field the messages describe.
    if (rowChanged) await run.recordIncident();
    await run.timeline(entries);
    run.upsertSearch();
    return;
  }
  s.revision += 1;
  // An incident Forewarn had finished following (a run restored from Postgres) that a source or a person reopens.
  const back = s.phase === 'completed' && changes.status !== undefined && changes.status.to !== 'resolved';
  const lines = [...(back ? [BACK_LINE] : []), ...news, ...describeChanges(changes)];
  await Promise.all([run.recordIncident(), run.timeline(entries)]);
  run.upsertSearch();
  if (changes.message) {
    s.lastPublicUpdateAt = now;
    refreshCadence(run, true);
  }

  const reopened = (s.phase === 'resolved' || back) && changes.status && changes.status.to !== 'resolved';
  if (reopened) await reopen(run);
  if (s.phase === 'resolved') {
    // After resolution nothing is re-analyzed; people who were told still hear about changes.
    await updateAlertedCsms(run, lines, undefined, undefined);
    await postToWarRoom(run, lines);
    return;
  }
  if (changes.status?.to === 'resolved') {
    await resolve(run, lines);
    return;
  }
  const analysis = needsReanalysis(changes) || reopened ? await analyze(run) : undefined;
  const alreadyAlerted = s.csms.filter((c) => c.alertedAt).map((c) => c.email);
  const [newlyAlerted] = await Promise.all([alertNewCsms(run), analysis ? run.recordIncident() : undefined]);
  await updateAlertedCsms(run, lines, analysis, alreadyAlerted);
  const roomOpened = await openWarRoom(run, newlyAlerted);
  if (!roomOpened) await postToWarRoom(run, lines);
  await draftOutreach(run);
  scheduleEscalations(run);
  refreshCadence(run, Boolean(changes.severity) || Boolean(reopened));
}

/** What a re-analysis changed, for the update messages: its revision and the CSMs it changed. */
export interface Analysis { revision: number; changed: Map<string, { newlyAffected: number; noLongerAffected: number }> }

/**
 * Runs the impact analysis in Postgres and takes its per-CSM counts and totals (the caller
 * persists the new totals, alongside whatever it does next).
 */
export async function analyze(run: IncidentRun): Promise<Analysis> {
  const revision = run.s.revision;
  const assessment = await store.assessImpact({ incident: run.s.incident, now: run.now(), revision });
  const s = run.s;
  const merge = applyAssessment(s.csms, assessment);
  s.csms = merge.csms;
  s.totals = assessment.totals;
  run.upsertSearch();
  return { revision, changed: merge.changed };
}

/**
 * First alert to every CSM with affected customers who has none yet; each alert lists that CSM's
 * customers (read by the activity). Returns the emails of the CSMs alerted now.
 */
export async function alertNewCsms(run: IncidentRun): Promise<string[]> {
  const s = run.s;
  const targets = affectedCsms(s.csms).filter((c) => !c.alertedAt && !c.notifyError?.startsWith('alert'));
  if (targets.length === 0) return [];
  const results = await run.notify('alert', targets.map((c) => ({ csm: c, key: onceKey(s, 'alert', c.email) })));
  const now = run.now();
  const alerted: string[] = [];
  const failed: string[] = [];
  let customers = 0;
  targets.forEach((t, i) => {
    const r = results[i]!;
    const c = run.csm(t.email);
    if (!c) return;
    if (!delivered(r)) {
      failed.push(`${c.email} (${r.error ?? 'not delivered'})`);
      return;
    }
    c.alertedAt = r.sentAt ?? now;
    if (r.channel && r.ts) c.thread = { channel: r.channel, ts: r.ts };
    if (isMajor(s.incident.severity) && !c.escalationDueAt) c.escalationDueAt = new Date(Date.parse(now) + run.settings.escalationMinutes * MINUTE).toISOString();
    alerted.push(c.email);
    customers += c.customers;
  });
  s.firstAlertAt ??= alerted.length ? now : undefined;
  if (alerted.length) s.lastAlertAt = now;
  await run.timeline([{
    kind: 'alert',
    summary: `Alerted ${alerted.length} CSM${alerted.length === 1 ? '' : 's'} about ${customers} customer${customers === 1 ? '' : 's'}`
      + (failed.length ? `; not delivered to ${failed.slice(0, 20).join(', ')}${failed.length > 20 ? ` and ${failed.length - 20} more` : ''}` : ''),
    details: { alerted: alerted.length, failed: failed.slice(0, 50), customers },
    occurredAt: now, dedupeKey: timelineKey(s, 'alert', s.revision),
  }]);
  return alerted;
}

/**
 * The change, in the alert's thread, to every CSM alerted before this step (`alreadyAlerted`;
 * undefined: every alerted CSM). After a re-analysis, each message also lists that CSM's
 * customers the analysis added or dropped (read by the activity for `analysis.revision`); a CSM
 * with nothing to hear is skipped.
 */
export async function updateAlertedCsms(run: IncidentRun, lines: string[], analysis: Analysis | undefined, alreadyAlerted: string[] | undefined): Promise<void> {
  const s = run.s;
  const targets = s.csms.filter((c) => c.alertedAt && (!alreadyAlerted || alreadyAlerted.includes(c.email))
    && (lines.length > 0 || analysis?.changed.has(c.email.toLowerCase())));
  if (targets.length === 0) return;
  // Every CSM gets the shared lines; the activity adds each CSM's own customer changes.
  await run.notify('update', targets.map((c) => ({ csm: c, key: revisionKey(s, 'update', c.email), thread: c.thread })), {
    changes: lines, analysisRevision: analysis?.revision,
  });
}

/**
 * P1/P2: the coordination channel, with the affected CSMs and their managers. Opened the first
 * time the incident is (or becomes) P1/P2; CSMs alerted later are invited. Returns whether the
 * channel was opened in this call (its summary then already tells the news).
 */
export async function openWarRoom(run: IncidentRun, newlyAlerted: string[] = []): Promise<boolean> {
  const s = run.s;
  if (!isMajor(s.incident.severity) || s.phase !== 'active') return false;
  if (s.warRoom && newlyAlerted.length === 0) return false;
  const members = s.warRoom
    ? s.csms.filter((c) => newlyAlerted.includes(c.email))
    : affectedCsms(s.csms);
  const opening = !s.warRoom;
  try {
    const room = await slack.ensureWarRoom({
      idempotencyKey: onceKey(s, 'war_room', 'channel'),
      incident: s.incident,
      memberSlackIds: members.map((c) => c.slackUserId).filter((id): id is string => Boolean(id)),
      // Managers are looked up by the activity (csms.manager_email).
      memberEmails: members.map((c) => c.email),
      totals: s.totals,
      dashboardUrl: run.settings.dashboardUrl,
    });
    if (!room || !opening) return false;
    s.warRoom = room;
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('war room not available', { error: errorMessage(err) });
    return false;
  }
  await run.recordIncident();
  await run.timeline([{
    kind: 'war_room', summary: `War room #${s.warRoom.name} opened with ${members.length} CSM${members.length === 1 ? '' : 's'} and their managers`,
    details: { channelId: s.warRoom.channelId, name: s.warRoom.name, members: members.map((c) => c.email) },
    occurredAt: run.now(), dedupeKey: timelineKey(s, 'war_room'),
  }]);
  return true;
}

export async function postToWarRoom(run: IncidentRun, lines: string[]): Promise<void> {
  const s = run.s;
  if (!s.warRoom || lines.length === 0) return;
  try {
    await slack.postToWarRoom({ idempotencyKey: revisionKey(s, 'war_room_post', 'channel'), channelId: s.warRoom.channelId, incident: s.incident, text: lines.join('\n') });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('war room post failed', { error: errorMessage(err) });
  }
}

/** Gmail drafts for every high-impact customer still pending, in their CSM's mailbox. */
export async function draftOutreach(run: IncidentRun): Promise<void> {
  await run.outreachLock.run(async () => {
    const s = run.s;
    if (s.phase !== 'active') return;
    const csms = affectedCsms(s.csms).filter((c) => c.highImpact > 0);
    if (csms.length === 0) return;
    const result = await run.emails('outreach', false, 'high_pending', 'forewarn', csms.map((c) => ({ email: c.email, prefix: onceKey(s, 'outreach', c.email) })));
    if (result.done || result.failed) {
      await run.timeline([{
        kind: 'drafts', summary: `${result.done} outreach email draft${result.done === 1 ? '' : 's'} prepared for high-impact customers`
          + (result.failed ? `; ${result.failed} could not be created` : ''),
        details: { drafted: result.done, failed: result.failed, errors: result.errors.slice(0, 20) },
        occurredAt: run.now(), dedupeKey: timelineKey(s, 'drafts', s.revision),
      }]);
    }
  });
}

/** P1/P2: every alerted CSM gets an escalation deadline (once; acknowledging or acting cancels it). */
export function scheduleEscalations(run: IncidentRun): void {
  const s = run.s;
  if (!isMajor(s.incident.severity) || s.phase !== 'active') return;
  const due = new Date(Date.now() + run.settings.escalationMinutes * MINUTE).toISOString();
  for (const c of s.csms) {
    if (c.alertedAt && !c.escalationDueAt && !c.escalatedAt && !c.acknowledgedAt && !c.actedAt) c.escalationDueAt = due;
  }
}

/**
 * P1 while active: CSMs are reminded when no public update arrives within the cadence. `restart`
 * starts a new period (new public update, just became P1, reopened).
 */
export function refreshCadence(run: IncidentRun, restart: boolean): void {
  const s = run.s;
  if (s.incident.severity !== 'P1' || s.phase !== 'active') {
    s.nextUpdateReminderAt = undefined;
    return;
  }
  if (restart || !s.nextUpdateReminderAt) {
    s.nextUpdateReminderAt = new Date(Date.now() + run.settings.updateCadenceMinutes * MINUTE).toISOString();
  }
}
