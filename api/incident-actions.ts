/**
 * People steering incidents — declaring one by hand, changing its severity or status, resolving it —
 * from the REST API, the dashboard and Slack alike. Each action is an incident event with the person
 * as its actor, recorded and forwarded on the one delivery path (db/deliveries.ts, source `manual`),
 * so the incident workflow applies it exactly as it applies a source's event: a person's action is
 * one more source of the incident, the newest word on the fields it sets (a resolve by a person
 * resolves the incident whatever its sources said before; a source's later event still applies).
 */
import { createHash, randomUUID } from 'node:crypto';
import { recordAudit } from '../db/audit';
import type { WorkflowStarts } from '../db/deliveries';
import type { IncidentView } from '../db/incident-queries';
import { routeIncidentEvent, touchRoute } from '../db/incident-routing';
import { actorLabel, type Actor } from '../domain/actor';
import { incidentWorkflowId, parseIncidentWorkflowId } from '../domain/correlation';
import { joiningEvent } from '../domain/declared-incident';
import { incidentIdFor } from '../domain/incident-state';
import type { GenericIncidentBody } from '../domain/sources/generic';
import type { EventStatus, IncidentEvent, Severity } from '../domain/types';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { dismissUpdate, incidentEventStart, type DismissResult } from '../workflows/contract';
import { executeUpdate } from './workflow-calls';
import { HttpProblem } from './problem';
import { genericEvent } from './webhooks/generic';
import { forwardFromApi, type IngestDeps } from './webhooks/ingest';

/** The generic webhook's body; `id`, `status` and `startedAt` may be left out when a person declares. */
export type DeclareBody = Omit<GenericIncidentBody, 'id' | 'status' | 'startedAt'> & Partial<Pick<GenericIncidentBody, 'id' | 'status' | 'startedAt'>>;

export interface IncidentChange {
  status?: EventStatus; severity?: Severity; message?: string; note?: string;
  /** With a resolve: the resolution DM's "Resolution:" line. */
  resolutionNote?: string;
}

/** Who acts, and the delivery id that makes a retried request (same Idempotency-Key) change nothing. */
export interface ManualAction {
  actor: Actor;
  /** Whom a token says it acts for (the body's `actor`): on the timeline and in the audit record beside the token. */
  onBehalfOf?: string;
  deliveryId: string;
}

export interface ActionResult {
  status: 'accepted' | 'duplicate';
  workflowId: string;
  incidentId: string;
}

export interface DeclareResult extends ActionResult {
  /** The incident's external id (the declared one's, or the joined incident's). */
  externalId: string;
  /** The declaration overlapped an open incident and joined it: `workflowId` and `incidentId` are that incident's. */
  joined: boolean;
  /** The incident's title (the joined incident's as last recorded). */
  title: string;
}

export function manualDeliveryId(idempotencyKey: string | undefined): string {
  const key = idempotencyKey?.trim();
  return key ? `manual:${key}` : `manual:${randomUUID()}`;
}

/** `20261202-1a2b3c`: readable in the workflow id, the same for a retried request. */
function declaredId(deliveryId: string, now: string): string {
  return `${now.slice(0, 10).replace(/-/g, '')}-${createHash('sha256').update(deliveryId).digest('hex').slice(0, 6)}`;
}

/** How the person is written on the incident's timeline. */
export function label(action: ManualAction): string {
  return actorLabel(action.actor, action.onBehalfOf);
}

/** An event to one incident's workflow (the incident's own, or the one routing chose), on the one forwarding path. */
export async function forward(ingest: IngestDeps, action: ManualAction, event: IncidentEvent, workflowId: string, rawBody: unknown, starts?: WorkflowStarts) {
  const result = await forwardFromApi(ingest, {
    source: 'manual', deliveryId: action.deliveryId, rawBody: JSON.stringify(rawBody), headers: { actor: label(action) },
  }, starts ?? [incidentEventStart(event, ingest.settings, ingest.taskQueue, workflowId)]);
  return { result, workflowId: result.workflowIds[0] ?? workflowId };
}

/**
 * Where a declaration goes, decided once the delivery is claimed (a retried request routes nothing): routed at
 * ingest like every source (db/incident-routing.ts). Overlapping an open incident, it joins it as the person's
 * word on it (domain/declared-incident.ts) and records no route of its own; otherwise it opens its incident,
 * whose route lets later sources (PagerDuty, Opsgenie, Statuspage) join it.
 */
function routedDeclaration(ingest: IngestDeps, event: IncidentEvent, own: string): WorkflowStarts {
  return async () => {
    const { workflowId } = await routeIncidentEvent(ingest.db, event, { windowMinutes: ingest.correlationWindowMinutes, join: 'note' });
    const sent = workflowId === own ? event : joiningEvent(event, await joinedIncident(ingest.db, workflowId));
    return [incidentEventStart(sent, ingest.settings, ingest.taskQueue, workflowId)];
  };
}

/** The open incident as last recorded (its row, and its source incidents' components while the row is not written yet). */
async function joinedIncident(db: Kysely<Database>, workflowId: string) {
  const [row, routes] = await Promise.all([
    db.selectFrom('product_incidents').select(['severity', 'affected_components', 'affected_regions']).where('workflow_id', '=', workflowId).executeTakeFirst(),
    db.selectFrom('incident_routes').select('components').where('workflow_id', '=', workflowId).execute(),
  ]);
  return {
    ...(row ? { severity: row.severity as Severity } : {}),
    components: [...new Set([...(row?.affected_components ?? []), ...routes.flatMap((r) => r.components)])],
    regions: row?.affected_regions ?? [],
  };
}

async function incidentTitle(db: Kysely<Database>, workflowId: string): Promise<string | undefined> {
  const row = await db.selectFrom('product_incidents').select('title').where('workflow_id', '=', workflowId).executeTakeFirst()
    ?? await db.selectFrom('incident_routes').select('title').where('workflow_id', '=', workflowId).where('title', 'is not', null)
      .orderBy('created_at').executeTakeFirst();
  return row?.title ?? undefined;
}

/** The audit record of an action the workflow got (a repeated request is not a second action). */
export async function audit(db: Kysely<Database>, action: ManualAction, name: string, incidentId: string, detail: Record<string, unknown>): Promise<void> {
  await recordAudit(db, {
    actor: action.actor, action: name, incidentId,
    detail: { ...detail, deliveryId: action.deliveryId, ...(action.onBehalfOf ? { onBehalfOf: action.onBehalfOf } : {}) },
  });
}

/**
 * A declared incident, source `manual`, routed like every source: it joins an open incident it overlaps (the
 * answer says `joined`, with that incident's ids), else opens its own, which the workflow analyzes and whose
 * CSMs it alerts as for any source.
 */
export async function declareIncident(ingest: IngestDeps, body: DeclareBody, action: ManualAction): Promise<DeclareResult> {
  const now = new Date().toISOString();
  const full: GenericIncidentBody = {
    ...body, id: body.id ?? declaredId(action.deliveryId, now), status: body.status ?? 'investigating', startedAt: body.startedAt ?? now,
  };
  const event = await genericEvent(ingest.db, full, { deliveryId: action.deliveryId, receivedAt: now, source: 'manual', actor: label(action) });
  const own = incidentWorkflowId('manual', full.id);
  const { result, workflowId } = await forward(ingest, action, event, own, { ...body, actor: label(action) }, routedDeclaration(ingest, event, own));
  // A retried request answers from the delivery's record: joined when it went to another incident than its own.
  const joined = workflowId !== own;
  if (result.closed.length) {
    throw new HttpProblem(409, joined ? 'Incident closed' : 'Incident exists', joined
      ? 'The declaration joined an open incident that has just finished; declare it again to open a new one.'
      : `An incident with id "${full.id}" was declared before and has finished; declare it with a new id.`);
  }
  const incidentId = incidentIdFor(workflowId);
  const externalId = parseIncidentWorkflowId(workflowId)?.externalId ?? full.id;
  const title = (joined ? await incidentTitle(ingest.db, workflowId) : undefined) ?? event.title ?? full.title;
  if (result.status !== 'duplicate') {
    await audit(ingest.db, action, 'incident.declared', incidentId, {
      externalId, title: event.title, severity: event.severity, components: event.components, ...(joined ? { joined: true, declaredId: full.id } : {}),
    });
  }
  return { status: result.status === 'duplicate' ? 'duplicate' : 'accepted', workflowId, incidentId, externalId, joined, title };
}

/** Refusals a person can act on, decided from the incident's record before anything is forwarded. */
function checkChange(incident: IncidentView, change: IncidentChange): void {
  const name = `"${incident.title}"`;
  if (incident.status === 'dismissed') {
    throw new HttpProblem(409, 'Incident dismissed', `${name} was dismissed as a false alarm; declare a new incident if it is real after all.`);
  }
  if (incident.status === 'resolved') {
    if (change.status === 'resolved') throw new HttpProblem(409, 'Already resolved', `${name} is already resolved (at ${incident.resolvedAt}).`);
    if (change.status === undefined) {
      throw new HttpProblem(409, 'Incident resolved', `${name} is resolved: set its status (investigating, identified or monitoring) to reopen it first.`);
    }
  }
}

/** Severity, status, public message or a note, applied by the incident workflow like a source's event. */
export async function changeIncident(ingest: IngestDeps, incident: IncidentView, change: IncidentChange, action: ManualAction): Promise<ActionResult> {
  checkChange(incident, change);
  const event: IncidentEvent = {
    source: incident.source, externalId: incident.externalId, occurredAt: new Date().toISOString(), deliveryId: action.deliveryId, actor: label(action),
    byPerson: true,
  };
  if (change.status !== undefined) event.status = change.status;
  // A person setting a status other than resolved on an incident Forewarn finished following reopens it.
  if (change.status !== undefined && change.status !== 'resolved') event.reopens = true;
  if (change.severity !== undefined) event.severity = change.severity;
  if (change.message !== undefined) event.message = change.message;
  if (change.note?.trim()) event.note = change.note.trim();
  if (change.resolutionNote?.trim()) event.resolutionNote = change.resolutionNote.trim();
  const { result, workflowId } = await forward(ingest, action, event, incident.workflowId, { incidentId: incident.id, ...change, actor: label(action) });
  if (result.closed.length) {
    throw new HttpProblem(409, 'Incident closed', `Forewarn no longer follows "${incident.title}" (its follow-ups are done); the change is recorded but not applied.`);
  }
  if (result.status !== 'duplicate') {
    await touchRoute(ingest.db, incident.source, incident.externalId, workflowId);
    await audit(ingest.db, action, change.status === 'resolved' ? 'incident.resolved' : 'incident.changed', incident.id, { ...change, from: { status: incident.status, severity: incident.severity } });
  }
  return { status: result.status === 'duplicate' ? 'duplicate' : 'accepted', workflowId, incidentId: incident.id };
}

/**
 * A suspected incident (support spike) dismissed as a false alarm: through the workflow's `dismiss`
 * update, which tells the CSMs already alerted and ends the incident as `dismissed`. A confirmed,
 * resolved or already dismissed incident is refused with 409 and the reason.
 */
export async function dismissIncident(
  deps: { db: Kysely<Database>; temporal: Client }, incident: IncidentView, action: ManualAction, reason?: string,
): Promise<DismissResult & { incidentId: string; status: 'dismissed' }> {
  const name = `"${incident.title}"`;
  if (incident.status === 'dismissed') throw new HttpProblem(409, 'Already dismissed', `${name} is already dismissed.`);
  if (incident.status === 'resolved') throw new HttpProblem(409, 'Incident resolved', `${name} is resolved: there is nothing to dismiss.`);
  if (!incident.suspected) {
    throw new HttpProblem(409, 'Confirmed incident',
      `${name} is a confirmed incident (${incident.source}, ${incident.severity}, ${incident.status}), not a suspected one: resolve it instead.`);
  }
  const result = await executeUpdate(deps.temporal, incident.workflowId, dismissUpdate, { actor: label(action), ...(reason ? { reason } : {}) });
  await audit(deps.db, action, 'incident.dismissed', incident.id, { reason: reason ?? null, csmsTold: result.csmsTold });
  return { status: 'dismissed', incidentId: incident.id, ...result };
}
