/**
 * One CSM's share of an incident's customers, read from incident_customer_impact: what a Slack
 * message shows (the first customers of a list, the totals of the whole list, the customers an
 * analysis revision added or dropped) and the csm_notified_at stamps after a message went out.
 * The lists follow domain/messages/slice.ts (which customers a kind of message is about, in which
 * order); the statements touch only the CSM's own rows (customers.csm_id, then the incident's
 * unique (incident_id, customer_id)), so their cost grows with that CSM's customers, never with
 * the incident's.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { CsmMessageKind } from '../domain/incident/model';
import {
  FOLLOW_UP_STATUSES, highImpactFirst, LIST_SCOPE, type ChangedCustomers, type CustomerSlice, type ListScope, type ListTotals,
  type MessageCustomer,
} from '../domain/messages';
import type { ImpactLevel, OutreachStatus } from '../domain/types';
import type { Database } from './types';

export interface CsmRecord {
  id: string;
  email: string;
  name: string;
  slackUserId: string | null;
  timeZone: string | null;
  managerEmail: string | null;
}

/** The CSM by email (case-insensitive, as everywhere CSMs are matched). */
export async function findCsmRecord(db: Kysely<Database>, email: string): Promise<CsmRecord | undefined> {
  const row = await db.selectFrom('csms').select(['id', 'email', 'name', 'slack_user_id', 'time_zone', 'manager_email'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
  return row && {
    id: row.id, email: row.email, name: row.name, slackUserId: row.slack_user_id, timeZone: row.time_zone, managerEmail: row.manager_email,
  };
}

function scopeFilter(scope: ListScope): RawBuilder<boolean> {
  if (scope === 'affected') return sql<boolean>`i.impact_level <> 'none'`;
  if (scope === 'all') return sql<boolean>`true`;
  return sql<boolean>`i.impact_level = 'high' and i.outreach_status = any(${[...FOLLOW_UP_STATUSES]}::text[])`;
}

interface SliceRow {
  customer_id: string; name: string; arr: string; impact_level: ImpactLevel; reason: string; priority_rank: number;
  outreach_status: OutreachStatus; contact_name: string | null; contact_email: string | null; component_names: string[] | null;
}

/**
 * The first `limit` customers of the list a `kind` message to (or about) this CSM shows, and the
 * totals of the whole list, in one statement.
 */
export async function csmSlice(db: Kysely<Database>, input: {
  incidentId: string; csmId: string; kind: CsmMessageKind; limit: number; componentKeys: string[];
}): Promise<CustomerSlice> {
  const where = scopeFilter(LIST_SCOPE[input.kind]);
  const order = highImpactFirst(input.kind)
    ? sql`(m.impact_level = 'high') desc, m.priority_rank, m.customer_id`
    : sql`m.priority_rank, m.customer_id`;
  const result = await sql<{ totals: { customers: number; arr: string; high_impact: number; high_arr: string }; top: SliceRow[] }>`
    with mine as (
      select i.customer_id, i.impact_level, i.reason, i.priority_rank, i.outreach_status,
        c.name, c.arr, c.contact_name, c.contact_email
      from customers c
      join incident_customer_impact i on i.customer_id = c.id and i.incident_id = ${input.incidentId}::uuid
      where c.csm_id = ${input.csmId}::uuid and ${where}
    )
    select
      (select json_build_object(
        'customers', count(*), 'arr', coalesce(sum(arr), 0)::text,
        'high_impact', count(*) filter (where impact_level = 'high'),
        'high_arr', coalesce(sum(arr) filter (where impact_level = 'high'), 0)::text) from mine) as totals,
      (select coalesce(json_agg(t), '[]'::json) from (
        select m.*, (select array_agg(co.name order by co.key) from customer_components cc
            join components co on co.id = cc.component_id
            where cc.customer_id = m.customer_id and co.key = any(${input.componentKeys}::text[])) as component_names
        from mine m order by ${order} limit ${Math.max(0, input.limit)}) t) as top`.execute(db);
  const row = result.rows[0]!;
  const totals: ListTotals = {
    customers: Number(row.totals.customers), arr: Number(row.totals.arr),
    highImpact: Number(row.totals.high_impact), highArr: Number(row.totals.high_arr),
  };
  const customers: MessageCustomer[] = row.top.map((r) => ({
    id: r.customer_id, name: r.name, arr: Number(r.arr), impactLevel: r.impact_level, reason: r.reason, priorityRank: r.priority_rank,
    componentNames: r.component_names ?? [], contactName: r.contact_name ?? undefined, contactEmail: r.contact_email ?? undefined,
    outreachStatus: r.outreach_status, stillAffected: r.impact_level !== 'none',
  }));
  return { customers, totals };
}

/**
 * The CSM's customers analysis `revision` found affected (again) and found no longer affected:
 * the first `limit` names of each, in priority order, and how many in all.
 */
export async function revisionChanges(db: Kysely<Database>, input: {
  incidentId: string; csmId: string; revision: number; limit: number;
}): Promise<{ added: ChangedCustomers; removed: ChangedCustomers }> {
  const result = await sql<{ kind: 'added' | 'removed'; count: number; names: string[] | null }>`
    with moved as (
      select case when i.affected_revision = ${input.revision} and i.impact_level <> 'none' then 'added' else 'removed' end as kind,
        c.name, i.priority_rank, i.customer_id
      from customers c
      join incident_customer_impact i on i.customer_id = c.id and i.incident_id = ${input.incidentId}::uuid
      where c.csm_id = ${input.csmId}::uuid
        and ((i.affected_revision = ${input.revision} and i.impact_level <> 'none')
          or (i.unaffected_revision = ${input.revision} and i.impact_level = 'none'))
    ), ranked as (
      select kind, name, row_number() over (partition by kind order by priority_rank, name, customer_id) as n, count(*) over (partition by kind) as total
      from moved
    )
    select kind, max(total)::int as count, array_agg(name order by n) filter (where n <= ${input.limit}) as names
    from ranked group by kind`.execute(db);
  const of = (kind: 'added' | 'removed'): ChangedCustomers => {
    const r = result.rows.find((x) => x.kind === kind);
    return { names: r?.names ?? [], count: r?.count ?? 0 };
  };
  return { added: of('added'), removed: of('removed') };
}

/**
 * Stamps csm_notified_at = `at` on the CSM's customers affected now that lack it (all of them
 * after an alert; only those analysis `revision` added after an update). One UPDATE; answers how
 * many were stamped.
 */
export async function stampCsmNotified(db: Kysely<Database>, input: {
  incidentId: string; csmId: string; at: Date | string; revision?: number;
}): Promise<number> {
  const result = await sql`
    update incident_customer_impact i set csm_notified_at = ${new Date(input.at)}::timestamptz, updated_at = now()
    from customers c
    where c.id = i.customer_id and c.csm_id = ${input.csmId}::uuid and i.incident_id = ${input.incidentId}::uuid
      and i.impact_level <> 'none' and i.csm_notified_at is null
      ${input.revision === undefined ? sql`` : sql`and i.affected_revision = ${input.revision}`}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
