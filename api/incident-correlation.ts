/**
 * Merge and split by hand (REST, the dashboard's controls and `/forewarn merge|split` in Slack), on top of
 * correlation at ingest (db/incident-routing.ts). Each first moves the routes — under the same advisory locks
 * ingest takes, so the next event of a moved source incident goes to its new incident — then tells the
 * workflows (workflows/incident-merge.ts):
 * - merge B into A: B hands its sources and its CSMs' alert threads to A and ends; a CSM alerted by either is
 *   told of the merge in the thread they have, never alerted again;
 * - split a source incident out of A: A lets it go, and it starts its own incident (alerting as any new one).
 */
import type { Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import { recordAudit } from '../db/audit';
import { forwardDelivery } from '../db/deliveries';
import { lockKeys } from '../db/incident-routing';
import type { IncidentView } from '../db/incident-queries';
import type { Database } from '../db/types';
import { actorLabel, type Actor } from '../domain/actor';
import { incidentWorkflowId, sourceRef } from '../domain/correlation';
import { incidentIdFor } from '../domain/incident-state';
import type { IncidentEvent, IncidentSource } from '../domain/types';
import {
  detachSourceSignal, incidentEventStart, mergeIntoSignal, stateQuery, WORKFLOW_TYPES, type IncidentSettings,
} from '../workflows/contract';
import { HttpProblem } from './problem';

export interface CorrelationDeps {
  db: Kysely<Database>;
  temporal: Client;
  taskQueue: string;
  settings: IncidentSettings;
  log: { info: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void };
}

export interface MergeResult { status: 'accepted'; workflowId: string; incidentId: string; mergedIncidentId: string }
export interface SplitResult { status: 'accepted'; workflowId: string; incidentId: string; fromIncidentId: string }

/** The incident's workflow must run the current type: merges and splits are theirs. */
async function followed(deps: CorrelationDeps, incident: IncidentView): Promise<void> {
  if (incident.mergedInto) {
    throw new HttpProblem(409, 'Incident merged', `"${incident.title}" was merged into another incident (${incident.mergedInto.incidentId}); act on that one.`);
  }
  if (incident.status === 'dismissed') throw new HttpProblem(409, 'Incident dismissed', `"${incident.title}" was dismissed as a false alarm.`);
  let description;
  try {
    description = await deps.temporal.workflow.getHandle(incident.workflowId).describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') throw new HttpProblem(409, 'Incident not followed', `Forewarn no longer follows "${incident.title}".`);
    throw err;
  }
  if (description.status.name !== 'RUNNING') {
    throw new HttpProblem(409, 'Incident not followed', `Forewarn no longer follows "${incident.title}" (its follow-ups are done).`);
  }
  if (description.type !== WORKFLOW_TYPES.incident) {
    throw new HttpProblem(409, 'Incident too old', `"${incident.title}" started before incidents could be merged or split.`);
  }
}

/** B's routes (and its own source incident, when it predates routing) now lead to A; B is marked merged at once. */
async function moveRoutes(db: Kysely<Database>, from: IncidentView, to: IncidentView): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const routes = await trx.selectFrom('incident_routes').select(['source', 'external_id']).where('workflow_id', '=', from.workflowId).execute();
    const own = { source: from.source, externalId: from.externalId };
    await lockKeys(trx, [...routes.map((r) => `route:${sourceRef(r.source, r.external_id)}`), `route:${sourceRef(own.source, own.externalId)}`]);
    await trx.updateTable('incident_routes').set({ workflow_id: to.workflowId, how: 'merge', last_activity_at: sql`now()` })
      .where('workflow_id', '=', from.workflowId).execute();
    await trx.insertInto('incident_routes').values({
      source: own.source, external_id: own.externalId, workflow_id: to.workflowId, title: from.title, status: from.status === 'dismissed' ? 'resolved' : from.status,
      components: from.components, refs: [sourceRef(own.source, own.externalId)], how: 'merge',
    }).onConflict((oc) => oc.columns(['source', 'external_id']).doUpdateSet({ workflow_id: to.workflowId, how: 'merge' })).execute();
    // Ingest must not pick B while its workflow hands over (the workflow records the same when done).
    await trx.updateTable('product_incidents').set({ merged_into: to.workflowId, merged_at: sql`now()` }).where('id', '=', from.id).execute();
  });
}

/** Merges `merged` (B) into `target` (A). */
export async function mergeIncidents(deps: CorrelationDeps, target: IncidentView, merged: IncidentView, actor: Actor): Promise<MergeResult> {
  if (target.id === merged.id) throw new HttpProblem(409, 'Same incident', 'An incident cannot be merged into itself.');
  await followed(deps, target);
  await followed(deps, merged);
  const who = actorLabel(actor);
  await moveRoutes(deps.db, merged, target);
  await deps.temporal.workflow.getHandle(merged.workflowId).signal(mergeIntoSignal, { into: target.workflowId, intoTitle: target.title, actor: who });
  await recordAudit(deps.db, { actor, action: 'incident.merged', incidentId: target.id, detail: { merged: merged.id, mergedWorkflowId: merged.workflowId, title: merged.title } });
  deps.log.info({ into: target.workflowId, merged: merged.workflowId, actor: who }, 'incidents merged');
  return { status: 'accepted', workflowId: target.workflowId, incidentId: target.id, mergedIncidentId: merged.id };
}

/** The workflow id of the incident a split-out source incident starts: its usual id, unless taken. */
async function freshWorkflowId(db: Kysely<Database>, source: IncidentSource, externalId: string): Promise<string> {
  const usual = incidentWorkflowId(source, externalId);
  const taken = await db.selectFrom('product_incidents').select('id')
    .where((eb) => eb.or([eb('workflow_id', '=', usual), eb.and([eb('source', '=', source), eb('external_id', '=', externalId)])])).executeTakeFirst();
  return taken ? `${usual}:split-${Date.now().toString(36)}` : usual;
}

/** Splits the source incident `ref` out of `incident` into an incident of its own. */
export async function splitSource(deps: CorrelationDeps, incident: IncidentView, ref: { source: IncidentSource; externalId: string }, actor: Actor): Promise<SplitResult> {
  await followed(deps, incident);
  if (ref.source === incident.source && ref.externalId === incident.externalId) {
    throw new HttpProblem(409, 'Source named the incident', `"${incident.title}" is named after ${sourceRef(ref.source, ref.externalId)}: split the other sources out instead.`);
  }
  const state = await deps.temporal.workflow.getHandle(incident.workflowId).query(stateQuery);
  const linked = state.sources?.find((s) => s.source === ref.source && s.externalId === ref.externalId);
  if (!linked) throw new HttpProblem(404, 'Source not linked', `${sourceRef(ref.source, ref.externalId)} is not one of "${incident.title}"'s sources.`);
  const workflowId = await freshWorkflowId(deps.db, ref.source, ref.externalId);
  const who = actorLabel(actor);
  await deps.db.transaction().execute(async (trx) => {
    await lockKeys(trx, [`route:${sourceRef(ref.source, ref.externalId)}`]);
    await trx.insertInto('incident_routes').values({
      source: ref.source, external_id: ref.externalId, workflow_id: workflowId, title: linked.view.title, status: linked.view.status,
      suspected: linked.suspected, components: linked.view.components, refs: [sourceRef(ref.source, ref.externalId)], how: 'split',
    }).onConflict((oc) => oc.columns(['source', 'external_id']).doUpdateSet({ workflow_id: workflowId, how: 'split', last_activity_at: sql`now()` })).execute();
  });
  await deps.temporal.workflow.getHandle(incident.workflowId).signal(detachSourceSignal, { ...ref, into: workflowId, actor: who });
  // The new incident starts from the source incident as Forewarn knew it, at the time of its latest event
  // (so none of its later events counts as stale).
  const v = linked.view;
  const latest = Object.values(linked.appliedAt).sort().at(-1) ?? new Date().toISOString();
  const event: IncidentEvent = {
    source: ref.source, externalId: ref.externalId, title: v.title, status: v.status === 'dismissed' ? 'resolved' : v.status, severity: v.severity,
    components: v.components, regions: v.regions, startedAt: v.startedAt, occurredAt: latest, actor: who,
    deliveryId: `split:${incident.workflowId}:${sourceRef(ref.source, ref.externalId)}:${Date.now()}`,
    note: `Split out of "${incident.title}" by ${who}`,
    ...(v.statusPageUrl ? { statusPageUrl: v.statusPageUrl } : {}), ...(v.message ? { message: v.message } : {}),
  };
  await forwardDelivery({ db: deps.db, temporal: deps.temporal, log: deps.log }, {
    source: 'split', deliveryId: event.deliveryId, rawBody: JSON.stringify({ from: incident.workflowId, ...ref, actor: who }),
  }, [incidentEventStart(event, deps.settings, deps.taskQueue, workflowId)]);
  await recordAudit(deps.db, { actor, action: 'incident.split', incidentId: incident.id, detail: { ...ref, into: workflowId } });
  deps.log.info({ from: incident.workflowId, into: workflowId, ...ref, actor: who }, 'source incident split out');
  return { status: 'accepted', workflowId, incidentId: incidentIdFor(workflowId), fromIncidentId: incident.id };
}
