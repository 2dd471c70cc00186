/**
 * Merge and split, as the incident workflow does them (the API points the routes first:
 * api/incident-correlation.ts). Exactly once for CSMs: the incident merged away hands over its CSMs'
 * alert threads, so a CSM it alerted is never alerted again by the incident that absorbs it — they hear
 * of the merge in the thread they already have (outbox keys keep every message single).
 */
import { getExternalWorkflowHandle, isCancellation, log, workflowInfo } from '@temporalio/workflow';
import type { TimelineEntry } from '../activities/types';
import { MAX_LINKED_SOURCES } from '../domain/correlation';
import { diffIncidents } from '../domain/incident-state';
import { combineSources, isSameSource, linkedSourceFrom, type LinkedSource } from '../domain/incident/sources';
import { mergedLine, splitLine } from '../domain/messages/sources';
import {
  absorbIncidentSignal, incidentEventSignal, type AbsorbIncidentInput, type DetachSourceInput, type MergeIntoInput,
} from './contract';
import { timelineKey } from './incident-keys';
import { cancelFollowUps } from './incident-lifecycle';
import { errorMessage, type IncidentRun } from './incident-run';
import { followChanges } from './incident-steps';

export type IncidentCommand =
  | { kind: 'mergeInto'; input: MergeIntoInput }
  | { kind: 'absorb'; input: AbsorbIncidentInput }
  | { kind: 'detach'; input: DetachSourceInput };

/** Merges kept per incident (ids of incidents merged in). */
const MERGES_KEPT = 50;

function ownSources(run: IncidentRun): LinkedSource[] {
  const s = run.s;
  return s.sources ?? [linkedSourceFrom(s.incident.source, s.incident.externalId, s, s.detectedAt)];
}

export async function runCommand(run: IncidentRun, command: IncidentCommand): Promise<void> {
  if (command.kind === 'mergeInto') return mergeInto(run, command.input);
  if (command.kind === 'absorb') return absorb(run, command.input);
  return detach(run, command.input);
}

/** B: hand everything to A, forward what is still queued, record the merge, end. */
async function mergeInto(run: IncidentRun, input: MergeIntoInput): Promise<void> {
  const s = run.s;
  if (s.mergedInto || input.into === workflowInfo().workflowId) return;
  const into = getExternalWorkflowHandle(input.into);
  const handover: AbsorbIncidentInput = {
    from: s.incident.workflowId, title: s.incident.title, actor: input.actor,
    sources: ownSources(run).map((x) => ({ ...x, mergedFrom: x.mergedFrom ?? s.incident.workflowId })),
    alerted: s.csms.filter((c) => c.alertedAt).map((c) => ({
      email: c.email, alertedAt: c.alertedAt!, ...(c.slackUserId ? { slackUserId: c.slackUserId } : {}), ...(c.thread ? { thread: c.thread } : {}),
    })),
  };
  try {
    await into.signal(absorbIncidentSignal, handover);
    // Events routed here before the routes moved follow the sources.
    for (const event of run.inbox.splice(0)) await into.signal(incidentEventSignal, event);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('merge not possible: the other incident no longer runs', { into: input.into, error: errorMessage(err) });
    await run.timeline([{
      kind: 'merged', summary: `Not merged into "${input.intoTitle}": it is no longer followed`, actor: input.actor,
      occurredAt: run.now(), dedupeKey: timelineKey(s, 'merge_failed', input.into),
    }]);
    return;
  }
  const at = run.now();
  s.mergedInto = { workflowId: input.into, title: input.intoTitle, at };
  s.nextUpdateReminderAt = undefined;
  for (const c of s.csms) c.escalationDueAt = undefined;
  await cancelFollowUps(run);
  s.phase = 'completed';
  await Promise.all([run.recordIncident(), run.timeline([{
    kind: 'merged', summary: `Merged into "${input.intoTitle}" by ${input.actor}: followed there from now on`, actor: input.actor,
    details: { into: input.into, sources: handover.sources.length, alertedCsms: handover.alerted.length }, occurredAt: at, dedupeKey: timelineKey(s, 'merged_into', input.into),
  }])]);
}

/** A: B's sources join, B's alerted CSMs keep their thread, everyone alerted hears of the merge. */
async function absorb(run: IncidentRun, input: AbsorbIncidentInput): Promise<void> {
  const s = run.s;
  if (s.mergedFrom?.includes(input.from)) return;
  s.mergedFrom = [...(s.mergedFrom ?? []), input.from].slice(-MERGES_KEPT);
  const own = ownSources(run);
  const joining = input.sources.filter((x) => !own.some((o) => isSameSource(o, x)));
  s.sources = [...own, ...joining].slice(0, MAX_LINKED_SOURCES);
  const adopted: string[] = [];
  for (const a of input.alerted) {
    const c = run.csm(a.email);
    if (c?.alertedAt) continue;
    adopted.push(a.email);
    if (c) {
      c.alertedAt = a.alertedAt;
      if (a.thread) c.thread = a.thread;
      c.notifyError = undefined;
    } else {
      s.csms.push({ email: a.email, ...(a.slackUserId ? { slackUserId: a.slackUserId } : {}), customers: 0, arrAtRisk: 0, highImpact: 0, alertedAt: a.alertedAt, ...(a.thread ? { thread: a.thread } : {}) });
    }
  }
  const next = combineSources(s.incident, s.sources);
  const changes = diffIncidents(s.incident, next);
  const titleChanged = next.title !== s.incident.title;
  s.incident = next;
  const line = mergedLine(input.title, input.actor);
  const entries: TimelineEntry[] = [{
    kind: 'merged', summary: line, actor: input.actor, occurredAt: run.now(), dedupeKey: timelineKey(s, 'merged_from', input.from),
    details: { from: input.from, sources: joining.map((x) => `${x.source}:${x.externalId}`), adoptedThreads: adopted.length },
  }];
  await followChanges(run, changes, entries, titleChanged, [line]);
}

/** A: a source incident leaves (split out into its own incident). */
async function detach(run: IncidentRun, input: DetachSourceInput): Promise<void> {
  const s = run.s;
  const sources = ownSources(run);
  const leaving = sources.find((x) => isSameSource(x, input));
  const rest = sources.filter((x) => !isSameSource(x, input));
  if (!leaving || rest.length === 0) {
    log.warn('split ignored: the source is not linked, or is the last one', { source: input.source, externalId: input.externalId });
    return;
  }
  s.sources = rest;
  const next = combineSources(s.incident, rest);
  const changes = diffIncidents(s.incident, next);
  const titleChanged = next.title !== s.incident.title;
  s.incident = next;
  const line = splitLine(leaving.source, leaving.view.title, input.actor);
  const entries: TimelineEntry[] = [{
    kind: 'split', summary: line, actor: input.actor, occurredAt: run.now(),
    dedupeKey: timelineKey(s, 'split', `${input.source}:${input.externalId}`, s.revision),
    details: { source: input.source, externalId: input.externalId, into: input.into },
  }];
  await followChanges(run, changes, entries, titleChanged, [line]);
}
