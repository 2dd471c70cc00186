/**
 * Impact analysis in Postgres, set-based: one statement scores every customer using an affected
 * component, ranks them, upserts incident_customer_impact, marks the customers no longer
 * affected, and answers the totals and per-CSM aggregates. No customer row travels to Node.
 *
 * The rules are those of domain/impact.ts (scoreCandidate, businessImpactEstimate,
 * compareAffected, impactTotals): every constant below (level scale, usage → level, weights,
 * segment order, reason texts) is generated from the domain's own tables, and
 * test/activities/impact.test.ts checks that both give the same result on random customer bases.
 * docs/impact.md explains the statement step by step.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  HEAVY_USER_REASON, HOURS_PER_YEAR, IDLE_REASON, IMPACT_WEIGHT, incidentHours, INTEGRATION_DEPENDENT_REASON, LEVEL_BY_VALUE,
  LEVEL_REASON, LEVEL_VALUE, NO_LONGER_AFFECTED_REASON, NO_TRAFFIC_REASON, SEGMENT_RANK, SEVERITY_WEIGHT, USAGE_LEVEL, USAGE_RANK,
} from '../domain/impact';
import type { ImpactAssessment, IncidentTotals } from '../domain/incident/model';
import type { AffectedCustomer, Csm, Incident, UsageLevel } from '../domain/types';
import { customerRef } from './impact-queries';
import type { Database } from './types';

type Db = Kysely<Database>;

// ---- the domain's rules as SQL fragments --------------------------------------------------------

const lit = (value: string | number) => sql.lit(value);
/** A float8 literal with JavaScript's exact value (Number → shortest round-trip text → float8). */
const float = (value: number) => sql.raw(`${String(value)}::float8`);

/** `case <expr> when 'k' then v ... end` over a domain table. */
function caseOf(expr: RawBuilder<unknown>, table: Record<string, RawBuilder<unknown>>, otherwise?: RawBuilder<unknown>): RawBuilder<unknown> {
  const arms = Object.entries(table).map(([key, value]) => sql`when ${lit(key)} then ${value}`);
  return sql`case ${expr} ${sql.join(arms, sql` `)}${otherwise ? sql` else ${otherwise}` : sql``} end`;
}

/** `array[...]` indexed by level value + 1 (SQL arrays start at 1). */
function byLevelValue(values: RawBuilder<unknown>[], type: string): RawBuilder<unknown> {
  return sql`(array[${sql.join(values)}]::${sql.raw(type)}[])`;
}

const HIGH = LEVEL_VALUE.high;
/** Usage level → its rank (heavy 3 ... light 1): the most-used component is the highest rank. */
const usageRank = (usage: RawBuilder<unknown>) =>
  caseOf(usage, Object.fromEntries(Object.entries(USAGE_RANK).map(([u, rank]) => [u, lit(rank)])));
/** Rank of the most-used component → the level value it gives (heavy → high ...). */
const levelOfUsageRank = (rank: RawBuilder<unknown>) =>
  caseOf(rank, Object.fromEntries((Object.keys(USAGE_RANK) as UsageLevel[])
    .map((u) => [String(USAGE_RANK[u]), lit(LEVEL_VALUE[USAGE_LEVEL[u]])])));
const HEAVY_USAGE: UsageLevel = 'heavy';
const HEAVY_RANK = USAGE_RANK[HEAVY_USAGE];
const levelName = (value: RawBuilder<unknown>) => sql`${byLevelValue(LEVEL_BY_VALUE.map(lit), 'text')}[${value} + 1]`;
const impactWeight = (value: RawBuilder<unknown>) =>
  sql`${byLevelValue(LEVEL_BY_VALUE.map((l) => float(IMPACT_WEIGHT[l])), 'float8')}[${value} + 1]`;
const segmentRank = (segment: RawBuilder<unknown>) =>
  caseOf(segment, Object.fromEntries(Object.entries(SEGMENT_RANK).map(([s, rank]) => [s, lit(rank)])), lit(9));

/**
 * businessImpactEstimate() in SQL: float8 in JavaScript's order of operations, then to cents like
 * Math.round — for x ≥ 0.5, floor(x + 0.5) is exact in float8 (below 2^51); below 0.5 it is 0
 * (floor(x + 0.5) would round 0.49999999999999994 up). Whole cents × 0.01 in numeric is the
 * decimal JavaScript prints for Math.round(x) / 100.
 */
function estimate(arr: RawBuilder<unknown>, levelValue: RawBuilder<unknown>, hours: number, severityWeight: number): RawBuilder<string> {
  const x = sql`(${arr}::float8 / ${lit(HOURS_PER_YEAR)} * ${float(hours)} * ${impactWeight(levelValue)} * ${float(severityWeight)} * 100)`;
  return sql<string>`(case when ${x} < 0.5 then 0 else floor(${x} + 0.5)::bigint end * 0.01)`;
}

// ---- the analysis -------------------------------------------------------------------------------

export interface AssessImpactInput {
  incident: Incident;
  now: string;
  /** Stamped as affected_revision / unaffected_revision on the customers this analysis adds or drops. */
  revision: number;
}

export interface AssessmentResult extends ImpactAssessment {
  /** Rows inserted or rewritten, and rows marked no longer affected, by this call. */
  written: { upserted: number; markedNone: number };
}

/**
 * The CTEs that score the candidates, ending in `affected`: one row per customer using an affected
 * component (in the incident's regions, if any) whose level is above none, with its level, reason,
 * estimate and priority rank. Shared by the analysis and by the benchmark's bare SELECT.
 * Usage hours are UTC buckets: the window starts at the UTC hour the incident started in, whatever
 * the session's time zone.
 */
export function scoredCandidatesSql(input: { incident: Incident; now: string }): RawBuilder<unknown> {
  const { incident, now } = input;
  const windowEnd = incident.resolvedAt ?? now;
  const hours = incidentHours(incident.startedAt, windowEnd);
  const regionFilter = incident.regions.length > 0 ? sql`and c.region = any(${incident.regions}::text[])` : sql``;
  return sql`
    -- The incident's components, by key.
    affected_component as materialized (
      select id, name from components where key = any(${incident.components}::text[])
    ),
    -- Per customer using an affected component: the most-used one's rank (heavy 3 ... light 1),
    -- integration dependency on any, and the name of the most-used component when it is a heavy
    -- one (integration-dependent first, then by name): the "Heavy <component> user" reason.
    component_use as (
      select cc.customer_id,
        max(${usageRank(sql`cc.usage_level`)}) as primary_usage_rank,
        bool_or(cc.integration_dependent) as integration_dependent,
        coalesce(min(ac.name collate "C") filter (where cc.usage_level = ${lit(HEAVY_USAGE)} and cc.integration_dependent),
                 min(ac.name collate "C") filter (where cc.usage_level = ${lit(HEAVY_USAGE)})) as heavy_component
      from affected_component ac
      join customer_components cc on cc.component_id = ac.id
      group by cc.customer_id
    ),
    -- Customers with usage rows on the affected components during the incident (hourly buckets
    -- from the hour it started in to its resolution, or now), and whether those requests sum to 0.
    window_usage as (
      select u.customer_id, sum(u.request_count) = 0 as idle
      from affected_component ac
      join customer_usage u on u.component_id = ac.id
      where u.hour >= date_trunc('hour', ${incident.startedAt}::timestamptz, 'UTC') and u.hour <= ${windowEnd}::timestamptz
      group by u.customer_id
    ),
    -- scoreCandidate(), computed once per customer (materialized: ranking reads plain columns):
    -- the level of the most-used component, one up for integration dependency (never above high),
    -- one down when usage is tracked but shows no traffic during the incident. Tracked = a usage
    -- row for an affected component at any time; only customers without rows in the window are
    -- probed for that. Customers without usage data keep their level.
    scored as materialized (
      select c.id, c.name, c.arr, c.csm_id, ${segmentRank(sql`c.segment`)} as segment_rank,
        l.level_value, ${levelName(sql`l.level_value`)} as impact_level,
        case
          when l.level_value = 0 then ${lit(NO_TRAFFIC_REASON)}
          when l.idle then ${caseOf(sql`l.level_value`, { [LEVEL_VALUE.medium]: lit(IDLE_REASON.medium) }, lit(IDLE_REASON.low))}
          when u.primary_usage_rank = ${lit(HEAVY_RANK)} then ${lit(HEAVY_USER_REASON.before)} || u.heavy_component || ${lit(HEAVY_USER_REASON.after)}
          when l.raised_level > l.base_level then ${lit(INTEGRATION_DEPENDENT_REASON)}
          else ${caseOf(sql`l.level_value`, { [LEVEL_VALUE.medium]: lit(LEVEL_REASON.medium) }, lit(LEVEL_REASON.low))}
        end as reason
      from component_use u
      join customers c on c.id = u.customer_id ${regionFilter}
      left join window_usage w on w.customer_id = u.customer_id
      left join lateral (
        select true as tracked from customer_usage t
        where w.customer_id is null and t.customer_id = u.customer_id and t.component_id = any(array(select id from affected_component))
        limit 1
      ) t on true
      cross join lateral (select ${levelOfUsageRank(sql`u.primary_usage_rank`)} as base_level, coalesce(w.idle, t.tracked, false) as idle) b
      cross join lateral (select least(b.base_level + u.integration_dependent::int, ${lit(HIGH)}) as raised_level) r
      cross join lateral (select b.base_level, r.raised_level, b.idle, greatest(r.raised_level - b.idle::int, 0) as level_value) l
    ),
    -- Affected customers (level above none) in compareAffected() order, ranked 1..n; names in
    -- code-point order (collate "C"), the id last so ranks are stable.
    affected as (
      select s.id, s.csm_id, s.arr, s.impact_level, s.reason,
        ${estimate(sql`s.arr`, sql`s.level_value`, hours, SEVERITY_WEIGHT[incident.severity])} as business_impact_estimate,
        row_number() over (order by s.level_value desc, s.arr desc, s.segment_rank, s.name collate "C", s.id)::int as priority_rank
      from scored s
      where s.level_value > 0
    )`;
}

export interface AssessmentRow {
  totals: { customers: number; arrAtRisk: number | string; businessImpact: number | string; highImpact: number };
  csms: { email: string; slackUserId: string | null; customers: number; arrAtRisk: number | string; highImpact: number;
    newlyAffected: number; noLongerAffected: number }[] | null;
  upserted: number;
  marked_none: number;
}

/**
 * Analyzes the incident's impact and stores it, in one statement. The incident row must exist
 * (db/incident-writes.ts ensureIncident). Rows are written only when new or changed; outreach
 * columns are never touched. A customer newly affected (no row, or a row at 'none') gets
 * `affected_revision = revision`; a customer no longer found gets impact 'none' with
 * NO_LONGER_AFFECTED_REASON, estimate 0, rank 0 and `unaffected_revision = revision`.
 *
 * Per CSM, newlyAffected / noLongerAffected count the customers stamped with `revision`, so a
 * retried call (the first attempt committed, its answer was lost) answers the same numbers.
 * CSMs come in the order of their best customer's rank; those left with no affected customer last.
 */
export async function assessImpact(db: Db, input: AssessImpactInput): Promise<AssessmentResult> {
  // The statement sorts and hashes tens of thousands of narrow rows: room for that in memory
  // instead of temporary files (SET LOCAL ends with the transaction).
  const run = async (trx: Db) => {
    await sql`set local work_mem = '64MB'`.execute(trx);
    const { rows } = await assessImpactStatement(input).execute(trx);
    return rows[0];
  };
  return toResult(db.isTransaction ? await run(db) : await db.transaction().execute(run));
}

/** The one statement of assessImpact (exposed for the benchmark's EXPLAIN). */
export function assessImpactStatement(input: AssessImpactInput): RawBuilder<AssessmentRow> {
  const { incident, revision } = input;
  const affected = incident.components.length > 0 ? scoredCandidatesSql(input)
    // An incident naming no component affects nobody: every recorded customer is no longer affected.
    : sql`affected (id, csm_id, arr, impact_level, reason, business_impact_estimate, priority_rank) as (
        select null::uuid, null::uuid, null::numeric, null::text, null::text, null::numeric, null::int where false)`;
  const id = sql`${incident.id}::uuid`;
  const rev = sql`${revision}::int`;
  return sql<AssessmentRow>`
    with ${affected},
    ${outcomeSql(id, rev)},
    ${writesSql(id, rev)},
    ${answerSql()}
  `;
}

/**
 * Every customer affected now or recorded before, once: what this analysis found (`affected`)
 * beside what incident_customer_impact held (the statement's snapshot), and what that means.
 */
function outcomeSql(id: RawBuilder<unknown>, rev: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    outcome as materialized (
      select coalesce(a.id, p.customer_id) as customer_id, a.id is not null as affected, p.customer_id is not null as recorded,
        a.csm_id, a.arr, a.impact_level, a.reason, a.business_impact_estimate, a.priority_rank,
        -- Recorded, and either scored differently now or no longer found: rewritten. An unchanged
        -- row is neither locked nor rewritten (updated_at keeps its meaning).
        p.customer_id is not null and (
          case when a.id is not null
            then (p.impact_level, p.reason, p.business_impact_estimate, p.priority_rank)
                 is distinct from (a.impact_level, a.reason, a.business_impact_estimate, a.priority_rank)
            else p.impact_level <> 'none' end) as changed,
        -- Counted per CSM by the revision stamps, so that a retry answers what the first attempt did.
        a.id is not null and (p.customer_id is null or p.impact_level = 'none' or p.affected_revision = ${rev}) as newly_affected,
        a.id is null and (p.impact_level <> 'none' or p.unaffected_revision = ${rev}) as no_longer_affected
      from affected a
      full join (
        select customer_id, impact_level, reason, business_impact_estimate, priority_rank, affected_revision, unaffected_revision
        from incident_customer_impact where incident_id = ${id}
      ) p on p.customer_id = a.id
    )`;
}

/**
 * The writes, as data-modifying CTEs over `outcome`: a plain INSERT of the customers found for
 * the first time (no per-row conflict check; two analyses of one incident never run at once, and
 * if they did the loser would fail on the unique key and its retry find the rows), and one UPDATE
 * of the recorded rows that change. Outreach columns are never named.
 */
function writesSql(id: RawBuilder<unknown>, rev: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    inserted as (
      insert into incident_customer_impact
        (incident_id, customer_id, impact_level, reason, business_impact_estimate, priority_rank, affected_revision)
      select ${id}, o.customer_id, o.impact_level, o.reason, o.business_impact_estimate, o.priority_rank, ${rev}
      from outcome o
      where o.affected and not o.recorded
      returning 1
    ),
    updated as (
      update incident_customer_impact i
      set impact_level = coalesce(o.impact_level, 'none'),
          -- Not found now: kept, not deleted (the outreach history stays), marked none.
          reason = coalesce(o.reason, ${lit(NO_LONGER_AFFECTED_REASON)}),
          business_impact_estimate = coalesce(o.business_impact_estimate, 0),
          priority_rank = coalesce(o.priority_rank, 0),
          -- Affected again after being dropped: this revision found them; dropped: this one lost them.
          affected_revision = case when o.affected and i.impact_level = 'none' then ${rev} else i.affected_revision end,
          unaffected_revision = case when not o.affected then ${rev} when i.impact_level = 'none' then null else i.unaffected_revision end,
          updated_at = now()
      from outcome o
      where o.changed and i.incident_id = ${id} and i.customer_id = o.customer_id
      returning o.affected
    )`;
}

/**
 * The answer, derived from `outcome`: every part of a WITH sees the same snapshot, so the
 * writes' effects are computed, not read back. Customers without a CSM count in the totals only.
 */
function answerSql(): RawBuilder<unknown> {
  return sql`
    per_csm as (
      select s.email, s.slack_user_id,
        count(*) filter (where x.affected)::int as customers,
        coalesce(sum(x.arr), 0) as arr_at_risk,
        count(*) filter (where x.impact_level = 'high')::int as high_impact,
        count(*) filter (where x.newly_affected)::int as newly_affected,
        count(*) filter (where x.no_longer_affected)::int as no_longer_affected,
        min(x.priority_rank) as best_rank
      from (
        select o.affected, o.arr, o.impact_level, o.priority_rank, o.newly_affected, o.no_longer_affected,
          -- A dropped customer's CSM is read from customers (few rows: only those dropped).
          case when o.affected then o.csm_id else (select c.csm_id from customers c where c.id = o.customer_id) end as csm_id
        from outcome o
        where o.affected or o.no_longer_affected
      ) x
      join csms s on s.id = x.csm_id
      group by s.id
    )
    select
      (select json_build_object(
         'customers', count(*)::int,
         'arrAtRisk', coalesce(sum(o.arr), 0),
         'businessImpact', coalesce(sum(o.business_impact_estimate), 0),
         'highImpact', count(*) filter (where o.impact_level = 'high')::int)
       from outcome o where o.affected) as totals,
      (select json_agg(json_build_object(
         'email', email, 'slackUserId', slack_user_id, 'customers', customers, 'arrAtRisk', arr_at_risk,
         'highImpact', high_impact, 'newlyAffected', newly_affected, 'noLongerAffected', no_longer_affected)
         order by best_rank nulls last, email collate "C")
       from per_csm) as csms,
      (select count(*) from inserted)::int + (select count(*) from updated where affected)::int as upserted,
      (select count(*) from updated where not affected)::int as marked_none`;
}

const cents = (value: number | string) => Math.round(Number(value) * 100) / 100;

function toResult(row: AssessmentRow): AssessmentResult {
  return {
    totals: {
      customers: row.totals.customers,
      arrAtRisk: cents(row.totals.arrAtRisk),
      businessImpact: cents(row.totals.businessImpact),
      highImpact: row.totals.highImpact,
    },
    csms: (row.csms ?? []).map((c) => ({
      email: c.email,
      ...(c.slackUserId ? { slackUserId: c.slackUserId } : {}),
      customers: c.customers,
      arrAtRisk: cents(c.arrAtRisk),
      highImpact: c.highImpact,
      newlyAffected: c.newlyAffected,
      noLongerAffected: c.noLongerAffected,
    })),
    written: { upserted: row.upserted, markedNone: row.marked_none },
  };
}

/**
 * The business-impact estimate of every affected customer recomputed for the incident's real
 * duration (to its resolution, or to now while open), in one UPDATE that rewrites only the rows
 * whose estimate changes. Answers the totals with the new estimates.
 */
export async function refreshBusinessImpact(db: Db, input: { incident: Incident; now: string }): Promise<IncidentTotals> {
  const { incident, now } = input;
  const hours = incidentHours(incident.startedAt, incident.resolvedAt ?? now);
  const levelValue = caseOf(sql`i.impact_level`, Object.fromEntries(Object.entries(LEVEL_VALUE).map(([l, v]) => [l, lit(v)])));
  const fresh = estimate(sql`c.arr`, levelValue, hours, SEVERITY_WEIGHT[incident.severity]);
  // The UPDATE and the totals both join the incident's rows to customers directly (a CTE joined
  // back to the table made the planner loop over it once per row). Every part of a WITH sees the
  // same snapshot, so the totals compute the new estimates rather than read them back.
  const { rows } = await sql<{ totals: AssessmentRow['totals'] }>`
    with refreshed as (
      update incident_customer_impact i
      set business_impact_estimate = ${fresh}, updated_at = now()
      from customers c
      where i.incident_id = ${incident.id}::uuid and i.impact_level <> 'none' and c.id = i.customer_id
        and i.business_impact_estimate <> ${fresh}
      returning 1
    )
    select json_build_object(
      'customers', count(*)::int,
      'arrAtRisk', coalesce(sum(c.arr), 0),
      'businessImpact', coalesce(sum(${fresh}), 0),
      'highImpact', count(*) filter (where i.impact_level = 'high')::int) as totals,
      (select count(*) from refreshed) as refreshed
    from incident_customer_impact i
    join customers c on c.id = i.customer_id
    where i.incident_id = ${incident.id}::uuid and i.impact_level <> 'none'
  `.execute(db);
  const t = rows[0].totals;
  return { customers: t.customers, arrAtRisk: cents(t.arrAtRisk), businessImpact: cents(t.businessImpact), highImpact: t.highImpact };
}

/**
 * The affected customers of an analysis already stored, in priority order, with their CSMs in the
 * order of their most important customer — the v1 workflow's analyzeImpact answer (it carries
 * every customer; incidents of the current workflow read slices instead).
 */
export async function readAffectedCustomers(db: Db, incident: Incident): Promise<{ customers: AffectedCustomer[]; csms: Csm[] }> {
  const rows = await db
    .selectFrom('incident_customer_impact as i')
    .innerJoin('customers as c', 'c.id', 'i.customer_id')
    .leftJoin('csms as s', 's.id', 'c.csm_id')
    .where('i.incident_id', '=', incident.id)
    .where('i.impact_level', '<>', 'none')
    .select([
      'c.id', 'c.external_id', 'c.name', 'c.arr', 'c.segment', 'c.region', 'c.contact_name', 'c.contact_email',
      'i.impact_level', 'i.reason', 'i.business_impact_estimate', 'i.priority_rank',
      's.email as csm_email', 's.name as csm_name', 's.slack_user_id', 's.manager_email', 's.time_zone',
      // The affected components the customer uses, heaviest first (scoreCandidate's order).
      sql<string[]>`array(
        select co.name from customer_components cc join components co on co.id = cc.component_id
        where cc.customer_id = c.id and co.key = any(${incident.components}::text[])
        order by ${usageRank(sql`cc.usage_level`)} desc, cc.integration_dependent desc, co.name collate "C")`.as('component_names'),
    ])
    .orderBy('i.priority_rank')
    .execute();
  const customers: AffectedCustomer[] = [];
  const csms: Csm[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    customers.push({
      ...customerRef(r),
      impactLevel: r.impact_level,
      reason: r.reason,
      componentNames: [...new Set(r.component_names)],
      businessImpact: Number(r.business_impact_estimate),
      priorityRank: r.priority_rank,
    });
    if (r.csm_email !== null && !seen.has(r.csm_email)) {
      seen.add(r.csm_email);
      csms.push({
        email: r.csm_email,
        name: r.csm_name ?? r.csm_email,
        slackUserId: r.slack_user_id ?? undefined,
        managerEmail: r.manager_email ?? undefined,
        timeZone: r.time_zone ?? undefined,
      });
    }
  }
  return { customers, csms };
}
