/**
 * The impact-analysis read: every customer using any affected component (optionally only in the
 * incident's regions), with their usage of those components, their CSM and their traffic on those
 * components during the incident window — one SQL statement, whatever the number of customers.
 */
import { sql, type Kysely } from 'kysely';
import type { Csm, CustomerRef, ImpactCandidate, Segment, UsageLevel } from '../domain/types';
import type { Database } from './types';

export interface ImpactQueryInput {
  /** Component keys. */
  components: string[];
  /** Empty: every region. */
  regions: string[];
  /** The incident window; usage is hourly, so the hour bucket holding `windowStart` counts. */
  windowStart: string;
  windowEnd: string;
}

export interface ImpactCandidateWithCsm extends ImpactCandidate {
  csm: Csm | null;
}

/**
 * The query, exposed as a builder so the benchmark can EXPLAIN exactly what production runs.
 *
 * Plan intent: components by key → customer_components by (component_id, customer_id) →
 * customers (by primary key, or by region) → csms; per (customer, component) pair one probe of
 * customer_usage's primary key (customer_id, component_id, hour) for "is usage tracked at all",
 * and for tracked pairs a second, the hour range of the window. Measured in bench/impact.ts.
 */
export function impactCandidatesQuery(db: Kysely<Database>, input: ImpactQueryInput) {
  let query = db
    .selectFrom('components as co')
    .innerJoin('customer_components as cc', 'cc.component_id', 'co.id')
    .innerJoin('customers as c', 'c.id', 'cc.customer_id')
    .leftJoin('csms as s', 's.id', 'c.csm_id')
    // Per (customer, component) pair: null when no usage is tracked for it at all, else the
    // requests inside the window (maybe 0). The window probe runs only for tracked pairs.
    .crossJoinLateral(sql<{ window_requests: string | null }>`(select case
        when exists (select 1 from customer_usage u where u.customer_id = cc.customer_id and u.component_id = cc.component_id)
        then (select coalesce(sum(u.request_count), 0) from customer_usage u
          where u.customer_id = cc.customer_id and u.component_id = cc.component_id
            and u.hour >= date_trunc('hour', ${input.windowStart}::timestamptz, 'UTC')
            and u.hour <= ${input.windowEnd}::timestamptz)
        end as window_requests)`.as('usage'))
    .where('co.key', '=', sql<string>`any(${input.components}::text[])`)
    .select([
      'c.id', 'c.external_id', 'c.name', 'c.arr', 'c.segment', 'c.region', 'c.contact_name', 'c.contact_email',
      's.email as csm_email', 's.name as csm_name', 's.slack_user_id as csm_slack_user_id',
      's.manager_email as csm_manager_email', 's.time_zone as csm_time_zone',
      sql<{ key: string; name: string; usage: UsageLevel; integrationDependent: boolean }[]>`json_agg(json_build_object(
        'key', co.key, 'name', co.name, 'usage', cc.usage_level, 'integrationDependent', cc.integration_dependent) order by co.key)`.as('components'),
      // sum() skips nulls: null only when no affected component's usage is tracked.
      sql<string | null>`sum(usage.window_requests)`.as('window_requests'),
    ])
    // Grouping by the primary keys lets every customer and CSM column be selected.
    .groupBy(['c.id', 's.id']);
  if (input.regions.length > 0) query = query.where('c.region', '=', sql<string>`any(${input.regions}::text[])`);
  return query;
}

/** A customer row (joined to its CSM's email) as the domain's CustomerRef. */
export function customerRef(r: {
  id: string; external_id: string; name: string; arr: string | number; segment: string; region: string;
  csm_email: string | null; contact_name: string | null; contact_email: string | null;
}): CustomerRef {
  return {
    id: r.id,
    externalId: r.external_id,
    name: r.name,
    arr: Number(r.arr),
    segment: r.segment as Segment,
    region: r.region,
    // A customer without an assigned CSM is still affected (its ARR is at risk) but alerts nobody.
    csmEmail: r.csm_email ?? '',
    contactName: r.contact_name ?? undefined,
    contactEmail: r.contact_email ?? undefined,
  };
}

export async function findImpactCandidates(db: Kysely<Database>, input: ImpactQueryInput): Promise<ImpactCandidateWithCsm[]> {
  if (input.components.length === 0) return [];
  const rows = await impactCandidatesQuery(db, input).execute();
  return rows.map((r) => ({
    ...customerRef(r),
    components: r.components,
    windowRequests: r.window_requests === null ? null : Number(r.window_requests),
    csm: r.csm_email === null ? null : {
      email: r.csm_email,
      name: r.csm_name ?? r.csm_email,
      slackUserId: r.csm_slack_user_id ?? undefined,
      managerEmail: r.csm_manager_email ?? undefined,
      timeZone: r.csm_time_zone ?? undefined,
    },
  }));
}
