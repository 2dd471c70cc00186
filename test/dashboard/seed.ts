/**
 * A small, realistic read model for the dashboard tests, written straight into the tables the
 * incident workflow keeps: the product spec's five customers across three CSMs, one open P1 and one
 * resolved P3, the outbox messages they produced, timeline entries and follow-ups.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';

const MIN = 60_000;

export interface Seeded {
  csms: Record<'alice' | 'ben' | 'chloe', string>;
  customers: Record<'techcorp' | 'globalinc' | 'dataflow' | 'startupxyz' | 'smallbiz', string>;
  p1: { id: string; workflowId: string; detectedAt: Date };
  resolved: { id: string; workflowId: string };
}

export async function seedCustomers(db: Kysely<Database>): Promise<Pick<Seeded, 'csms' | 'customers'>> {
  const csm = async (email: string, name: string, slack: string) => (await db.insertInto('csms')
    .values({ email, name, slack_user_id: slack, manager_email: 'maria.lopez@forewarn.test', time_zone: 'America/New_York' })
    .returning('id').executeTakeFirstOrThrow()).id;
  const csms = {
    alice: await csm('alice.chen@forewarn.test', 'Alice Chen', 'U0ALICE'),
    ben: await csm('ben.ortiz@forewarn.test', 'Ben Ortiz', 'U0BEN'),
    chloe: await csm('chloe.park@forewarn.test', 'Chloe Park', 'U0CHLOE'),
  };
  const customer = async (externalId: string, name: string, arr: number, segment: 'enterprise' | 'mid-market' | 'smb', csmId: string) =>
    (await db.insertInto('customers').values({
      external_id: externalId, name, arr, segment, region: 'us-east', csm_id: csmId,
      contact_name: `${name} Ops`, contact_email: `ops@${name.toLowerCase()}.test`,
    }).returning('id').executeTakeFirstOrThrow()).id;
  const customers = {
    techcorp: await customer('CUST-001', 'TechCorp', 500_000, 'enterprise', csms.alice),
    globalinc: await customer('CUST-002', 'GlobalInc', 350_000, 'enterprise', csms.alice),
    dataflow: await customer('CUST-003', 'DataFlow', 200_000, 'mid-market', csms.ben),
    startupxyz: await customer('CUST-004', 'StartupXYZ', 50_000, 'smb', csms.ben),
    smallbiz: await customer('CUST-005', 'SmallBiz', 25_000, 'smb', csms.chloe),
  };
  return { csms, customers };
}

export async function seedIncident(db: Kysely<Database>, i: {
  source?: string; externalId: string; title: string; severity: string; status: string; startedAt: Date; detectedAt?: Date;
  resolvedAt?: Date; arrAtRisk: number; customers: number; components?: string[]; statusPageUrl?: string; slackChannelId?: string;
  businessImpact?: number; latestMessage?: string;
}): Promise<{ id: string; workflowId: string }> {
  const id = randomUUID();
  const source = i.source ?? 'pagerduty';
  const workflowId = `incident:${source}:${i.externalId}`;
  await db.insertInto('product_incidents').values({
    id, source, external_id: i.externalId, workflow_id: workflowId, title: i.title, severity: i.severity, status: i.status,
    affected_components: i.components ?? ['api-gateway'], affected_regions: [], started_at: i.startedAt,
    detected_at: i.detectedAt ?? i.startedAt, resolved_at: i.resolvedAt ?? null, arr_at_risk: i.arrAtRisk,
    affected_customer_count: i.customers, business_impact_estimate: i.businessImpact ?? 0, status_page_url: i.statusPageUrl ?? null,
    slack_channel_id: i.slackChannelId ?? null, latest_message: i.latestMessage ?? null,
  }).execute();
  return { id, workflowId };
}

export async function seedImpact(db: Kysely<Database>, incidentId: string, rows: {
  customerId: string; level: 'high' | 'medium' | 'low' | 'none'; reason: string; rank: number; outreach: string; estimate: number;
  csmNotifiedAt?: Date; resolutionNotifiedAt?: Date;
}[]): Promise<void> {
  await db.insertInto('incident_customer_impact').values(rows.map((r) => ({
    incident_id: incidentId, customer_id: r.customerId, impact_level: r.level, reason: r.reason, priority_rank: r.rank,
    outreach_status: r.outreach, business_impact_estimate: r.estimate, csm_notified_at: r.csmNotifiedAt ?? null,
    resolution_notified_at: r.resolutionNotifiedAt ?? null, outreach_updated_at: r.outreach === 'pending' ? null : new Date(),
  }))).execute();
}

export async function timeline(db: Kysely<Database>, incidentId: string, entries: { kind: string; summary: string; actor?: string; at: Date; details?: object }[]): Promise<void> {
  await db.insertInto('incident_updates').values(entries.map((e) => ({
    incident_id: incidentId, kind: e.kind, summary: e.summary, actor: e.actor ?? null, occurred_at: e.at,
    details: JSON.stringify(e.details ?? {}), dedupe_key: `${incidentId}:${e.kind}:${randomUUID()}`,
  }))).execute();
}

/** The P1 alert as the Slack activity stores it: fallback text plus Block Kit. */
export function p1AlertPayload(customers: string[], total: string) {
  return {
    text: ':rotating_light: P1 INCIDENT: API Latency Issues',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: '🚨 P1 INCIDENT: API Latency Issues' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Incident:* Q1ABC   *Status:* Investigating   *Started:* 2:30 PM EST' } },
      { type: 'section', text: { type: 'mrkdwn', text: `*Your Affected Customers (${customers.length}):*\n${customers.map((c, n) => `${n + 1}. ${c}`).join('\n')}` } },
      { type: 'section', text: { type: 'mrkdwn', text: `*Total ARR at Risk:* ${total}` } },
      { type: 'actions', elements: [
        { type: 'button', text: { type: 'plain_text', text: 'View Status Page' }, url: 'https://status.example.test/incidents/q1abc' },
        { type: 'button', text: { type: 'plain_text', text: 'Draft Customer Emails' }, action_id: 'draft_emails', style: 'primary' },
        { type: 'button', text: { type: 'plain_text', text: 'Join War Room' }, action_id: 'join_war_room' },
      ] },
    ],
  };
}

/** Everything the seeded browser test looks at. */
export async function seedDashboard(db: Kysely<Database>, now = new Date()): Promise<Seeded> {
  const { csms, customers } = await seedCustomers(db);
  const started = new Date(now.getTime() - 40 * MIN);
  const detected = new Date(started.getTime() + 60_000);
  const at = (base: Date, seconds: number) => new Date(base.getTime() + seconds * 1000);

  const p1 = await seedIncident(db, {
    externalId: 'Q1ABC', title: 'API Latency Issues', severity: 'P1', status: 'investigating', startedAt: started, detectedAt: detected,
    arrAtRisk: 1_125_000, customers: 5, components: ['api-gateway', 'data-pipeline'], businessImpact: 41_250,
    statusPageUrl: 'https://status.example.test/incidents/q1abc', slackChannelId: 'C0APIRESP',
    latestMessage: "We're currently experiencing elevated API latency. Our team is investigating.",
  });
  // Priority order differs from ARR order (DataFlow is integration-dependent), so sorting is visible.
  await seedImpact(db, p1.id, [
    { customerId: customers.techcorp, level: 'high', reason: 'Heavy API Gateway user', rank: 1, outreach: 'responded', estimate: 20_548, csmNotifiedAt: at(detected, 12) },
    { customerId: customers.dataflow, level: 'high', reason: 'Integration-dependent', rank: 2, outreach: 'drafted', estimate: 8_219, csmNotifiedAt: at(detected, 20) },
    { customerId: customers.globalinc, level: 'medium', reason: 'Moderate API Gateway user', rank: 3, outreach: 'sent', estimate: 7_192, csmNotifiedAt: at(detected, 12) },
    { customerId: customers.startupxyz, level: 'medium', reason: 'Moderate impact', rank: 4, outreach: 'pending', estimate: 1_027, csmNotifiedAt: at(detected, 20) },
    { customerId: customers.smallbiz, level: 'low', reason: 'Low impact', rank: 5, outreach: 'pending', estimate: 257, csmNotifiedAt: at(detected, 45) },
  ]);
  await timeline(db, p1.id, [
    { kind: 'created', summary: 'Incident opened from PagerDuty: API Latency Issues (P1, investigating)', at: detected },
    { kind: 'alert', summary: 'Alerted Alice Chen about 2 customers', at: at(detected, 12) },
    { kind: 'alert', summary: 'Alerted Ben Ortiz about 2 customers', at: at(detected, 20) },
    { kind: 'war_room', summary: 'Opened #incident-q1abc-response', at: at(detected, 25) },
    { kind: 'alert', summary: 'Alerted Chloe Park about 1 customer', at: at(detected, 45) },
    { kind: 'acknowledged', summary: 'Alice Chen acknowledged', actor: 'alice.chen@forewarn.test', at: at(detected, 90), details: { csmEmail: 'alice.chen@forewarn.test' } },
  ]);

  const rStarted = new Date(now.getTime() - 26 * 60 * MIN);
  const rDetected = new Date(rStarted.getTime() + 30_000);
  const resolved = await seedIncident(db, {
    source: 'generic', externalId: 'WH-7', title: 'Delayed webhook deliveries', severity: 'P3', status: 'resolved',
    startedAt: rStarted, detectedAt: rDetected, resolvedAt: new Date(rStarted.getTime() + 135 * MIN), arrAtRisk: 250_000, customers: 2,
    components: ['webhooks'],
  });
  await seedImpact(db, resolved.id, [
    { customerId: customers.dataflow, level: 'medium', reason: 'Moderate webhooks user', rank: 1, outreach: 'resolution_sent', estimate: 900, csmNotifiedAt: at(rDetected, 30), resolutionNotifiedAt: at(rDetected, 8200) },
    { customerId: customers.smallbiz, level: 'low', reason: 'Low impact', rank: 2, outreach: 'resolution_sent', estimate: 50, csmNotifiedAt: at(rDetected, 50), resolutionNotifiedAt: at(rDetected, 8200) },
  ]);
  await timeline(db, resolved.id, [
    { kind: 'created', summary: 'Incident opened: Delayed webhook deliveries', at: rDetected },
    { kind: 'resolution', summary: 'Resolved after 2 hours 15 minutes', at: new Date(rStarted.getTime() + 135 * MIN) },
  ]);
  await db.insertInto('follow_ups').values([
    { incident_id: resolved.id, kind: 'customer_follow_up', csm_email: 'ben.ortiz@forewarn.test', due_at: new Date(now.getTime() - 2 * MIN), status: 'done', done_at: new Date(now.getTime() - MIN) },
    { incident_id: resolved.id, kind: 'post_mortem', csm_email: null, due_at: new Date(now.getTime() + 48 * 60 * MIN), status: 'scheduled' },
  ]).execute();

  // Alice's P1 alert was rendered in dry-run (it reached nobody, so it is no time-to-alert sample); Slack accepted the others.
  const alert = (incident: { id: string; workflowId: string }, email: string, seconds: number, base: Date, payload: object, status = 'sent') => ({
    idempotency_key: `${incident.workflowId}:alert:${email}`, incident_id: incident.id, channel: 'slack' as const, recipient: email, kind: 'alert',
    payload: JSON.stringify(payload), status, created_at: at(base, seconds), sent_at: at(base, seconds),
  });
  const p3Alert = { text: ':large_yellow_circle: P3 INCIDENT: Delayed webhook deliveries' };
  await db.insertInto('notifications').values([
    alert(p1, 'alice.chen@forewarn.test', 12, detected, p1AlertPayload(
      [':rotating_light: TechCorp - $500K ARR - Heavy API Gateway user', ':warning: GlobalInc - $350K ARR - Moderate API Gateway user'], '$850K'), 'dry_run'),
    alert(p1, 'ben.ortiz@forewarn.test', 20, detected, p1AlertPayload(
      [':rotating_light: DataFlow - $200K ARR - Integration-dependent', ':warning: StartupXYZ - $50K ARR - Moderate impact'], '$250K')),
    alert(p1, 'chloe.park@forewarn.test', 45, detected, p1AlertPayload([':large_blue_circle: SmallBiz - $25K ARR - Low impact'], '$25K')),
    {
      idempotency_key: `${p1.workflowId}:outreach:techcorp`, incident_id: p1.id, channel: 'email', recipient: 'ops@techcorp.test', kind: 'outreach',
      payload: JSON.stringify({ from: 'alice.chen@forewarn.test', to: 'ops@techcorp.test', subject: 'Elevated API latency affecting TechCorp',
        body: 'Hi TechCorp Ops,\n\nWe are currently experiencing elevated API latency on the API Gateway you rely on.\n\nAlice' }),
      status: 'drafted', provider_ref: 'r-draft-1', created_at: at(detected, 30), sent_at: at(detected, 30),
    },
    {
      idempotency_key: `${p1.workflowId}:escalation:chloe`, incident_id: p1.id, channel: 'slack', recipient: 'maria.lopez@forewarn.test', kind: 'escalation',
      payload: JSON.stringify({ text: ':warning: Chloe Park has not acknowledged the P1 API Latency Issues' }), status: 'failed',
      error: 'users_not_found', attempts: 1, created_at: at(detected, 960),
    },
    alert(resolved, 'ben.ortiz@forewarn.test', 30, rDetected, p3Alert),
    alert(resolved, 'chloe.park@forewarn.test', 50, rDetected, p3Alert),
  ]).execute();

  // Escalations: TechCorp and StartupXYZ opened tickets before hearing from their CSM, GlobalInc after.
  await db.updateTable('incident_customer_impact').set({ customer_notified_at: at(detected, 300) })
    .where('incident_id', '=', p1.id).where('customer_id', 'in', [customers.techcorp, customers.globalinc]).execute();
  await db.insertInto('support_tickets').values([
    { ticket_id: 'ZD-101', customer_external_id: 'CUST-001', customer_id: customers.techcorp, subject: 'API timeouts', tags: ['api'], opened_at: at(started, 180) },
    { ticket_id: 'ZD-102', customer_external_id: 'CUST-002', customer_id: customers.globalinc, subject: 'Still slow?', tags: ['api'], opened_at: at(detected, 600) },
    { ticket_id: 'ZD-103', customer_external_id: 'CUST-004', customer_id: customers.startupxyz, subject: 'Dashboard slow', tags: [], opened_at: at(detected, 480) },
  ]).execute();
  // CSAT from the P3's resolution emails.
  await db.insertInto('csat_ratings').values([
    { incident_id: resolved.id, customer_id: customers.dataflow, rating: 5 },
    { incident_id: resolved.id, customer_id: customers.smallbiz, rating: 4 },
  ]).execute();

  return { csms, customers, p1: { ...p1, detectedAt: detected }, resolved };
}
