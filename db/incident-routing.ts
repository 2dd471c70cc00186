/**
 * Correlation at ingest (the rule: domain/correlation.ts): which Forewarn incident a source incident's
 * event goes to. Each routing runs in one transaction that first takes a Postgres advisory lock per key
 * it could collide on — its own source incident, each component, each reference — in one global order
 * (sorted by lock id, so two routings never wait on each other in a cycle), reads the candidates, and
 * writes the route before committing. So the second of two sources arriving in the same second for one
 * component waits for the first's route and joins its incident: one outage, one incident.
 *
 * Why advisory locks rather than a routing workflow per component: ingest already talks to Postgres
 * before it signals, a lock held for one short transaction adds a round trip or two instead of a
 * workflow hop to every delivery, and an incident spanning components needs no coordination between
 * per-component workflows. Rows, not locks, carry the outcome: a crash after the commit leaves the
 * route, and the retried delivery follows it.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import {
  chooseRoute, eventRefs, isSuspectedSource, sourceRef, type RouteCandidate, type RouteChoice, type RouteHow,
} from '../domain/correlation';
import type { IncidentEvent, IncidentSource } from '../domain/types';
import { incidentEventStart, type IncidentSettings } from '../workflows/contract';
import type { WorkflowStarts } from './deliveries';
import type { Database } from './types';

export interface RoutingOptions {
  /** CORRELATION_WINDOW_MINUTES. */
  windowMinutes: number;
  /**
   * 'link' (default): the source incident joins the incident chosen. 'note': only a new incident records a
   * route; joining one records nothing (a support spike on a component with an open incident is a note there).
   */
  join?: 'link' | 'note';
}

/** Takes the advisory locks of `keys` (transaction-scoped) in one global order. */
export async function lockKeys(trx: Transaction<Database>, keys: string[]): Promise<void> {
  // hashtextextended: 64-bit lock ids; the ORDER BY gives every caller the same acquisition order.
  await sql`select count(pg_advisory_xact_lock(k.id)) from (
    select distinct hashtextextended(key, 0) as id from unnest(${[...new Set(keys)]}::text[]) as key order by 1
  ) k`.execute(trx);
}

/** Lock keys of a source incident: itself, its components and its references. */
export function routingKeys(event: Pick<IncidentEvent, 'source' | 'externalId' | 'components' | 'references'>): string[] {
  return [
    `route:${sourceRef(event.source, event.externalId)}`,
    ...(event.components ?? []).map((c) => `component:${c}`),
    ...eventRefs(event).map((r) => `ref:${r}`),
  ];
}

/** Open incidents (not resolved, not merged) among routes matching `match`, with their latest activity. */
async function candidates(trx: Transaction<Database>, match: 'refs' | 'components', values: string[]): Promise<RouteCandidate[]> {
  if (values.length === 0) return [];
  const column = sql.ref(`r.${match}`);
  const { rows } = await sql<{ workflow_id: string; last_activity_at: Date; sources: string }>`
    select r.workflow_id, max(all_r.last_activity_at) as last_activity_at, count(distinct (all_r.source, all_r.external_id)) as sources
    from incident_routes r
    join incident_routes all_r on all_r.workflow_id = r.workflow_id
    where ${column} && ${values}::text[]
      and not exists (
        select 1 from product_incidents p
        where p.workflow_id = r.workflow_id and (p.status in ('resolved', 'dismissed') or p.merged_into is not null)
      )
    group by r.workflow_id
    -- Open while a source incident that counts is not resolved (a support spike alone counts too).
    having bool_or(all_r.status <> 'resolved' and not all_r.suspected) or bool_and(all_r.suspected)
    limit 50`.execute(trx);
  return rows.map((r) => ({ workflowId: r.workflow_id, lastActivityAt: new Date(r.last_activity_at).toISOString(), sources: Number(r.sources) }));
}

/**
 * The incident this event goes to (see the module comment), with the route recorded or refreshed (status,
 * title, components, references, last activity) before the locks are released.
 */
export async function routeIncidentEvent(db: Kysely<Database>, event: IncidentEvent, opts: RoutingOptions): Promise<RouteChoice> {
  return db.transaction().execute(async (trx) => {
    await lockKeys(trx, routingKeys(event));
    const existing = await trx.selectFrom('incident_routes').selectAll()
      .where('source', '=', event.source).where('external_id', '=', event.externalId).executeTakeFirst();
    const refs = eventRefs(event);
    const components = [...new Set(event.components ?? [])].sort();
    if (existing) {
      await trx.updateTable('incident_routes')
        .set({
          ...(event.title?.trim() ? { title: event.title.trim() } : {}),
          ...(event.status ? { status: event.status } : {}),
          ...(event.components !== undefined ? { components } : {}),
          refs: [...new Set([...existing.refs, ...refs])].sort(),
          last_activity_at: sql`now()`,
        })
        .where('source', '=', event.source).where('external_id', '=', event.externalId)
        .execute();
      return { workflowId: existing.workflow_id, how: 'route' };
    }
    const [byReference, byComponent] = [await candidates(trx, 'refs', refs), await candidates(trx, 'components', components)];
    const { now } = (await sql<{ now: Date }>`select now() as now`.execute(trx)).rows[0]!;
    const choice = chooseRoute({ event, byReference, byComponent, windowMinutes: opts.windowMinutes, now: new Date(now) });
    if (choice.how === 'new' || opts.join !== 'note') await insertRoute(trx, event, choice.workflowId, choice.how);
    return choice;
  });
}

/** Records a source incident's route unless it has one. */
export async function recordRoute(db: Kysely<Database>, event: IncidentEvent, workflowId: string, how: RouteHow): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockKeys(trx, routingKeys(event));
    await insertRoute(trx, event, workflowId, how);
  });
}

async function insertRoute(trx: Transaction<Database>, event: IncidentEvent, workflowId: string, how: RouteHow): Promise<void> {
  await trx.insertInto('incident_routes').values({
    source: event.source,
    external_id: event.externalId,
    workflow_id: workflowId,
    title: event.title?.trim() || null,
    status: event.status ?? 'investigating',
    suspected: isSuspectedSource(event.source),
    components: [...new Set(event.components ?? [])].sort(),
    refs: eventRefs(event),
    how,
  }).onConflict((oc) => oc.columns(['source', 'external_id']).doNothing()).execute();
}

/**
 * A person's change to an incident (api/incident-actions.ts) is activity of the incident: its own source
 * incident's route counts it, so a declared incident people keep updating stays within the correlation window
 * for the sources that report it later.
 */
export async function touchRoute(db: Kysely<Database>, source: string, externalId: string, workflowId: string): Promise<void> {
  await db.updateTable('incident_routes').set({ last_activity_at: sql`now()` })
    .where('source', '=', source).where('external_id', '=', externalId).where('workflow_id', '=', workflowId).execute();
}

export interface RouteRow {
  source: IncidentSource;
  externalId: string;
  workflowId: string;
  title: string | null;
  status: string;
  suspected: boolean;
  components: string[];
  how: RouteHow;
  lastActivityAt: string;
}

/** The source incidents feeding each of these incidents (for the API and dashboard). */
export async function routesOf(db: Kysely<Database>, workflowIds: string[]): Promise<Map<string, RouteRow[]>> {
  const out = new Map<string, RouteRow[]>();
  if (workflowIds.length === 0) return out;
  const rows = await db.selectFrom('incident_routes').selectAll().where('workflow_id', 'in', workflowIds).orderBy('created_at').execute();
  for (const r of rows) {
    const list = out.get(r.workflow_id) ?? [];
    list.push({
      source: r.source as IncidentSource, externalId: r.external_id, workflowId: r.workflow_id, title: r.title, status: r.status,
      suspected: r.suspected, components: r.components, how: r.how as RouteHow, lastActivityAt: r.last_activity_at.toISOString(),
    });
    out.set(r.workflow_id, list);
  }
  return out;
}

/**
 * The starts of incident events, for the one forwarding path (db/deliveries.ts): each routed to its incident
 * once the delivery is claimed, one after the other so one delivery's events never wait on each other's locks.
 */
export function routedIncidentStarts(
  deps: { db: Kysely<Database>; settings: IncidentSettings; taskQueue: string; correlationWindowMinutes: number }, events: IncidentEvent[],
): WorkflowStarts {
  if (events.length === 0) return [];
  return async () => {
    const starts = [];
    for (const event of events) {
      const { workflowId } = await routeIncidentEvent(deps.db, event, { windowMinutes: deps.correlationWindowMinutes });
      starts.push(incidentEventStart(event, deps.settings, deps.taskQueue, workflowId));
    }
    return starts;
  };
}
