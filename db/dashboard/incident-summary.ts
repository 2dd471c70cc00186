/**
 * The incident row every dashboard view shows: the incident with its outreach counts and last CSM
 * alert, aggregated in Postgres by one lateral join per incident.
 */
import { sql } from 'kysely';
import { incidentIdFor } from '../../domain/incident-state';
import type { LinkedSourceView } from '../../domain/incident/sources';
import { iso, num } from './shared';

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
  /** The source incidents that feed it when several do (correlation); [] for one source. */
  linkedSources: LinkedSourceView[];
  /** Merged into another incident (its id and title), which follows it from then on. */
  mergedInto: { incidentId: string; workflowId: string; title: string | null } | null;
}

/** Counts of affected customers by outreach status, as SQL select fragments over `ici`. */
const outreachColumns = sql`
  count(*) filter (where ici.impact_level <> 'none')::int as affected,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'pending')::int as pending,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'drafted')::int as drafted,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'sent')::int as sent,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'responded')::int as responded,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'resolution_sent')::int as resolution_sent,
  count(*) filter (where ici.impact_level <> 'none' and ici.outreach_status = 'followed_up')::int as followed_up`;

export interface IncidentRow {
  id: string; workflow_id: string; source: string; external_id: string; title: string; severity: string; status: string;
  affected_components: string[]; started_at: Date; resolved_at: Date | null; detected_at: Date; affected_customer_count: number;
  arr_at_risk: string; business_impact_estimate: string; status_page_url: string | null; slack_channel_id: string | null;
  affected: number | null; pending: number | null; drafted: number | null; sent: number | null; responded: number | null;
  resolution_sent: number | null; followed_up: number | null; last_alert_at: Date | null;
  linked_sources: unknown; merged_into: string | null; merged_into_title: string | null;
}

export function toSummary(r: IncidentRow): IncidentSummary {
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
    linkedSources: Array.isArray(r.linked_sources) ? r.linked_sources as LinkedSourceView[] : [],
    mergedInto: r.merged_into ? { incidentId: incidentIdFor(r.merged_into), workflowId: r.merged_into, title: r.merged_into_title } : null,
  };
}

export const incidentColumns = sql`
  i.id, i.workflow_id, i.source, i.external_id, i.title, i.severity, i.status, i.affected_components, i.started_at,
  i.resolved_at, i.detected_at, i.affected_customer_count, i.arr_at_risk, i.business_impact_estimate, i.status_page_url,
  i.slack_channel_id, o.affected, o.pending, o.drafted, o.sent, o.responded, o.resolution_sent, o.followed_up,
  coalesce(na.last_alert_at, o.last_alert_at) as last_alert_at, i.linked_sources, i.merged_into,
  (select m.title from product_incidents m where m.workflow_id = i.merged_into) as merged_into_title`;

export const outreachLateral = sql`
  left join lateral (
    select ${outreachColumns}, max(ici.csm_notified_at) as last_alert_at
    from incident_customer_impact ici where ici.incident_id = i.id
  ) o on true
  -- The last CSM alert as the outbox recorded it (what GET /api/metrics/summary measures); customer rows as fallback.
  left join lateral (
    select max(n.sent_at) as last_alert_at from notifications n
    where n.incident_id = i.id and n.kind = 'alert' and n.status in ('sent', 'dry_run')
  ) na on true`;
