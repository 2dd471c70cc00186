/**
 * The read model behind the REST API (and the Slack slash command): incidents, their timeline,
 * affected customers in priority order, a CSM's queue, and the product's success metrics.
 * Everything here reads what the incident workflows persist; nothing writes.
 */
import { sql, type Kysely } from 'kysely';
import { problemView, type IncidentProblemView } from './incident-problems';
import type { Database } from './types';
import { incidentIdFor } from '../domain/incident-state';
import type { LinkedSourceView } from '../domain/incident/sources';
import { CLOSED_STATUSES, type ImpactLevel, type IncidentSource, type IncidentStatus, type OutreachStatus, type Segment, type Severity } from '../domain/types';

export interface IncidentView {
  id: string;
  workflowId: string;
  source: IncidentSource;
  externalId: string;
  title: string;
  description: string | null;
  severity: Severity;
  status: IncidentStatus;
  components: string[];
  regions: string[];
  startedAt: string;
  resolvedAt: string | null;
  statusPageUrl: string | null;
  message: string | null;
  warRoomChannelId: string | null;
  affectedCustomerCount: number;
  arrAtRisk: number;
  businessImpactEstimate: number;
  detectedAt: string;
  updatedAt: string;
  /** Opened by the support-spike detector and not confirmed yet: it can be dismissed as a false alarm. */
  suspected: boolean;
  /** The latest part of the incident Forewarn could not process (Postgres refused the data), or null. */
  lastProblem: IncidentProblemView | null;
  /** The source incidents that feed it when several do (correlation); [] for one source. */
  linkedSources: LinkedSourceView[];
  /** Merged into another incident, which follows it from then on; null otherwise. */
  mergedInto: { workflowId: string; incidentId: string; at: string | null } | null;
  /** The post-mortem's link, who set it (a person, or the source) and when; null until there is one. */
  postMortem: { url: string; setBy: string | null; setAt: string | null } | null;
  /** The incident's owner at the source (email), when the source names one. */
  ownerEmail: string | null;
}

export interface CustomerView {
  id: string;
  externalId: string;
  name: string;
  arr: number;
  segment: Segment;
  region: string;
  contactName: string | null;
  contactEmail: string | null;
  csm: { email: string; name: string } | null;
}

export interface AffectedCustomerRow {
  customer: CustomerView;
  impactLevel: ImpactLevel;
  reason: string;
  outreachStatus: OutreachStatus;
  priorityRank: number;
  businessImpactEstimate: number;
}

export interface TimelineEntryView {
  kind: string;
  summary: string;
  details: unknown;
  actor: string | null;
  occurredAt: string;
}

export interface IncidentFilters {
  status?: IncidentStatus[];
  severity?: Severity[];
  /** true: not resolved or dismissed; false: resolved or dismissed. */
  active?: boolean;
  source?: string;
  externalId?: string;
  /** Component key the incident affects. */
  component?: string;
  limit: number;
  offset: number;
}

/** `('resolved','dismissed')`: the statuses of an incident nobody needs to act on, for raw SQL. */
export const CLOSED_STATUS_LIST = sql.raw(`(${CLOSED_STATUSES.map((s) => `'${s}'`).join(',')})`);

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
const SEVERITY_ORDER = sql<number>`array_position(array['P1','P2','P3','P4']::text[], pi.severity)`;

function selectIncidents(db: Kysely<Database>) {
  return db.selectFrom('product_incidents as pi').select([
    'pi.id', 'pi.workflow_id', 'pi.source', 'pi.external_id', 'pi.title', 'pi.description', 'pi.severity', 'pi.status',
    'pi.affected_components', 'pi.affected_regions', 'pi.started_at', 'pi.resolved_at', 'pi.status_page_url',
    'pi.latest_message', 'pi.slack_channel_id', 'pi.affected_customer_count', 'pi.arr_at_risk',
    'pi.business_impact_estimate', 'pi.detected_at', 'pi.updated_at',
    'pi.last_problem', 'pi.last_problem_step', 'pi.last_problem_at', 'pi.problem_count', 'pi.suspected',
    'pi.linked_sources', 'pi.merged_into', 'pi.merged_at',
    'pi.post_mortem_url', 'pi.post_mortem_set_by', 'pi.post_mortem_set_at', 'pi.owner_email',
  ]);
}
type IncidentQuery = ReturnType<typeof selectIncidents>;
type IncidentRow = Awaited<ReturnType<IncidentQuery['executeTakeFirstOrThrow']>>;

function toIncidentView(r: IncidentRow): IncidentView {
  return {
    id: r.id,
    workflowId: r.workflow_id,
    source: r.source as IncidentSource,
    externalId: r.external_id,
    title: r.title,
    description: r.description,
    severity: r.severity as Severity,
    status: r.status as IncidentStatus,
    components: r.affected_components,
    regions: r.affected_regions,
    startedAt: iso(r.started_at)!,
    resolvedAt: iso(r.resolved_at),
    statusPageUrl: r.status_page_url,
    message: r.latest_message,
    warRoomChannelId: r.slack_channel_id,
    affectedCustomerCount: r.affected_customer_count,
    arrAtRisk: Number(r.arr_at_risk),
    businessImpactEstimate: Number(r.business_impact_estimate),
    detectedAt: iso(r.detected_at)!,
    updatedAt: iso(r.updated_at)!,
    suspected: r.suspected,
    lastProblem: problemView(r),
    linkedSources: Array.isArray(r.linked_sources) ? r.linked_sources as LinkedSourceView[] : [],
    mergedInto: r.merged_into ? { workflowId: r.merged_into, incidentId: incidentIdFor(r.merged_into), at: iso(r.merged_at) } : null,
    postMortem: r.post_mortem_url ? { url: r.post_mortem_url, setBy: r.post_mortem_set_by, setAt: iso(r.post_mortem_set_at) } : null,
    ownerEmail: r.owner_email,
  };
}

function applyFilters(q: IncidentQuery, f: IncidentFilters): IncidentQuery {
  if (f.status?.length) q = q.where('pi.status', 'in', f.status);
  if (f.severity?.length) q = q.where('pi.severity', 'in', f.severity);
  if (f.active === true) q = q.where('pi.status', 'not in', CLOSED_STATUSES).where('pi.merged_into', 'is', null);
  if (f.active === false) q = q.where('pi.status', 'in', CLOSED_STATUSES);
  if (f.source) q = q.where('pi.source', '=', f.source);
  if (f.externalId) q = q.where('pi.external_id', '=', f.externalId);
  if (f.component) q = q.where(sql<boolean>`pi.affected_components @> array[${f.component}]::text[]`);
  return q;
}

/** Newest first; `total` counts every match, not just the page. */
export async function listIncidents(db: Kysely<Database>, f: IncidentFilters): Promise<{ items: IncidentView[]; total: number }> {
  const filtered = applyFilters(selectIncidents(db), f);
  const rows = await filtered.select(sql<string>`count(*) over ()`.as('total'))
    .orderBy('pi.started_at', 'desc').orderBy('pi.id').limit(f.limit).offset(f.offset).execute();
  let total = rows.length > 0 ? Number(rows[0].total) : 0;
  if (rows.length === 0 && f.offset > 0) {
    const c = await db.selectFrom(filtered.as('x')).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    total = Number(c.n);
  }
  return { items: rows.map(toIncidentView), total };
}

export async function getIncident(db: Kysely<Database>, id: string): Promise<IncidentView | undefined> {
  const row = await selectIncidents(db).where('pi.id', '=', id).executeTakeFirst();
  return row && toIncidentView(row);
}

export async function getIncidentByWorkflowId(db: Kysely<Database>, workflowId: string): Promise<IncidentView | undefined> {
  const row = await selectIncidents(db).where('pi.workflow_id', '=', workflowId).executeTakeFirst();
  return row && toIncidentView(row);
}

/** Open incidents, most severe first (for `/forewarn status`). */
export async function listOpenIncidents(db: Kysely<Database>, limit = 20): Promise<IncidentView[]> {
  const rows = await selectIncidents(db)
    .where('pi.status', 'not in', CLOSED_STATUSES)
    .where('pi.merged_into', 'is', null)
    .orderBy(SEVERITY_ORDER).orderBy('pi.started_at', 'desc').limit(limit).execute();
  return rows.map(toIncidentView);
}

export async function getTimeline(db: Kysely<Database>, incidentId: string): Promise<TimelineEntryView[]> {
  const rows = await db.selectFrom('incident_updates')
    .select(['kind', 'summary', 'details', 'actor', 'occurred_at'])
    .where('incident_id', '=', incidentId)
    .orderBy('occurred_at').orderBy('created_at').orderBy('id')
    .execute();
  return rows.map((r) => ({ kind: r.kind, summary: r.summary, details: r.details, actor: r.actor, occurredAt: iso(r.occurred_at)! }));
}

function customerQuery(db: Kysely<Database>) {
  return db.selectFrom('incident_customer_impact as i')
    .innerJoin('customers as c', 'c.id', 'i.customer_id')
    .leftJoin('csms as m', 'm.id', 'c.csm_id')
    .select([
      'i.incident_id', 'i.impact_level', 'i.reason', 'i.outreach_status', 'i.priority_rank', 'i.business_impact_estimate',
      'c.id as customer_id', 'c.external_id', 'c.name', 'c.arr', 'c.segment', 'c.region', 'c.contact_name', 'c.contact_email',
      'm.email as csm_email', 'm.name as csm_name',
    ])
    .where('i.impact_level', '<>', 'none');
}

type CustomerRowRaw = Awaited<ReturnType<ReturnType<typeof customerQuery>['executeTakeFirstOrThrow']>>;

function toAffected(r: CustomerRowRaw): AffectedCustomerRow {
  return {
    customer: {
      id: r.customer_id,
      externalId: r.external_id,
      name: r.name,
      arr: Number(r.arr),
      segment: r.segment,
      region: r.region,
      contactName: r.contact_name,
      contactEmail: r.contact_email,
      csm: r.csm_email ? { email: r.csm_email, name: r.csm_name ?? r.csm_email } : null,
    },
    impactLevel: r.impact_level,
    reason: r.reason,
    outreachStatus: r.outreach_status as OutreachStatus,
    priorityRank: r.priority_rank,
    businessImpactEstimate: Number(r.business_impact_estimate),
  };
}

/** Customers still affected by the incident (impact 'none' = no longer affected), in priority order. */
export async function getAffectedCustomers(db: Kysely<Database>, incidentId: string): Promise<AffectedCustomerRow[]> {
  const rows = await customerQuery(db).where('i.incident_id', '=', incidentId)
    .orderBy('i.priority_rank').orderBy('c.name').execute();
  return rows.map(toAffected);
}

export interface CsmView { email: string; name: string; slackUserId: string | null; managerEmail: string | null }

export async function findCsm(db: Kysely<Database>, by: { email?: string; slackUserId?: string }): Promise<CsmView | undefined> {
  let q = db.selectFrom('csms').select(['email', 'name', 'slack_user_id', 'manager_email']);
  if (by.email) q = q.where(sql<string>`lower(email)`, '=', by.email.toLowerCase());
  else if (by.slackUserId) q = q.where('slack_user_id', '=', by.slackUserId);
  else return undefined;
  const r = await q.executeTakeFirst();
  return r && { email: r.email, name: r.name, slackUserId: r.slack_user_id, managerEmail: r.manager_email };
}

export interface CsmQueueItem extends AffectedCustomerRow {
  incident: { id: string; title: string; severity: Severity; status: IncidentStatus; startedAt: string };
}

/**
 * A CSM's affected customers across open incidents: pending outreach first, then the most severe
 * incident, then the customer's priority within it.
 */
export async function getCsmQueue(db: Kysely<Database>, csmEmail: string): Promise<CsmQueueItem[]> {
  const rows = await customerQuery(db)
    .innerJoin('product_incidents as pi', 'pi.id', 'i.incident_id')
    .select(['pi.title as incident_title', 'pi.severity as incident_severity', 'pi.status as incident_status', 'pi.started_at as incident_started_at'])
    .where(sql<string>`lower(m.email)`, '=', csmEmail.toLowerCase())
    .where('pi.status', 'not in', CLOSED_STATUSES)
    .where('pi.merged_into', 'is', null)
    .orderBy(sql`case when i.outreach_status = 'pending' then 0 else 1 end`)
    .orderBy(sql`array_position(array['P1','P2','P3','P4']::text[], pi.severity)`)
    .orderBy('pi.started_at', 'desc')
    .orderBy('i.priority_rank')
    .execute();
  return rows.map((r) => ({
    ...toAffected(r),
    incident: {
      id: r.incident_id, title: r.incident_title, severity: r.incident_severity as Severity,
      status: r.incident_status as IncidentStatus, startedAt: iso(r.incident_started_at)!,
    },
  }));
}
