/**
 * The product's success metrics, measured from Forewarn's own records, for one incident or for the
 * incidents detected in [from, to) — what GET /api/metrics/summary answers and the Outcomes view shows:
 *
 * - time to alert: each CSM alert Slack accepted (outbox rows of kind 'alert', status 'sent'),
 *   from Forewarn's detection and from the source's own start of the incident. Dry-run alerts
 *   (no Slack token) reached nobody and are left out, only counted;
 * - reached proactively: affected customers whose outreach went out (sent or beyond), whether a
 *   CSM marked it or Forewarn saw the email in their Gmail;
 * - customer-initiated escalations: support tickets opened by affected customers while the incident
 *   ran, split at their first contact (outreach or resolution notice), per affected customer, against
 *   a baseline (a period of these same records, or a rate measured elsewhere); the goal is −60%;
 * - CSAT: the 1–5 ratings from the resolution email, against an average of 4.0;
 * - resolution notices and follow-ups done.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { CSAT_GOAL } from '../domain/csat';
import type { OutreachStatus } from '../domain/types';
import type { Database } from './types';

export interface MetricsScope { incidentId?: string; from?: Date; to?: Date }

/** What escalations are compared with (config.metrics.escalationBaseline). */
export interface EscalationBaseline { from?: string; to?: string; rate?: number }

export interface LatencyStats { p50Seconds: number | null; p90Seconds: number | null; maxSeconds: number | null }

export interface EscalationMetrics {
  /** Tickets opened by affected customers between the incident's start and its resolution. */
  tickets: number;
  /** Opened before the customer's first contact from their CSM (or with no contact at all). */
  beforeContact: number;
  afterContact: number;
  /** Affected customers who opened at least one (per incident). */
  customers: number;
  /** Tickets per affected customer. */
  perAffectedCustomer: number | null;
  baseline: { source: 'period' | 'rate' | null; from: string | null; to: string | null; perAffectedCustomer: number | null };
  /** perAffectedCustomer against the baseline's: −0.6 is 60% fewer. */
  change: number | null;
  goal: number;
}

export interface CsatMetrics {
  ratings: number;
  average: number | null;
  /** Count of each score, "1" to "5". */
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
  goal: number;
}

export interface MetricsSummary {
  incidents: number;
  timeToAlert: LatencyStats & {
    alerts: number;
    /** Alerts rendered in dry-run (no Slack token): nobody received them, so they are not samples. */
    dryRunExcluded: number;
    /** The same alerts timed from the source's start of the incident (its startedAt). */
    fromStart: LatencyStats;
  };
  affectedCustomers: number;
  outreach: { reached: number; share: number | null };
  escalations: EscalationMetrics;
  csat: CsatMetrics;
  resolutionNotice: { eligible: number; notified: number; share: number | null };
  followUps: { due: number; done: number; share: number | null };
}

export const REACHED: OutreachStatus[] = ['sent', 'responded', 'resolution_sent', 'followed_up'];
const RESOLUTION_NOTICED: OutreachStatus[] = ['resolution_sent', 'followed_up'];
/** The spec's goal for customer-initiated escalations: 60% fewer than the baseline. */
export const ESCALATION_GOAL = -0.6;

export const share = (num: number, den: number): number | null => (den > 0 ? Math.round((num / den) * 10000) / 10000 : null);
const round = (v: number | string | null) => (v === null ? null : Math.round(Number(v) * 1000) / 1000);

/** `pi` (product_incidents) rows in scope. */
export function scopeCondition(scope: MetricsScope): RawBuilder<boolean> {
  return sql<boolean>`${scope.incidentId ? sql`pi.id = ${scope.incidentId}` : sql`true`}
    and ${scope.from ? sql`pi.detected_at >= ${scope.from}` : sql`true`}
    and ${scope.to ? sql`pi.detected_at < ${scope.to}` : sql`true`}`;
}

/** A customer's first contact from their CSM: the outreach email, or else the resolution notice. */
export const FIRST_CONTACT = sql`least(ici.customer_notified_at, ici.resolution_notified_at)`;

/**
 * Support tickets of affected customers during their incident, as a lateral per incident `pi`
 * (columns tickets, before_contact, customers): an index range on support_tickets per customer.
 */
export const ESCALATIONS_LATERAL = sql`
  select count(t.id)::int as tickets,
    count(t.id) filter (where ${FIRST_CONTACT} is null or t.opened_at < ${FIRST_CONTACT})::int as before_contact,
    count(distinct ici.customer_id) filter (where t.id is not null)::int as customers
  from incident_customer_impact ici
  join support_tickets t on t.customer_id = ici.customer_id
    and t.opened_at >= pi.started_at and t.opened_at < coalesce(pi.resolved_at, now())
  where ici.incident_id = pi.id and ici.impact_level <> 'none'`;

async function escalationCounts(db: Kysely<Database>, inScope: RawBuilder<boolean>) {
  const { rows } = await sql<{ tickets: number; before_contact: number; customers: number; affected: number }>`
    select coalesce(sum(e.tickets), 0)::int as tickets, coalesce(sum(e.before_contact), 0)::int as before_contact,
      coalesce(sum(e.customers), 0)::int as customers,
      (select count(*) from incident_customer_impact ici join product_incidents pi on pi.id = ici.incident_id
        where ici.impact_level <> 'none' and ${inScope})::int as affected
    from product_incidents pi cross join lateral (${ESCALATIONS_LATERAL}) e
    where ${inScope}`.execute(db);
  return rows[0]!;
}

async function escalations(db: Kysely<Database>, inScope: RawBuilder<boolean>, baseline: EscalationBaseline): Promise<EscalationMetrics> {
  const [current, base] = await Promise.all([
    escalationCounts(db, inScope),
    baseline.from && baseline.to
      ? escalationCounts(db, scopeCondition({ from: new Date(baseline.from), to: new Date(baseline.to) }))
      : Promise.resolve(undefined),
  ]);
  const perAffectedCustomer = share(current.tickets, current.affected);
  const baselineRate = base ? share(base.tickets, base.affected) : baseline.rate ?? null;
  // The change from the unrounded rates, so rounding does not show as a change.
  const rawRate = current.affected ? current.tickets / current.affected : null;
  const rawBaseline = base ? (base.affected ? base.tickets / base.affected : null) : baseline.rate ?? null;
  return {
    tickets: current.tickets,
    beforeContact: current.before_contact,
    afterContact: current.tickets - current.before_contact,
    customers: current.customers,
    perAffectedCustomer,
    baseline: {
      source: base ? 'period' : baseline.rate !== undefined ? 'rate' : null,
      from: baseline.from ?? null, to: baseline.to ?? null, perAffectedCustomer: baselineRate,
    },
    change: rawRate !== null && rawBaseline ? Math.round((rawRate / rawBaseline - 1) * 10000) / 10000 : null,
    goal: ESCALATION_GOAL,
  };
}

async function csat(db: Kysely<Database>, inScope: RawBuilder<boolean>): Promise<CsatMetrics> {
  const { rows } = await sql<{ rating: number; n: number }>`
    select r.rating, count(*)::int as n
    from csat_ratings r join product_incidents pi on pi.id = r.incident_id
    where ${inScope} group by r.rating`.execute(db);
  const distribution = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 } as Record<'1' | '2' | '3' | '4' | '5', number>;
  let ratings = 0;
  let sum = 0;
  for (const r of rows) {
    distribution[String(r.rating) as keyof typeof distribution] = r.n;
    ratings += r.n;
    sum += r.rating * r.n;
  }
  return { ratings, average: ratings ? Math.round((sum / ratings) * 100) / 100 : null, distribution, goal: CSAT_GOAL };
}

/** What one incident's page shows of its outcomes: its customers' escalations and their ratings. */
export interface IncidentOutcomes {
  escalations: Pick<EscalationMetrics, 'tickets' | 'beforeContact' | 'afterContact' | 'customers'>;
  csat: CsatMetrics;
}

export async function incidentOutcomes(db: Kysely<Database>, incidentId: string): Promise<IncidentOutcomes> {
  const inScope = scopeCondition({ incidentId });
  const [counts, ratings] = await Promise.all([escalationCounts(db, inScope), csat(db, inScope)]);
  return {
    escalations: { tickets: counts.tickets, beforeContact: counts.before_contact, afterContact: counts.tickets - counts.before_contact, customers: counts.customers },
    csat: ratings,
  };
}

/** The success metrics for one incident or for the incidents detected in [from, to). */
export async function metricsSummary(db: Kysely<Database>, scope: MetricsScope, baseline: EscalationBaseline = {}): Promise<MetricsSummary> {
  const inScope = scopeCondition(scope);

  const [incidents, alerts, customers, followUps, escalationMetrics, csatMetrics] = await Promise.all([
    sql<{ n: string }>`select count(*) as n from product_incidents pi where ${inScope}`.execute(db),
    sql<{ alerts: number; dry: number; p50: number | null; p90: number | null; max: number | null; s50: number | null; s90: number | null; smax: number | null }>`
      select count(*) filter (where n.status = 'sent')::int as alerts,
        count(*) filter (where n.status = 'dry_run')::int as dry,
        percentile_cont(0.5) within group (order by d) filter (where n.status = 'sent') as p50,
        percentile_cont(0.9) within group (order by d) filter (where n.status = 'sent') as p90,
        max(d) filter (where n.status = 'sent') as max,
        percentile_cont(0.5) within group (order by s) filter (where n.status = 'sent') as s50,
        percentile_cont(0.9) within group (order by s) filter (where n.status = 'sent') as s90,
        max(s) filter (where n.status = 'sent') as smax
      from notifications n join product_incidents pi on pi.id = n.incident_id
      cross join lateral (select greatest(extract(epoch from n.sent_at - pi.detected_at), 0)::float8 as d,
        greatest(extract(epoch from n.sent_at - pi.started_at), 0)::float8 as s) x
      where n.kind = 'alert' and n.sent_at is not null and n.status in ('sent', 'dry_run') and ${inScope}`.execute(db),
    sql<{ affected: string; reached: string; eligible: string; notified: string }>`
      select count(*) as affected,
        count(*) filter (where i.outreach_status in (${sql.join(REACHED)})) as reached,
        count(*) filter (where pi.status = 'resolved') as eligible,
        count(*) filter (where pi.status = 'resolved' and i.outreach_status in (${sql.join(RESOLUTION_NOTICED)})) as notified
      from incident_customer_impact i join product_incidents pi on pi.id = i.incident_id
      where i.impact_level <> 'none' and ${inScope}`.execute(db),
    sql<{ due: string; done: string }>`
      select count(*) filter (where f.status <> 'cancelled' and (f.status = 'done' or f.due_at <= now())) as due,
        count(*) filter (where f.status = 'done') as done
      from follow_ups f join product_incidents pi on pi.id = f.incident_id
      where f.kind = 'customer_follow_up' and ${inScope}`.execute(db),
    escalations(db, inScope, baseline),
    csat(db, inScope),
  ]);
  const a = alerts.rows[0]!;
  const c = customers.rows[0]!;
  const f = followUps.rows[0]!;
  return {
    incidents: Number(incidents.rows[0]!.n),
    timeToAlert: {
      alerts: a.alerts, p50Seconds: round(a.p50), p90Seconds: round(a.p90), maxSeconds: round(a.max), dryRunExcluded: a.dry,
      fromStart: { p50Seconds: round(a.s50), p90Seconds: round(a.s90), maxSeconds: round(a.smax) },
    },
    affectedCustomers: Number(c.affected),
    outreach: { reached: Number(c.reached), share: share(Number(c.reached), Number(c.affected)) },
    escalations: escalationMetrics,
    csat: csatMetrics,
    resolutionNotice: { eligible: Number(c.eligible), notified: Number(c.notified), share: share(Number(c.notified), Number(c.eligible)) },
    followUps: { due: Number(f.due), done: Number(f.done), share: share(Number(f.done), Number(f.due)) },
  };
}
