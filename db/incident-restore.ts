/**
 * What a reopened incident's new workflow run needs from Postgres (the record is the truth once the
 * old run has finished): the incident as last recorded, the CSMs who were alerted and the thread of
 * each alert (so the news that it is back goes there, and nobody gets a second top-level alert), each
 * CSM's share of the customers still affected, the war room, and the latest analysis revision.
 * Bounded like the workflow's state: per CSM, never per customer.
 */
import { sql, type Kysely } from 'kysely';
import type { CsmSummary, IncidentState } from '../domain/incident/model';
import type { Incident, IncidentSource, IncidentStatus, Severity } from '../domain/types';
import { DELIVERED_STATUSES } from './outbox';
import type { Database } from './types';

const iso = (d: Date | string | null | undefined): string | undefined => (d === null || d === undefined ? undefined : new Date(d).toISOString());

/** The incident of `workflowId` as its finished run left it (phase completed), or null when it was never recorded. */
export async function restoreIncidentState(db: Kysely<Database>, workflowId: string, now: string): Promise<IncidentState | null> {
  const row = await db.selectFrom('product_incidents').selectAll().where('workflow_id', '=', workflowId).executeTakeFirst();
  if (!row) return null;
  const delivered = sql.join(DELIVERED_STATUSES.map((s) => sql.lit(s)));
  // Each CSM's first delivered alert; an alert folded into a storm digest lives in the digest's thread.
  const alerts = await sql<{ email: string; alerted_at: Date | null; channel: string | null; ts: string | null }>`
    select distinct on (lower(n.recipient)) n.recipient as email, coalesce(n.sent_at, n.created_at) as alerted_at,
           coalesce(d.channel, n.provider_channel) as channel, coalesce(d.ts, n.provider_ref) as ts
    from notifications n left join alert_digests d on d.idempotency_key = n.digest_key
    where n.incident_id = ${row.id} and n.kind = 'alert' and n.status in (${delivered})
    order by lower(n.recipient), n.created_at`.execute(db);
  const shares = await sql<{ email: string; slack_user_id: string | null; customers: number; arr: string; high: number }>`
    select m.email, m.slack_user_id, count(*)::int as customers, coalesce(sum(c.arr), 0)::text as arr,
           (count(*) filter (where i.impact_level = 'high'))::int as high
    from incident_customer_impact i join customers c on c.id = i.customer_id join csms m on m.id = c.csm_id
    where i.incident_id = ${row.id} and i.impact_level <> 'none'
    group by m.email, m.slack_user_id`.execute(db);
  const revision = await sql<{ revision: number }>`
    select coalesce(max(greatest(coalesce(affected_revision, 0), coalesce(unaffected_revision, 0))), 0)::int as revision
    from incident_customer_impact where incident_id = ${row.id}`.execute(db);
  const room = row.slack_channel_id
    ? await db.selectFrom('notifications').select('recipient').where('incident_id', '=', row.id).where('kind', '=', 'war_room').executeTakeFirst()
    : undefined;

  const share = new Map(shares.rows.map((r) => [r.email.toLowerCase(), r]));
  const csms: CsmSummary[] = alerts.rows.map((a) => {
    const s = share.get(a.email.toLowerCase());
    return {
      email: a.email, ...(s?.slack_user_id ? { slackUserId: s.slack_user_id } : {}),
      customers: s?.customers ?? 0, arrAtRisk: Number(s?.arr ?? 0), highImpact: s?.high ?? 0,
      alertedAt: iso(a.alerted_at) ?? now, ...(a.channel && a.ts ? { thread: { channel: a.channel, ts: a.ts } } : {}),
    };
  });
  const incident: Incident = {
    id: row.id, workflowId: row.workflow_id, source: row.source as IncidentSource, externalId: row.external_id, title: row.title,
    ...(row.description !== null ? { description: row.description } : {}),
    status: row.status as IncidentStatus, severity: row.severity as Severity,
    components: row.affected_components, regions: row.affected_regions, startedAt: iso(row.started_at)!,
    ...(row.resolved_at ? { resolvedAt: iso(row.resolved_at) } : {}),
    ...(row.status_page_url ? { statusPageUrl: row.status_page_url } : {}),
    ...(row.latest_message ? { message: row.latest_message } : {}),
  };
  // Events older than the end of the last run change nothing (the per-field time rule).
  const closedAt = iso(row.resolved_at) ?? iso(row.updated_at)!;
  const firstAlertAt = csms.map((c) => c.alertedAt!).sort()[0];
  return {
    incident,
    phase: 'completed',
    csms,
    ...(row.slack_channel_id ? { warRoom: { channelId: row.slack_channel_id, name: room?.recipient.replace(/^#/, '') ?? row.slack_channel_id } } : {}),
    totals: {
      customers: row.affected_customer_count, arrAtRisk: Number(row.arr_at_risk), businessImpact: Number(row.business_impact_estimate),
      highImpact: shares.rows.reduce((n, r) => n + r.high, 0),
    },
    detectedAt: iso(row.detected_at)!,
    ...(firstAlertAt ? { firstAlertAt } : {}),
    appliedAt: { status: closedAt, resolvedAt: closedAt },
    deliveryIds: [],
    revision: revision.rows[0]?.revision ?? 0,
    lastPublicUpdateAt: now,
    reopenedAt: now,
    ...(row.problem_count > 0 ? { problemCount: row.problem_count } : {}),
  };
}
