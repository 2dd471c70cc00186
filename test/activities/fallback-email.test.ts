import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../config';
import { createSlackActivities } from '../../activities/slack';
import type { CsmMessageInput, IncidentActivities, NotifyResult } from '../../activities/types';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { FakeSlack } from '../fakes/slack';
import { FakeGmail } from '../fakes/gmail';
import { seedCustomerBase } from '../helpers/impact-seed';
import { exampleIncident } from '../helpers/incident';

const SENDER = 'forewarn@corp.example';
const ANA = 'ana@corp.example';
const BO = 'bo@corp.example';
const CY = 'cy@corp.example';
const incident = exampleIncident({ components: ['api-gateway'] });
const totals = { customers: 3, arrAtRisk: 940_000, businessImpact: 10, highImpact: 1 };

describe('fallback delivery: a CSM Slack cannot reach gets the alert by email', () => {
  let slack: FakeSlack;
  let google: FakeGmail;
  let keyFile: string;
  let testDb: TestDb;
  let activities: Pick<IncidentActivities, 'sendCsmMessage'>;

  before(async () => {
    [slack, google] = await Promise.all([
      // Bo has no Slack account at all (users_not_found).
      FakeSlack.start({ users: [{ id: 'UANA', email: ANA, name: 'Ana Ruiz', tz: 'UTC' }, { id: 'UCY', email: CY, name: 'Cy Diaz', tz: 'UTC' }] }),
      FakeGmail.start(),
    ]);
    keyFile = google.writeServiceAccountKey();
  });
  after(async () => {
    await testDb?.close();
    await Promise.all([slack.close(), google.close()]);
    await stopTestPostgres();
  });

  const config = (extra: Record<string, string> = {}) => loadConfig({
    NODE_ENV: 'test', SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, ALERT_FALLBACK_SENDER: SENDER,
    GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile, GMAIL_API_ROOT_URL: google.rootUrl, GOOGLE_TOKEN_URL: google.tokenUrl, ...extra,
  });

  beforeEach(async () => {
    await testDb?.close();
    testDb = await createTestDb();
    const { db } = testDb;
    const seeded = await seedCustomerBase(db, {
      csms: [{ email: ANA, name: 'Ana Ruiz' }, { email: BO, name: 'Bo Chen' }, { email: CY, name: 'Cy Diaz' }],
      components: [{ key: 'api-gateway', name: 'API Gateway' }],
      customers: [
        { name: 'TechCorp', arr: 500_000, segment: 'enterprise', region: 'us-east', csm: ANA, uses: [{ key: 'api-gateway', usage: 'heavy' }] },
        { name: 'GlobalInc', arr: 350_000, segment: 'enterprise', region: 'us-east', csm: BO, uses: [{ key: 'api-gateway', usage: 'moderate' }] },
        { name: 'Acme', arr: 90_000, segment: 'smb', region: 'eu-west', csm: CY, uses: [{ key: 'api-gateway', usage: 'light' }] },
      ],
    });
    await db.insertInto('product_incidents').values({
      id: incident.id, source: incident.source, external_id: incident.externalId, workflow_id: incident.workflowId, title: incident.title,
      severity: incident.severity, status: incident.status, affected_components: incident.components, started_at: incident.startedAt,
    }).execute();
    await db.insertInto('incident_customer_impact').values(['TechCorp', 'GlobalInc', 'Acme'].map((name, i) => ({
      incident_id: incident.id, customer_id: seeded.customerIds[name]!, impact_level: i === 0 ? 'high' as const : 'medium' as const,
      reason: 'Heavy API Gateway user', priority_rank: i + 1, affected_revision: 0,
    }))).execute();
    slack.reset();
    google.reset();
    activities = createSlackActivities({ config: config(), db });
  });

  const message = (csmEmail: string, over: Partial<CsmMessageInput> = {}): CsmMessageInput => ({
    idempotencyKey: `${incident.workflowId}:alert:${csmEmail}:1`, kind: 'alert', incident, csmEmail, totals,
    dashboardUrl: 'http://127.0.0.1:3000/dashboard', ...over,
  });
  const outbox = (key: string) => testDb.db.selectFrom('notifications').select(['channel', 'kind', 'status', 'error', 'recipient'])
    .where('idempotency_key', '=', key).executeTakeFirst();

  test('a deactivated account and a user Slack does not know get the alert by email from the sender, once', async () => {
    slack.failUser(ANA, 'account_inactive');
    const [ana, bo, cy] = await Promise.all([ANA, BO, CY].map((email) => activities.sendCsmMessage(message(email))));
    assert.deepEqual({ status: ana.status, via: ana.via }, { status: 'sent', via: 'email' });
    assert.deepEqual({ status: bo.status, via: bo.via }, { status: 'sent', via: 'email' });
    assert.deepEqual({ status: cy.status, via: cy.via }, { status: 'sent', via: undefined });
    assert.equal(slack.dmsTo('UCY').length, 1);

    assert.equal(google.sent.length, 2);
    const toAna = google.sent.find((m) => m.parsed.to.includes(ANA))!;
    assert.equal(toAna.mailbox, SENDER, 'sent from the configured sender\'s mailbox (impersonated)');
    assert.match(toAna.parsed.from, /Forewarn <forewarn@corp\.example>/);
    assert.equal(toAna.parsed.subject, '[Forewarn] Incident alert: P1 API Latency Issues');
    assert.match(toAna.parsed.text, /could not reach you on Slack \(account_inactive\)/);
    assert.match(toAna.parsed.text, /TechCorp - \$500K ARR/);
    assert.doesNotMatch(toAna.parsed.text, /:rotating_light:/);
    assert.match(toAna.parsed.text, /#\/incidents\/[0-9a-f-]+\?csm=ana%40corp\.example/);
    assert.match(google.sent.find((m) => m.parsed.to.includes(BO))!.parsed.text, /users_not_found/);

    const key = message(ANA).idempotencyKey;
    assert.deepEqual(await outbox(key), { channel: 'slack', kind: 'alert', status: 'failed', error: 'account_inactive', recipient: ANA });
    assert.deepEqual(await outbox(`${key}:email`), { channel: 'email', kind: 'fallback_alert', status: 'sent', error: null, recipient: ANA });
    // The CSM counts as told: their customers are stamped notified.
    const stamped = await testDb.db.selectFrom('incident_customer_impact').select('csm_notified_at').where('incident_id', '=', incident.id).execute();
    assert.ok(stamped.every((r) => r.csm_notified_at));

    // A retried activity sends nothing again.
    const again = await activities.sendCsmMessage(message(ANA));
    assert.deepEqual({ status: again.status, via: again.via }, { status: 'duplicate', via: 'email' });
    assert.equal(google.sent.length, 2);
  });

  test('updates and the resolution follow the same way; reminders stay in Slack', async () => {
    slack.failUser(ANA, 'account_inactive');
    const resolved = { ...incident, status: 'resolved' as const, resolvedAt: new Date().toISOString() };
    const result = await activities.sendCsmMessage(message(ANA, { idempotencyKey: `${incident.workflowId}:resolution:${ANA}:1`, kind: 'resolution', incident: resolved }));
    assert.equal(result.via, 'email');
    assert.equal(google.sent[0]!.parsed.subject, '[Forewarn] Resolved: P1 API Latency Issues');
    const update = await activities.sendCsmMessage(message(ANA, { idempotencyKey: `${incident.workflowId}:update:${ANA}:2`, kind: 'update', changes: ['Status: Identified'] }));
    assert.equal(update.via, 'email');
    assert.equal(google.sent[1]!.parsed.subject, '[Forewarn] Update: P1 API Latency Issues');
    assert.match(google.sent[1]!.parsed.text, /so this update comes by email/);
    assert.match(google.sent[1]!.parsed.text, /Status: Identified/);
    const reminder = await activities.sendCsmMessage(message(ANA, { idempotencyKey: `${incident.workflowId}:update_reminder:${ANA}:3`, kind: 'update_reminder', changes: ['No public update for 45 minutes'] }));
    assert.deepEqual({ status: reminder.status, error: reminder.error }, { status: 'failed', error: 'account_inactive' });
    assert.equal(google.sent.length, 2);
  });

  test('Slack failing again and again: retried by Temporal at first, emailed from ALERT_FALLBACK_AFTER_ATTEMPTS on', async () => {
    const early = new MockActivityEnvironment({ attempt: 1 });
    slack.failNext('chat.postMessage', 'internal_error', 1);
    await assert.rejects(early.run(activities.sendCsmMessage, message(CY)), /internal_error/);
    assert.equal(google.sent.length, 0);

    const late = new MockActivityEnvironment({ attempt: 5 });
    slack.failNext('chat.postMessage', 'internal_error', 1);
    const result = await late.run(activities.sendCsmMessage, message(CY)) as NotifyResult;
    assert.deepEqual({ status: result.status, via: result.via }, { status: 'sent', via: 'email' });
    assert.match(google.sent[0]!.parsed.text, /internal_error \(attempt 5\)/);
    assert.equal((await outbox(message(CY).idempotencyKey))?.status, 'failed');
  });

  test('without a sender nothing changes: the failure is recorded; an email Gmail refuses is named too', async () => {
    slack.failUser(ANA, 'account_inactive');
    const plain = createSlackActivities({ config: loadConfig({ NODE_ENV: 'test', SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl }), db: testDb.db });
    const failed = await plain.sendCsmMessage(message(ANA));
    assert.deepEqual({ status: failed.status, error: failed.error }, { status: 'failed', error: 'account_inactive' });
    assert.equal(google.sent.length, 0);

    google.denyMailbox(SENDER);
    const refused = await activities.sendCsmMessage(message(ANA, { idempotencyKey: 'other-run:alert:ana:1' }));
    assert.equal(refused.status, 'failed');
    assert.match(refused.error ?? '', /^account_inactive; email: mailbox_unavailable/);
  });
});
