/** The outcomes page: the product's success metrics over a time range, with a chart series. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../types';
import { ESCALATIONS_LATERAL, metricsSummary, REACHED as REACHED_STATUSES, type CsatMetrics, type EscalationBaseline, type EscalationMetrics } from '../success-metrics';
import { iso } from './shared';

export interface OutcomeBucket {
  start: string;
  incidents: number;
  alertP50Seconds: number | null;
  alertP90Seconds: number | null;
  affected: number;
  reached: number;
  /** Support tickets from affected customers during these incidents, and those before their first contact. */
  tickets: number;
  ticketsBeforeContact: number;
  csatRatings: number;
  csatAverage: number | null;
}

export interface Outcomes {
  from: string;
  to: string;
  bucket: 'hour' | 'day';
  incidents: number;
  resolvedIncidents: number;
  /** Detection → each CSM alert Slack accepted (kind 'alert', status 'sent'), as GET /api/metrics/summary counts it; fromStart: from the source's start. */
  alert: {
    samples: number; p50Seconds: number | null; p90Seconds: number | null; withinPromise: number; promiseSeconds: number;
    fromStart: { p50Seconds: number | null; p90Seconds: number | null }; dryRunExcluded: number;
  };
  /** Affected customers whose outreach reached them (sent or beyond). */
  reach: { affected: number; reached: number; share: number | null; goal: number };
  resolutionNotices: { affected: number; notified: number; share: number | null };
  followUps: { due: number; done: number; share: number | null };
  escalations: EscalationMetrics;
  csat: CsatMetrics;
  series: OutcomeBucket[];
}

export const ALERT_PROMISE_SECONDS = 5 * 60;
export const REACH_GOAL = 0.8;

/** The same alert samples and "reached" rule as metricsSummary, so the chart and the headline numbers agree. */
const ALERT_DELAYS = sql`
  select i.detected_at, greatest(extract(epoch from n.sent_at - i.detected_at), 0)::float8 as seconds
  from notifications n join product_incidents i on i.id = n.incident_id
  where n.kind = 'alert' and n.sent_at is not null and n.status = 'sent'`;
const REACHED = sql`ici.outreach_status in (${sql.join(REACHED_STATUSES)})`;

/**
 * The product's success metrics for incidents detected in [from, to): the headline numbers are the
 * REST API's own (GET /api/metrics/summary), plus what the page adds: alerts within the promise,
 * resolved count, and an hourly or daily series for the chart.
 */
export async function getOutcomes(db: Kysely<Database>, range: { from: Date; to: Date }, baseline: EscalationBaseline = {}): Promise<Outcomes> {
  const bucket: 'hour' | 'day' = range.to.getTime() - range.from.getTime() <= 2 * 86_400_000 ? 'hour' : 'day';
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  const inRange = sql`i.detected_at >= ${from}::timestamptz and i.detected_at < ${to}::timestamptz`;
  const inRangePi = sql`pi.detected_at >= ${from}::timestamptz and pi.detected_at < ${to}::timestamptz`;

  const [summary, extra, series] = await Promise.all([
    metricsSummary(db, { from: range.from, to: range.to }, baseline),
    sql<{ within: number; resolved: number }>`
      select (select count(*) from (${ALERT_DELAYS} and ${inRange}) d where d.seconds <= ${ALERT_PROMISE_SECONDS})::int as within,
        (select count(*) from product_incidents i where ${inRange} and i.status = 'resolved')::int as resolved`.execute(db),
    sql<{ start: Date; incidents: number; p50: number | null; p90: number | null; affected: number; reached: number;
      tickets: number; before_contact: number; ratings: number; rating_sum: number }>`
      with buckets as (
        select generate_series(date_trunc(${bucket}, ${from}::timestamptz, 'UTC'), ${to}::timestamptz - interval '1 microsecond',
          ${`1 ${bucket}`}::interval) as start),
      delays as (
        select date_trunc(${bucket}, d.detected_at, 'UTC') as start, d.seconds
        from (${ALERT_DELAYS} and ${inRange}) d),
      -- Counted per incident first (an index range each), so no sort over every impact row.
      reach as (
        select date_trunc(${bucket}, pi.detected_at, 'UTC') as start, count(*)::int as incidents,
          sum(x.affected)::int as affected, sum(x.reached)::int as reached,
          sum(e.tickets)::int as tickets, sum(e.before_contact)::int as before_contact,
          sum(r.ratings)::int as ratings, sum(r.rating_sum)::int as rating_sum
        from product_incidents pi
        cross join lateral (
          select count(*) filter (where ici.impact_level <> 'none') as affected,
            count(*) filter (where ici.impact_level <> 'none' and ${REACHED}) as reached
          from incident_customer_impact ici where ici.incident_id = pi.id) x
        cross join lateral (${ESCALATIONS_LATERAL}) e
        cross join lateral (select count(*) as ratings, coalesce(sum(cr.rating), 0) as rating_sum from csat_ratings cr where cr.incident_id = pi.id) r
        where ${inRangePi}
        group by 1),
      alert_stats as (
        select start, percentile_cont(0.5) within group (order by seconds) as p50, percentile_cont(0.9) within group (order by seconds) as p90
        from delays group by start)
      select b.start, coalesce(r.incidents, 0) as incidents, coalesce(r.affected, 0) as affected, coalesce(r.reached, 0) as reached, a.p50, a.p90,
        coalesce(r.tickets, 0) as tickets, coalesce(r.before_contact, 0) as before_contact, coalesce(r.ratings, 0) as ratings, coalesce(r.rating_sum, 0) as rating_sum
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
      fromStart: { p50Seconds: secs(summary.timeToAlert.fromStart.p50Seconds), p90Seconds: secs(summary.timeToAlert.fromStart.p90Seconds) },
      dryRunExcluded: summary.timeToAlert.dryRunExcluded,
    },
    reach: { affected: summary.affectedCustomers, reached: summary.outreach.reached, share: summary.outreach.share, goal: REACH_GOAL },
    resolutionNotices: { affected: summary.resolutionNotice.eligible, notified: summary.resolutionNotice.notified, share: summary.resolutionNotice.share },
    followUps: summary.followUps,
    escalations: summary.escalations,
    csat: summary.csat,
    series: series.rows.map((b) => ({
      start: iso(b.start)!, incidents: b.incidents, alertP50Seconds: secs(b.p50), alertP90Seconds: secs(b.p90), affected: b.affected, reached: b.reached,
      tickets: b.tickets, ticketsBeforeContact: b.before_contact, csatRatings: b.ratings,
      csatAverage: b.ratings ? Math.round((b.rating_sum / b.ratings) * 100) / 100 : null,
    })),
  };
}
