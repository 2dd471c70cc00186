/** One incident in full: a page of its customers, totals per CSM, timeline and follow-ups. */
import { sql, type Kysely } from 'kysely';
import { problemView, type IncidentProblemView } from '../incident-problems';
import { incidentOutcomes, type IncidentOutcomes } from '../success-metrics';
import { CLOSED_STATUSES } from '../../domain/types';
import type { Database } from '../types';
import { acknowledgedBy, iso, num } from './shared';
import { incidentColumns, outreachLateral, toSummary, type IncidentRow, type IncidentSummary } from './incident-summary';

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
  /**
   * How the CSM's alert reached them: Slack, email (Slack could not deliver it: activities/fallback-email.ts),
   * not reached (both failed, or no fallback sender), or null (no alert sent yet).
   */
  reachedVia: ReachedVia | null;
  /** Why Slack could not deliver the alert, when it could not. */
  slackError: string | null;
}

export const REACHED_VIA = ['slack', 'email', 'not_reached'] as const;
export type ReachedVia = (typeof REACHED_VIA)[number];

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
  incident: IncidentSummary & { description: string | null; regions: string[]; latestMessage: string | null;
    /** The latest part of the incident Forewarn could not process (Postgres refused the data), or null. */
    lastProblem: IncidentProblemView | null;
    /** The post-mortem, once linked: who set it and when. */
    postMortem: { url: string; setBy: string | null; setAt: string | null } | null;
    ownerEmail: string | null };
  /** One page, in the requested order. */
  customers: DetailCustomer[];
  /** Every impact row, including customers no longer affected. */
  customersTotal: number;
  byCsm: CsmTotals[];
  timeline: TimelineItem[];
  timelineTotal: number;
  followUps: FollowUpItem[];
  /** Its customers' support tickets during the incident (split at their CSM's first contact) and their ratings. */
  outcomes: IncidentOutcomes;
  /** Other open incidents a person could merge into this one (most recent first). */
  mergeCandidates: { id: string; title: string; severity: string; source: string; externalId: string }[];
}

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
  /** Only this CSM's customers (the link in a CSM's alert: "…and N more"). */
  csm?: string;
}

export const DEFAULT_DETAIL_OPTIONS: DetailOptions = { sort: 'priority', dir: 'asc', limit: 200, offset: 0, timelineLimit: 300 };

/** Accepts the incident's uuid or its workflow id (what the Temporal UI and Slack show). */
export async function getIncidentDetail(db: Kysely<Database>, idOrWorkflowId: string, opts: DetailOptions = DEFAULT_DETAIL_OPTIONS): Promise<IncidentDetail | undefined> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrWorkflowId);
  const found = await sql<IncidentRow & { description: string | null; affected_regions: string[]; latest_message: string | null;
    last_problem: string | null; last_problem_step: string | null; last_problem_at: Date | null; problem_count: number;
    post_mortem_url: string | null; post_mortem_set_by: string | null; post_mortem_set_at: Date | null; owner_email: string | null }>`
    select ${incidentColumns}, i.description, i.affected_regions, i.latest_message,
      i.last_problem, i.last_problem_step, i.last_problem_at, i.problem_count,
      i.post_mortem_url, i.post_mortem_set_by, i.post_mortem_set_at, i.owner_email
    from product_incidents i ${outreachLateral}
    where ${isUuid ? sql`i.id = ${idOrWorkflowId}::uuid` : sql`i.workflow_id = ${idOrWorkflowId}`}`.execute(db);
  const row = found.rows[0];
  if (!row) return undefined;
  const incidentId = row.id;
  // A CSM's alert may have gone out from an incident merged into this one (their thread came over with it).
  const alertedFrom = sql`(select ${incidentId}::uuid union all select m.id from product_incidents m where m.merged_into = ${row.workflow_id})`;

  const [customers, customerCount, byCsm, timeline, timelineCount, followUps, mergeCandidates, outcomes] = await Promise.all([
    db.selectFrom('incident_customer_impact as ici')
      .innerJoin('customers as cu', 'cu.id', 'ici.customer_id')
      .leftJoin('csms as cs', 'cs.id', 'cu.csm_id')
      .select([
        'ici.customer_id', 'cu.external_id', 'cu.name', 'cu.arr', 'cu.segment', 'cu.region', 'ici.impact_level', 'ici.reason',
        'ici.business_impact_estimate', 'ici.priority_rank', 'ici.outreach_status', 'ici.outreach_updated_at', 'ici.csm_notified_at',
        'ici.customer_notified_at', 'ici.resolution_notified_at', 'cs.email as csm_email', 'cs.name as csm_name',
      ])
      .where('ici.incident_id', '=', incidentId)
      .$if(Boolean(opts.csm), (q) => q.where((eb) => eb(eb.fn('lower', ['cs.email']), '=', opts.csm!.toLowerCase())))
      .orderBy(customerOrder(opts.sort, opts.dir))
      .limit(opts.limit).offset(opts.offset)
      .execute(),
    db.selectFrom('incident_customer_impact as ici')
      .$if(Boolean(opts.csm), (q) => q.innerJoin('customers as cu', 'cu.id', 'ici.customer_id').innerJoin('csms as cs', 'cs.id', 'cu.csm_id')
        .where((eb) => eb(eb.fn('lower', ['cs.email']), '=', opts.csm!.toLowerCase())))
      .select((eb) => eb.fn.countAll<string>().as('n')).where('ici.incident_id', '=', incidentId)
      .executeTakeFirstOrThrow(),
    sql<{ email: string | null; name: string | null; customers: number; arr: string | null; high: number; pending: number; drafted: number;
      sent: number; responded: number; alerted_at: Date | null; acknowledged_at: Date | null; reached_via: ReachedVia | null;
      slack_error: string | null }>`
      select cs.email, cs.name, count(*)::int as customers, sum(cu.arr) as arr,
        count(*) filter (where ici.impact_level = 'high')::int as high,
        count(*) filter (where ici.outreach_status = 'pending')::int as pending,
        count(*) filter (where ici.outreach_status = 'drafted')::int as drafted,
        count(*) filter (where ici.outreach_status in ('sent', 'resolution_sent'))::int as sent,
        count(*) filter (where ici.outreach_status in ('responded', 'followed_up'))::int as responded,
        min(ici.csm_notified_at) as alerted_at,
        (select min(u.occurred_at) from incident_updates u where u.incident_id = ${incidentId}::uuid and u.kind = 'acknowledged'
           and cs.id is not null and ${acknowledgedBy}) as acknowledged_at,
        (select case
            when bool_or(n.channel = 'slack' and n.status in ('sent', 'dry_run')) then 'slack'
            when bool_or(n.channel = 'email' and n.status in ('sent', 'dry_run')) then 'email'
            when bool_or(n.status = 'failed') then 'not_reached' end
          from notifications n where n.incident_id in ${alertedFrom} and n.kind in ('alert', 'fallback_alert')
            and lower(n.recipient) = lower(cs.email)) as reached_via,
        (select n.error from notifications n where n.incident_id in ${alertedFrom} and n.kind = 'alert' and n.status = 'failed'
            and lower(n.recipient) = lower(cs.email) order by n.created_at desc limit 1) as slack_error
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
    db.selectFrom('product_incidents').select(['id', 'title', 'severity', 'source', 'external_id'])
      .where('id', '<>', incidentId).where('merged_into', 'is', null).where('status', 'not in', CLOSED_STATUSES)
      .orderBy('started_at', 'desc').limit(50).execute(),
    incidentOutcomes(db, incidentId),
  ]);

  return {
    incident: {
      ...toSummary(row), description: row.description, regions: row.affected_regions, latestMessage: row.latest_message, lastProblem: problemView(row),
      postMortem: row.post_mortem_url
        ? { url: row.post_mortem_url, setBy: row.post_mortem_set_by, setAt: row.post_mortem_set_at ? new Date(row.post_mortem_set_at).toISOString() : null }
        : null,
      ownerEmail: row.owner_email,
    },
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
      reachedVia: r.reached_via,
      slackError: r.slack_error,
    })),
    customersTotal: Number(customerCount.n),
    // Read newest first (to keep the newest when capped), shown oldest first.
    timeline: timeline.reverse().map((t) => ({ kind: t.kind, summary: t.summary, actor: t.actor, occurredAt: iso(t.occurred_at)! })),
    timelineTotal: Number(timelineCount.n),
    followUps: followUps.map((f) => ({ kind: f.kind, csmEmail: f.csm_email, dueAt: iso(f.due_at)!, status: f.status, doneAt: iso(f.done_at) })),
    mergeCandidates: mergeCandidates.map((m) => ({ id: m.id, title: m.title, severity: m.severity, source: m.source, externalId: m.external_id })),
    outcomes,
  };
}
