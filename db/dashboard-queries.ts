/**
 * Read queries behind the CS-manager dashboard. Each view is one or two round trips that aggregate
 * in Postgres (no per-incident or per-customer queries), reading the read model the incident
 * workflow keeps: product_incidents, incident_customer_impact, incident_updates, notifications,
 * follow_ups.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './types';
import { metricsSummary } from './incident-queries';

/** Outreach counts per raw status; "affected" excludes customers a re-analysis no longer finds affected. */
export interface OutreachCounts {
  affected: number;
  pending: number;
  drafted: number;
  sent: number;
  responded: number;
  resolutionSent: number;
  followedUp: number;
}

export interface IncidentSummary {
  id: string;
  workflowId: string;
  source: string;
  externalId: string;
  title: string;
  severity: string;
  status: string;
  components: string[];
  startedAt: string;
  resolvedAt: string | null;
  detectedAt: string;
  affectedCustomers: number;
  arrAtRisk: number;
  businessImpact: number;
  statusPageUrl: string | null;
  slackChannelId: string | null;
  outreach: OutreachCounts;
  /** When the last CSM was alerted (null until the first alert). */
  lastCsmAlertAt: string | null;
}

const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());
const num = (v: unknown): number => (v == null ? 0 : Number(v));

/** Counts of affected customers by outreach status, as SQL select fragments over `ici`. */
const outreachColumns = sql`
  count(*) filter (where ici.impact_level <> 'none')::int as affected,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'pending')::int as pending,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'drafted')::int as drafted,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'sent')::int as sent,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'responded')::int as responded,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'resolution_sent')::int as resolution_sent,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'followed_up')::int as followed_up`;

interface IncidentRow {
  id: string; workflow_id: string; source: string; external_id: string; title: string; severity: string; status: string;
  affected_components: string[]; started_at: Date; resolved_at: Date | null; detected_at: Date; affected_customer_count: number;
  arr_at_risk: string; business_impact_estimate: string; status_page_url: string | null; slack_channel_id: string | null;
  affected: number | null; pending: number | null; drafted: number | null; sent: number | null; responded: number | null;
  resolution_sent: number | null; followed_up: number | null; last_alert_at: Date | null;
}

function toSummary(r: IncidentRow): IncidentSummary {
  return {
    id: r.id,
    workflowId: r.workflow_id,
    source: r.source,
    externalId: r.external_id,
    title: r.title,
    severity: r.severity,
    status: r.status,
    components: r.affected_components,
    startedAt: iso(r.started_at)!,
    resolvedAt: iso(r.resolved_at),
    detectedAt: iso(r.detected_at)!,
    affectedCustomers: r.affected_customer_count,
    arrAtRisk: num(r.arr_at_risk),
    businessImpact: num(r.business_impact_estimate),
    statusPageUrl: r.status_page_url,
    slackChannelId: r.slack_channel_id,
    outreach: {
      affected: num(r.affected), pending: num(r.pending), drafted: num(r.drafted), sent: num(r.sent),
      responded: num(r.responded), resolutionSent: num(r.resolution_sent), followedUp: num(r.followed_up),
    },
    lastCsmAlertAt: iso(r.last_alert_at),
  };
}

const incidentColumns = sql`
  i.id, i.workflow_id, i.source, i.external_id, i.title, i.severity, i.status, i.affected_components, i.started_at,
  i.resolved_at, i.detected_at, i.affected_customer_count, i.arr_at_risk, i.business_impact_estimate, i.status_page_url,
  i.slack_channel_id, o.affected, o.pending, o.drafted, o.sent, o.responded, o.resolution_sent, o.followed_up,
  coalesce(na.last_alert_at, o.last_alert_at) as last_alert_at`;

const outreachLateral = sql`
  left join lateral (
    select ${outreachColumns}, max(ici.csm_notified_at) as last_alert_at
    from incident_customer_impact ici where ici.incident_id = i.id
  ) o on true
  -- The last CSM alert as the outbox recorded it (what GET /api/metrics/summary measures); customer rows as fallback.
  left join lateral (
    select max(n.sent_at) as last_alert_at from notifications n
    where n.incident_id = i.id and n.kind = 'alert' and n.status in ('sent', 'dry_run')
  ) na on true`;

export interface IncidentsOverview {
  incidents: IncidentSummary[];
  /** So an empty page can tell a new user what to do first. */
  counts: { customers: number; csms: number; openIncidents: number };
}

/**
 * Open incidents (most severe, then newest first), then incidents resolved within `resolvedDays`
 * (most recently resolved first).
 */
export async function listIncidentsOverview(db: Kysely<Database>, opts: { resolvedDays: number; limit: number }): Promise<IncidentsOverview> {
  const rows = await sql<IncidentRow>`
    select ${incidentColumns}
    from product_incidents i ${outreachLateral}
    where i.status <> 'resolved' or coalesce(i.resolved_at, i.updated_at) > now() - make_interval(days => ${opts.resolvedDays})
    order by (i.status = 'resolved'), case when i.status <> 'resolved' then i.severity end, coalesce(i.resolved_at, i.started_at) desc, i.id
    limit ${opts.limit}`.execute(db);
  const counts = await sql<{ customers: number; csms: number; open_incidents: number }>`
    select (select count(*) from customers)::int as customers, (select count(*) from csms)::int as csms,
           (select count(*) from product_incidents where status <> 'resolved')::int as open_incidents`.execute(db);
  const c = counts.rows[0]!;
  return { incidents: rows.rows.map(toSummary), counts: { customers: c.customers, csms: c.csms, openIncidents: c.open_incidents } };
}

export interface DetailCustomer {
  customerId: string;
  externalId: string;
  name: string;
  arr: number;
  segment: string;
  region: string;
  impactLevel: string;
  reason: string;
  businessImpact: number;
  priorityRank: number;
  outreachStatus: string;
  outreachUpdatedAt: string | null;
  csmNotifiedAt: string | null;
  customerNotifiedAt: string | null;
  resolutionNotifiedAt: string | null;
  csm: { email: string; name: string } | null;
}

export interface CsmTotals {
  email: string | null;
  name: string;
  customers: number;
  arr: number;
  highImpact: number;
  pending: number;
  drafted: number;
  sent: number;
  responded: number;
  alertedAt: string | null;
  acknowledgedAt: string | null;
}

export interface TimelineItem {
  kind: string;
  summary: string;
  actor: string | null;
  occurredAt: string;
}

export interface FollowUpItem {
  kind: string;
  csmEmail: string | null;
  dueAt: string;
  status: string;
  doneAt: string | null;
}

export interface IncidentDetail {
  incident: IncidentSummary & { description: string | null; regions: string[]; latestMessage: string | null };
  /** One page, in the requested order. */
  customers: DetailCustomer[];
  /** Every impact row, including customers no longer affected. */
  customersTotal: number;
  byCsm: CsmTotals[];
  timeline: TimelineItem[];
  timelineTotal: number;
  followUps: FollowUpItem[];
}

/**
 * An acknowledgement names the CSM by email or Slack user id, in the actor or in the details;
 * this matches any of them against the CSM row `cs`.
 */
const acknowledgedBy = sql`(u.actor in (cs.email, cs.slack_user_id)
  or u.details->>'csmEmail' = cs.email or u.details->>'slackUserId' = cs.slack_user_id or u.details->>'email' = cs.email)`;

/** Accepts the incident's uuid or its workflow id (what the Temporal UI and Slack show). */
export const CUSTOMER_SORTS = ['priority', 'arr', 'impact', 'csm', 'outreach', 'name'] as const;
export type CustomerSort = (typeof CUSTOMER_SORTS)[number];

/** The sort key first (in the chosen direction), then priority, so ties stay in a stable, meaningful order. */
function customerOrder(sort: CustomerSort, dir: 'asc' | 'desc') {
  const d = dir === 'desc' ? sql`desc` : sql`asc`;
  const key = {
    priority: sql`(ici.impact_level = 'none') ${d}, ici.priority_rank ${d}`,
    arr: sql`cu.arr ${d}`,
    impact: sql`array_position(array['high','medium','low','none'], ici.impact_level) ${d}, ici.business_impact_estimate desc`,
    csm: sql`cs.name ${d} nulls last`,
    outreach: sql`array_position(array['pending','drafted','sent','responded','resolution_sent','followed_up'], ici.outreach_status) ${d}`,
    name: sql`cu.name ${d}`,
  }[sort];
  return sql`${key}, ici.priority_rank, cu.name, ici.customer_id`;
}

export interface DetailOptions {
  sort: CustomerSort;
  dir: 'asc' | 'desc';
  /** One page of customers: a large incident can affect thousands. */
  limit: number;
  offset: number;
  /** The newest timeline entries shown (an incident can collect thousands). */
  timelineLimit: number;
}

export const DEFAULT_DETAIL_OPTIONS: DetailOptions = { sort: 'priority', dir: 'asc', limit: 200, offset: 0, timelineLimit: 300 };

export async function getIncidentDetail(db: Kysely<Database>, idOrWorkflowId: string, opts: DetailOptions = DEFAULT_DETAIL_OPTIONS): Promise<IncidentDetail | undefined> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrWorkflowId);
  const found = await sql<IncidentRow & { description: string | null; affected_regions: string[]; latest_message: string | null }>`
    select ${incidentColumns}, i.description, i.affected_regions, i.latest_message
    from product_incidents i ${outreachLateral}
    where ${isUuid ? sql`i.id = ${idOrWorkflowId}::uuid` : sql`i.workflow_id = ${idOrWorkflowId}`}`.execute(db);
  const row = found.rows[0];
  if (!row) return undefined;
  const incidentId = row.id;

  const [customers, customerCount, byCsm, timeline, timelineCount, followUps] = await Promise.all([
    db.selectFrom('incident_customer_impact as ici')
      .innerJoin('customers as cu', 'cu.id', 'ici.customer_id')
      .leftJoin('csms as cs', 'cs.id', 'cu.csm_id')
      .select([
        'ici.customer_id', 'cu.external_id', 'cu.name', 'cu.arr', 'cu.segment', 'cu.region', 'ici.impact_level', 'ici.reason',
        'ici.business_impact_estimate', 'ici.priority_rank', 'ici.outreach_status', 'ici.outreach_updated_at', 'ici.csm_notified_at',
        'ici.customer_notified_at', 'ici.resolution_notified_at', 'cs.email as csm_email', 'cs.name as csm_name',
      ])
      .where('ici.incident_id', '=', incidentId)
      .orderBy(customerOrder(opts.sort, opts.dir))
      .limit(opts.limit).offset(opts.offset)
      .execute(),
    db.selectFrom('incident_customer_impact').select((eb) => eb.fn.countAll<string>().as('n')).where('incident_id', '=', incidentId)
      .executeTakeFirstOrThrow(),
    sql<{ email: string | null; name: string | null; customers: number; arr: string | null; high: number; pending: number; drafted: number;
      sent: number; responded: number; alerted_at: Date | null; acknowledged_at: Date | null }>`
      select cs.email, cs.name, count(*)::int as customers, sum(cu.arr) as arr,
        count(*) filter (where ici.impact_level = 'high')::int as high,
        count(*) filter (where ici.outreach_status = 'pending')::int as pending,
        count(*) filter (where ici.outreach_status = 'drafted')::int as drafted,
        count(*) filter (where ici.outreach_status in ('sent', 'resolution_sent'))::int as sent,
        count(*) filter (where ici.outreach_status in ('responded', 'followed_up'))::int as responded,
        min(ici.csm_notified_at) as alerted_at,
        (select min(u.occurred_at) from incident_updates u where u.incident_id = ${incidentId}::uuid and u.kind = 'acknowledged'
           and cs.id is not null and ${acknowledgedBy}) as acknowledged_at
      from incident_customer_impact ici
      join customers cu on cu.id = ici.customer_id
      left join csms cs on cs.id = cu.csm_id
      where ici.incident_id = ${incidentId}::uuid and ici.impact_level <> 'none'
      group by cs.id, cs.email, cs.name, cs.slack_user_id
      order by sum(cu.arr) desc, cs.name`.execute(db),
    db.selectFrom('incident_updates').select(['kind', 'summary', 'actor', 'occurred_at'])
      .where('incident_id', '=', incidentId).orderBy('occurred_at', 'desc').orderBy('created_at', 'desc').limit(opts.timelineLimit).execute(),
    db.selectFrom('incident_updates').select((eb) => eb.fn.countAll<string>().as('n')).where('incident_id', '=', incidentId)
      .executeTakeFirstOrThrow(),
    db.selectFrom('follow_ups').select(['kind', 'csm_email', 'due_at', 'status', 'done_at'])
      .where('incident_id', '=', incidentId).orderBy('due_at').execute(),
  ]);

  return {
    incident: { ...toSummary(row), description: row.description, regions: row.affected_regions, latestMessage: row.latest_message },
    customers: customers.map((c) => ({
      customerId: c.customer_id,
      externalId: c.external_id,
      name: c.name,
      arr: num(c.arr),
      segment: c.segment,
      region: c.region,
      impactLevel: c.impact_level,
      reason: c.reason,
      businessImpact: num(c.business_impact_estimate),
      priorityRank: c.priority_rank,
      outreachStatus: c.outreach_status,
      outreachUpdatedAt: iso(c.outreach_updated_at),
      csmNotifiedAt: iso(c.csm_notified_at),
      customerNotifiedAt: iso(c.customer_notified_at),
      resolutionNotifiedAt: iso(c.resolution_notified_at),
      csm: c.csm_email ? { email: c.csm_email, name: c.csm_name ?? c.csm_email } : null,
    })),
    byCsm: byCsm.rows.map((r) => ({
      email: r.email,
      name: r.name ?? 'No CSM assigned',
      customers: r.customers,
      arr: num(r.arr),
      highImpact: r.high,
      pending: r.pending,
      drafted: r.drafted,
      sent: r.sent,
      responded: r.responded,
      alertedAt: iso(r.alerted_at),
      acknowledgedAt: iso(r.acknowledged_at),
    })),
    customersTotal: Number(customerCount.n),
    // Read newest first (to keep the newest when capped), shown oldest first.
    timeline: timeline.reverse().map((t) => ({ kind: t.kind, summary: t.summary, actor: t.actor, occurredAt: iso(t.occurred_at)! })),
    timelineTotal: Number(timelineCount.n),
    followUps: followUps.map((f) => ({ kind: f.kind, csmEmail: f.csm_email, dueAt: iso(f.due_at)!, status: f.status, doneAt: iso(f.done_at) })),
  };
}

export interface TeamMember {
  email: string | null;
  name: string;
  managerEmail: string | null;
  incidents: number;
  /** Distinct customers (one hit by two incidents counts once), their high-impact count and ARR. */
  customers: number;
  highImpact: number;
  arr: number;
  /** Outreach not yet sent (pending or drafted), per customer and incident. */
  pendingOutreach: number;
  /** Open incidents this CSM was alerted about and has not acknowledged. */
  unacknowledged: { incidentId: string; title: string; severity: string; alertedAt: string; escalated: boolean }[];
}

/** Per CSM, across open incidents: affected customers, pending outreach, unacknowledged alerts. */
export async function getTeamView(db: Kysely<Database>): Promise<{ members: TeamMember[]; csmCount: number }> {
  const rows = await sql<{
    csm_id: string | null; email: string | null; name: string | null; manager_email: string | null; incident_id: string; title: string; severity: string;
    customers: number; high: number; arr: string | null; pending: number; alerted_at: Date | null; acknowledged: boolean; escalated: boolean;
  }>`
    with open_impact as (
      select cu.csm_id, ici.incident_id, ici.customer_id, cu.arr, ici.impact_level, ici.outreach_status, ici.csm_notified_at
      from incident_customer_impact ici
      join product_incidents i on i.id = ici.incident_id and i.status <> 'resolved'
      join customers cu on cu.id = ici.customer_id
      where ici.impact_level <> 'none'),
    per_incident as (
      select csm_id, incident_id,
        count(*) filter (where outreach_status in ('pending', 'drafted'))::int as pending,
        min(csm_notified_at) as alerted_at
      from open_impact group by csm_id, incident_id),
    -- A customer hit by two open incidents is one customer (and one ARR) for the CSM.
    per_csm as (
      select csm_id, count(*)::int as customers, count(*) filter (where high)::int as high, sum(arr) as arr
      from (select csm_id, customer_id, max(arr) as arr, bool_or(impact_level = 'high') as high from open_impact group by csm_id, customer_id) c
      group by csm_id),
    -- Acknowledgements and escalations are few: match them to CSMs once, not once per (CSM, incident).
    acks as (
      select distinct u.incident_id, cs.id as csm_id
      from incident_updates u join product_incidents i on i.id = u.incident_id and i.status <> 'resolved'
      join csms cs on ${acknowledgedBy}
      where u.kind = 'acknowledged'),
    escalations as (
      select distinct u.incident_id, cs.id as csm_id
      from incident_updates u join product_incidents i on i.id = u.incident_id and i.status <> 'resolved'
      join csms cs on (u.actor = cs.email or u.details->>'csm' = cs.email or u.details->>'csmEmail' = cs.email)
      where u.kind = 'escalation')
    select p.csm_id, cs.email, cs.name, cs.manager_email, i.id as incident_id, i.title, i.severity, t.customers, t.high, t.arr, p.pending,
      p.alerted_at, a.csm_id is not null as acknowledged, e.csm_id is not null as escalated
    from per_incident p
    join per_csm t on t.csm_id is not distinct from p.csm_id
    join product_incidents i on i.id = p.incident_id
    left join csms cs on cs.id = p.csm_id
    left join acks a on a.incident_id = p.incident_id and a.csm_id = p.csm_id
    left join escalations e on e.incident_id = p.incident_id and e.csm_id = p.csm_id
    order by cs.name nulls last, i.severity, i.started_at desc`.execute(db);

  const members = new Map<string, TeamMember>();
  for (const r of rows.rows) {
    const key = r.csm_id ?? '';
    let m = members.get(key);
    if (!m) {
      m = { email: r.email, name: r.name ?? 'No CSM assigned', managerEmail: r.manager_email, incidents: 0, customers: r.customers, highImpact: r.high,
        arr: num(r.arr), pendingOutreach: 0, unacknowledged: [] };
      members.set(key, m);
    }
    m.incidents += 1;
    m.pendingOutreach += r.pending;
    if (r.csm_id && r.alerted_at && !r.acknowledged) {
      m.unacknowledged.push({ incidentId: r.incident_id, title: r.title, severity: r.severity, alertedAt: iso(r.alerted_at)!, escalated: r.escalated });
    }
  }
  const csmCount = await db.selectFrom('csms').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  // Most pending outreach first: that is where a manager looks for help to give.
  const sorted = [...members.values()].sort((a, b) => b.pendingOutreach - a.pendingOutreach || b.arr - a.arr || a.name.localeCompare(b.name));
  return { members: sorted, csmCount: Number(csmCount.n) };
}

export interface OutcomeBucket {
  start: string;
  incidents: number;
  alertP50Seconds: number | null;
  alertP90Seconds: number | null;
  affected: number;
  reached: number;
}

export interface Outcomes {
  from: string;
  to: string;
  bucket: 'hour' | 'day';
  incidents: number;
  resolvedIncidents: number;
  /** Detection → each CSM alert sent (outbox rows of kind 'alert'), as GET /api/metrics/summary counts it. */
  alert: { samples: number; p50Seconds: number | null; p90Seconds: number | null; withinPromise: number; promiseSeconds: number };
  /** Affected customers whose outreach reached them (sent or beyond). */
  reach: { affected: number; reached: number; share: number | null; goal: number };
  resolutionNotices: { affected: number; notified: number; share: number | null };
  followUps: { due: number; done: number; share: number | null };
  series: OutcomeBucket[];
}

export const ALERT_PROMISE_SECONDS = 5 * 60;
export const REACH_GOAL = 0.8;

/** The same alert samples and "reached" rule as metricsSummary, so the chart and the headline numbers agree. */
const ALERT_DELAYS = sql`
  select i.detected_at, greatest(extract(epoch from n.sent_at - i.detected_at), 0)::float8 as seconds
  from notifications n join product_incidents i on i.id = n.incident_id
  where n.kind = 'alert' and n.sent_at is not null and n.status in ('sent', 'dry_run')`;
const REACHED = sql`ici.outreach_status in ('sent', 'responded', 'resolution_sent', 'followed_up')`;

/**
 * The product's success metrics for incidents detected in [from, to): the headline numbers are the
 * REST API's own (GET /api/metrics/summary), plus what the page adds: alerts within the promise,
 * resolved count, and an hourly or daily series for the chart.
 */
export async function getOutcomes(db: Kysely<Database>, range: { from: Date; to: Date }): Promise<Outcomes> {
  const bucket: 'hour' | 'day' = range.to.getTime() - range.from.getTime() <= 2 * 86_400_000 ? 'hour' : 'day';
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  const inRange = sql`i.detected_at >= ${from}::timestamptz and i.detected_at < ${to}::timestamptz`;

  const [summary, extra, series] = await Promise.all([
    metricsSummary(db, { from: range.from, to: range.to }),
    sql<{ within: number; resolved: number }>`
      select (select count(*) from (${ALERT_DELAYS} and ${inRange}) d where d.seconds <= ${ALERT_PROMISE_SECONDS})::int as within,
        (select count(*) from product_incidents i where ${inRange} and i.status = 'resolved')::int as resolved`.execute(db),
    sql<{ start: Date; incidents: number; p50: number | null; p90: number | null; affected: number; reached: number }>`
      with buckets as (
        select generate_series(date_trunc(${bucket}, ${from}::timestamptz, 'UTC'), ${to}::timestamptz - interval '1 microsecond',
          ${`1 ${bucket}`}::interval) as start),
      delays as (
        select date_trunc(${bucket}, d.detected_at, 'UTC') as start, d.seconds
        from (${ALERT_DELAYS} and ${inRange}) d),
      -- Counted per incident first (an index range each), so no sort over every impact row.
      reach as (
        select date_trunc(${bucket}, i.detected_at, 'UTC') as start, count(*)::int as incidents,
          sum(x.affected)::int as affected, sum(x.reached)::int as reached
        from product_incidents i
        cross join lateral (
          select count(*) filter (where ici.impact_level <> 'none') as affected,
            count(*) filter (where ici.impact_level <> 'none' and ${REACHED}) as reached
          from incident_customer_impact ici where ici.incident_id = i.id) x
        where ${inRange}
        group by 1),
      alert_stats as (
        select start, percentile_cont(0.5) within group (order by seconds) as p50, percentile_cont(0.9) within group (order by seconds) as p90
        from delays group by start)
      select b.start, coalesce(r.incidents, 0) as incidents, coalesce(r.affected, 0) as affected, coalesce(r.reached, 0) as reached, a.p50, a.p90
      from buckets b left join reach r on r.start = b.start left join alert_stats a on a.start = b.start
      order by b.start`.execute(db),
  ]);

  const secs = (v: number | string | null) => (v == null ? null : Math.round(Number(v) * 10) / 10);
  return {
    from,
    to,
    bucket,
    incidents: summary.incidents,
    resolvedIncidents: extra.rows[0]!.resolved,
    alert: {
      samples: summary.timeToAlert.alerts, p50Seconds: secs(summary.timeToAlert.p50Seconds), p90Seconds: secs(summary.timeToAlert.p90Seconds),
      withinPromise: extra.rows[0]!.within, promiseSeconds: ALERT_PROMISE_SECONDS,
    },
    reach: { affected: summary.affectedCustomers, reached: summary.outreach.reached, share: summary.outreach.share, goal: REACH_GOAL },
    resolutionNotices: { affected: summary.resolutionNotice.eligible, notified: summary.resolutionNotice.notified, share: summary.resolutionNotice.share },
    followUps: summary.followUps,
    series: series.rows.map((b) => ({
      start: iso(b.start)!, incidents: b.incidents, alertP50Seconds: secs(b.p50), alertP90Seconds: secs(b.p90), affected: b.affected, reached: b.reached,
    })),
  };
}

export interface OutboxItem {
  id: string;
  incidentId: string | null;
  incidentTitle: string | null;
  channel: string;
  recipient: string;
  kind: string;
  status: string;
  payload: unknown;
  error: string | null;
  attempts: number;
  providerRef: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface OutboxFilter {
  channel?: 'slack' | 'email';
  status?: string;
  incidentId?: string;
  /** Keyset paging: the rows after this notification id in newest-first order. */
  before?: string;
  limit: number;
}

/** Every Slack message and email, newest first, with what was rendered and what happened to it. */
export async function listOutbox(db: Kysely<Database>, filter: OutboxFilter): Promise<{ items: OutboxItem[]; counts: Record<string, number> }> {
  let q = db.selectFrom('notifications as n')
    .leftJoin('product_incidents as i', 'i.id', 'n.incident_id')
    .select(['n.id', 'n.incident_id', 'i.title', 'n.channel', 'n.recipient', 'n.kind', 'n.status', 'n.payload', 'n.error', 'n.attempts',
      'n.provider_ref', 'n.created_at', 'n.sent_at'])
    .orderBy('n.created_at', 'desc').orderBy('n.id', 'desc')
    .limit(filter.limit);
  if (filter.channel) q = q.where('n.channel', '=', filter.channel);
  if (filter.status) q = q.where('n.status', '=', filter.status);
  if (filter.incidentId) q = q.where('n.incident_id', '=', filter.incidentId);
  if (filter.before) {
    const cursor = filter.before;
    q = q.where(sql<boolean>`(n.created_at, n.id) < (select c.created_at, c.id from notifications c where c.id = ${cursor}::uuid)`);
  }
  const [rows, counts] = await Promise.all([
    q.execute(),
    db.selectFrom('notifications').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status').execute(),
  ]);
  return {
    items: rows.map((r) => ({
      id: r.id, incidentId: r.incident_id, incidentTitle: r.title, channel: r.channel, recipient: r.recipient, kind: r.kind, status: r.status,
      payload: r.payload, error: r.error, attempts: r.attempts, providerRef: r.provider_ref, createdAt: iso(r.created_at)!, sentAt: iso(r.sent_at),
    })),
    counts: Object.fromEntries(counts.map((c) => [c.status, Number(c.n)])),
  };
}
