/**
 * Writes of the incident read model (product_incidents, incident_customer_impact, incident_updates,
 * follow_ups). Every function is idempotent: an activity retried after a timeout writes the same
 * rows again without duplicating or regressing anything.
 */
import { sql, type Kysely, type Updateable } from 'kysely';
import type { AffectedCustomer, Incident, OutreachStatus } from '../domain/types';
import type { Database, IncidentCustomerImpactTable } from './types';

type Db = Kysely<Database>;

export interface IncidentTotals {
  customers: number;
  arrAtRisk: number;
  businessImpact: number;
  highImpact: number;
}

export interface IncidentRecord {
  incident: Incident;
  totals?: IncidentTotals;
  detectedAt?: string;
  warRoomChannelId?: string;
  resolutionNotifiedAt?: string;
  followUpAt?: string;
  postMortemRemindedAt?: string;
  /** A correlated incident's source incidents (domain/incident/sources.ts LinkedSourceView); absent: one source. */
  sources?: unknown[];
  /** Support-spike incidents: suspected until confirmed (left as stored when absent). */
  suspected?: boolean;
  mergedInto?: { workflowId: string; at: string };
}

/** The product_incidents columns that come straight from the workflow's Incident. */
function incidentColumns(i: Incident) {
  return {
    id: i.id,
    source: i.source,
    external_id: i.externalId,
    workflow_id: i.workflowId,
    title: i.title,
    description: i.description ?? null,
    severity: i.severity,
    status: i.status,
    affected_components: i.components,
    affected_regions: i.regions,
    started_at: i.startedAt,
    resolved_at: i.resolvedAt ?? null,
    status_page_url: i.statusPageUrl ?? null,
    latest_message: i.message ?? null,
    post_mortem_url: i.postMortemUrl ?? null,
    owner_email: i.owner ?? null,
  };
}

/**
 * Upserts the incident by (source, external_id). The id is the workflow's: an existing row for the
 * same source incident under another id is returned as `conflictingId` so the caller can fail loudly
 * (rows that reference the incident would otherwise point at the wrong one). Optional timestamps
 * and the war-room channel only ever fill in; a later call without them keeps what is stored.
 */
export async function upsertIncident(db: Db, r: IncidentRecord): Promise<{ id: string; conflictingId?: string }> {
  const i = r.incident;
  const row = await db
    .insertInto('product_incidents')
    .values({
      ...incidentColumns(i),
      slack_channel_id: r.warRoomChannelId ?? null,
      affected_customer_count: r.totals?.customers ?? 0,
      arr_at_risk: r.totals?.arrAtRisk ?? 0,
      business_impact_estimate: r.totals?.businessImpact ?? 0,
      detected_at: r.detectedAt ?? i.startedAt,
      resolution_notified_at: r.resolutionNotifiedAt ?? null,
      follow_up_at: r.followUpAt ?? null,
      post_mortem_reminded_at: r.postMortemRemindedAt ?? null,
      linked_sources: JSON.stringify(r.sources ?? []),
      suspected: r.suspected ?? false,
      merged_into: r.mergedInto?.workflowId ?? null,
      merged_at: r.mergedInto?.at ?? null,
    })
    .onConflict((oc) => oc.columns(['source', 'external_id']).doUpdateSet((eb) => ({
      title: eb.ref('excluded.title'),
      description: eb.ref('excluded.description'),
      severity: eb.ref('excluded.severity'),
      status: eb.ref('excluded.status'),
      affected_components: eb.ref('excluded.affected_components'),
      affected_regions: eb.ref('excluded.affected_regions'),
      started_at: eb.ref('excluded.started_at'),
      // A reopened incident clears resolved_at: take the workflow's value as it is.
      resolved_at: eb.ref('excluded.resolved_at'),
      status_page_url: sql`coalesce(excluded.status_page_url, product_incidents.status_page_url)`,
      latest_message: sql`coalesce(excluded.latest_message, product_incidents.latest_message)`,
      // A post-mortem linked through the API is written here directly too: a workflow that has not heard of it keeps it.
      post_mortem_url: sql`coalesce(excluded.post_mortem_url, product_incidents.post_mortem_url)`,
      post_mortem_set_by: sql`case when excluded.post_mortem_url is distinct from product_incidents.post_mortem_url and excluded.post_mortem_url is not null
        then ${i.source}::text else product_incidents.post_mortem_set_by end`,
      post_mortem_set_at: sql`case when excluded.post_mortem_url is distinct from product_incidents.post_mortem_url and excluded.post_mortem_url is not null
        then now() else product_incidents.post_mortem_set_at end`,
      owner_email: sql`coalesce(excluded.owner_email, product_incidents.owner_email)`,
      slack_channel_id: sql`coalesce(excluded.slack_channel_id, product_incidents.slack_channel_id)`,
      ...(r.totals ? {
        affected_customer_count: eb.ref('excluded.affected_customer_count'),
        arr_at_risk: eb.ref('excluded.arr_at_risk'),
        business_impact_estimate: eb.ref('excluded.business_impact_estimate'),
      } : {}),
      ...(r.detectedAt ? { detected_at: eb.ref('excluded.detected_at') } : {}),
      resolution_notified_at: sql`coalesce(excluded.resolution_notified_at, product_incidents.resolution_notified_at)`,
      follow_up_at: sql`coalesce(excluded.follow_up_at, product_incidents.follow_up_at)`,
      post_mortem_reminded_at: sql`coalesce(excluded.post_mortem_reminded_at, product_incidents.post_mortem_reminded_at)`,
      ...(r.sources ? { linked_sources: eb.ref('excluded.linked_sources') } : {}),
      ...(r.suspected !== undefined ? { suspected: eb.ref('excluded.suspected') } : {}),
      ...(r.mergedInto ? { merged_into: eb.ref('excluded.merged_into'), merged_at: eb.ref('excluded.merged_at') } : {}),
      updated_at: sql`now()`,
    })))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id === i.id ? { id: row.id } : { id: i.id, conflictingId: row.id };
}

/**
 * Makes sure the incident row exists before impact rows reference it, without overwriting what
 * recordIncident wrote (analysis may run before or after it). Returns the stored id, which differs
 * from `incident.id` only when the same source incident was stored under another id.
 */
export async function ensureIncident(db: Db, incident: Incident): Promise<string> {
  const inserted = await db
    .insertInto('product_incidents')
    .values({
      ...incidentColumns(incident),
      detected_at: incident.startedAt,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return inserted.id;
  const stored = await db.selectFrom('product_incidents').select('id')
    .where((eb) => eb.or([
      eb('id', '=', incident.id),
      eb.and([eb('source', '=', incident.source), eb('external_id', '=', incident.externalId)]),
      eb('workflow_id', '=', incident.workflowId),
    ]))
    .orderBy(sql`id = ${incident.id}`, 'desc')
    .executeTakeFirstOrThrow();
  return stored.id;
}

/**
 * Bulk upsert of the scored customers: one statement over unnest()ed arrays, whatever their
 * number. Outreach status, notes and notification times belong to the CSM's work and are kept;
 * rows whose score did not change are not rewritten (updated_at stays meaningful).
 */
export async function upsertCustomerImpacts(db: Db, incidentId: string, customers: AffectedCustomer[]): Promise<void> {
  if (customers.length === 0) return;
  // Only new or changed rows reach the INSERT: ON CONFLICT ... DO UPDATE ... WHERE false would
  // still lock (and so write) every unchanged row, which made re-analysis of 45k customers slow.
  await sql`
    with incoming as (
      select * from unnest(${customers.map((c) => c.id)}::uuid[], ${customers.map((c) => c.impactLevel)}::text[],
                           ${customers.map((c) => c.reason)}::text[], ${customers.map((c) => c.businessImpact)}::numeric[],
                           ${customers.map((c) => c.priorityRank)}::int[])
        as t(customer_id, impact_level, reason, business_impact_estimate, priority_rank)
    ), changed as (
      select n.* from incoming n
      left join incident_customer_impact i on i.incident_id = ${incidentId}::uuid and i.customer_id = n.customer_id
      where i.customer_id is null
         or (i.impact_level, i.reason, i.business_impact_estimate, i.priority_rank)
            is distinct from (n.impact_level, n.reason, n.business_impact_estimate, n.priority_rank)
    )
    insert into incident_customer_impact (incident_id, customer_id, impact_level, reason, business_impact_estimate, priority_rank)
    select ${incidentId}::uuid, customer_id, impact_level, reason, business_impact_estimate, priority_rank from changed
    on conflict (incident_id, customer_id) do update set
      impact_level = excluded.impact_level,
      reason = excluded.reason,
      business_impact_estimate = excluded.business_impact_estimate,
      priority_rank = excluded.priority_rank,
      updated_at = now()
  `.execute(db);
}

/**
 * Customers recorded as affected earlier but absent from `stillAffectedIds` become impact 'none'
 * with `reason` — kept, not deleted, so their outreach history stays visible. Rank 0 = unranked.
 * Returns the ids marked by this call.
 */
export async function markNoLongerAffected(db: Db, incidentId: string, stillAffectedIds: string[], reason: string): Promise<string[]> {
  const { rows } = await sql<{ customer_id: string }>`
    update incident_customer_impact
    set impact_level = 'none', reason = ${reason}, business_impact_estimate = 0, priority_rank = 0, updated_at = now()
    where incident_id = ${incidentId}::uuid
      and impact_level <> 'none'
      and customer_id not in (select unnest(${stillAffectedIds}::uuid[]))
    returning customer_id
  `.execute(db);
  return rows.map((r) => r.customer_id);
}

/** Timeline entries; a dedupe key already present is skipped, so retries add nothing. */
export async function insertTimelineEntries(db: Db, incidentId: string, entries: {
  kind: string; summary: string; details?: Record<string, unknown>; actor?: string; occurredAt: string; dedupeKey: string;
}[]): Promise<string[]> {
  if (entries.length === 0) return [];
  const inserted = await db
    .insertInto('incident_updates')
    .values(entries.map((e) => ({
      incident_id: incidentId,
      kind: e.kind,
      summary: e.summary,
      details: JSON.stringify(e.details ?? {}),
      actor: e.actor ?? null,
      dedupe_key: e.dedupeKey,
      occurred_at: e.occurredAt,
    })))
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('dedupe_key')
    .execute();
  return inserted.map((r) => r.dedupe_key);
}

export interface OutreachChange {
  incidentId: string;
  customerId: string;
  status: OutreachStatus;
  note?: string;
  at: string;
  csmNotifiedAt?: string;
  customerNotifiedAt?: string;
}

/**
 * Sets the outreach status (and note) of one customer. Notification times only fill in: the
 * first alert or first customer notice is the one that counts. Returns the customer's name, or
 * undefined when the incident has no row for that customer.
 */
export async function updateOutreach(db: Db, c: OutreachChange): Promise<{ customerName: string } | undefined> {
  const row = await db
    .updateTable('incident_customer_impact as i')
    .from('customers as c')
    .set({
      outreach_status: c.status,
      outreach_updated_at: c.at,
      ...(c.note !== undefined ? { outreach_note: c.note } : {}),
      ...(c.csmNotifiedAt ? { csm_notified_at: sql<Date>`coalesce(i.csm_notified_at, ${c.csmNotifiedAt}::timestamptz)` } : {}),
      ...(c.customerNotifiedAt
        ? { customer_notified_at: sql<Date>`coalesce(i.customer_notified_at, ${c.customerNotifiedAt}::timestamptz)` } : {}),
      updated_at: sql`now()`,
    })
    .whereRef('c.id', '=', 'i.customer_id')
    .where('i.incident_id', '=', c.incidentId)
    .where('i.customer_id', '=', c.customerId)
    .returning(['c.name'])
    .executeTakeFirst();
  return row ? { customerName: row.name } : undefined;
}

export type NotifiedField = 'csm_notified_at' | 'resolution_notified_at' | 'followed_up_at';

/** Stamps many customers at once; an already-set time is kept (the first notification counts). */
export async function stampCustomers(db: Db, incidentId: string, customerIds: string[], field: NotifiedField, at: string): Promise<number> {
  if (customerIds.length === 0) return 0;
  const stamp: Pick<Updateable<IncidentCustomerImpactTable>, NotifiedField> = { [field]: at };
  const result = await db
    .updateTable('incident_customer_impact')
    .set({ ...stamp, updated_at: sql`now()` })
    .where('incident_id', '=', incidentId)
    .where('customer_id', '=', sql<string>`any(${customerIds}::uuid[])`)
    .where(field, 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface FollowUpRecord {
  incidentId: string;
  kind: 'customer_follow_up' | 'post_mortem' | 'update_reminder' | 'escalation';
  /** One row per CSM; null for an incident-wide reminder. */
  csmEmails: (string | null)[];
  dueAt: string;
  status: 'scheduled' | 'done' | 'cancelled';
}

/**
 * Upserts follow-ups by (incident, kind, CSM, due time), for many CSMs in one statement. The
 * unique constraint treats a null CSM (incident-wide reminders) as distinct, so rows are matched
 * with IS NOT DISTINCT FROM rather than ON CONFLICT; the transaction takes a lock per incident so
 * two writers cannot both insert the same row.
 */
export async function upsertFollowUps(db: Db, f: FollowUpRecord): Promise<void> {
  if (f.csmEmails.length === 0) return;
  const emails = [...new Set(f.csmEmails)];
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`follow_ups:${f.incidentId}`}))`.execute(trx);
    await sql`
      with wanted as (select unnest(${emails}::text[]) as csm_email),
      updated as (
        update follow_ups u
        set status = ${f.status},
            done_at = ${f.status === 'done' ? sql`coalesce(u.done_at, now())` : sql`null`}
        from wanted w
        where u.incident_id = ${f.incidentId}::uuid and u.kind = ${f.kind}
          and u.csm_email is not distinct from w.csm_email and u.due_at = ${f.dueAt}::timestamptz
        returning u.csm_email
      )
      insert into follow_ups (incident_id, kind, csm_email, due_at, status, done_at)
      select ${f.incidentId}::uuid, ${f.kind}, w.csm_email, ${f.dueAt}::timestamptz, ${f.status},
             ${f.status === 'done' ? sql`now()` : sql`null`}
      from wanted w
      where not exists (select 1 from updated x where x.csm_email is not distinct from w.csm_email)
    `.execute(trx);
  });
}
