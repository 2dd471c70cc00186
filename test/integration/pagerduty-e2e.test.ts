/**
 * End to end, as in production but on one machine: the real API, a real worker running the real
 * workflow bundle and activities, the Temporal dev server, embedded Postgres, and a local fake
 * Slack spoken to by the real @slack/web-api client. A signed PagerDuty webhook goes in; CSM DMs
 * come out.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildApp } from '../../api/app';
import { createActivities } from '../../activities';
import { loadConfig, type Config } from '../../config';
import { applyImport } from '../../db/import';
import { validateImport } from '../../domain/import';
import { FakeSlack } from '../fakes/slack';
import { createTestDb, type TestDb } from '../helpers/db';
import { createDevServerEnv, workflowBundle } from '../helpers/temporal';

const SECRET = 'pd-webhook-secret';
const fixture = (name: string) => readFileSync(path.resolve(__dirname, '../fixtures/pagerduty', name), 'utf8');

const customerBase = {
  csms: [
    { email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UANA', managerEmail: 'lee@corp.example' },
    { email: 'ben@corp.example', name: 'Ben Okafor', slackUserId: 'UBEN', managerEmail: 'lee@corp.example' },
    { email: 'cat@corp.example', name: 'Cat Moreau', slackUserId: 'UCAT', managerEmail: 'lee@corp.example' },
  ],
  components: [
    { key: 'api-gateway', name: 'API Gateway', aliases: [{ source: 'pagerduty', externalId: 'PF9KMXH' }] },
    { key: 'billing', name: 'Billing' },
  ],
  customers: [
    { externalId: 'acct-1', name: 'TechCorp', arr: 500000, segment: 'enterprise', region: 'us-east', csmEmail: 'ana@corp.example',
      contactName: 'Sam Lee', contactEmail: 'sam@techcorp.example', components: [{ key: 'api-gateway', usage: 'heavy' }] },
    { externalId: 'acct-2', name: 'SmallBiz', arr: 25000, segment: 'smb', region: 'us-east', csmEmail: 'ana@corp.example',
      contactName: 'Pat Doe', contactEmail: 'pat@smallbiz.example', components: [{ key: 'api-gateway', usage: 'light' }] },
    { externalId: 'acct-3', name: 'GlobalInc', arr: 350000, segment: 'enterprise', region: 'eu-west', csmEmail: 'ben@corp.example',
      contactName: 'Kim Wu', contactEmail: 'kim@globalinc.example', components: [{ key: 'api-gateway', usage: 'moderate', integrationDependent: true }] },
    { externalId: 'acct-4', name: 'PayCo', arr: 900000, segment: 'enterprise', region: 'us-east', csmEmail: 'cat@corp.example',
      contactName: 'Lou Ma', contactEmail: 'lou@payco.example', components: [{ key: 'billing', usage: 'heavy' }] },
  ],
  templates: [
    { key: 'p1-any', severity: 'P1', body: 'We are investigating {{incident.title}} and will update you every 30 minutes.', approvedBy: 'comms@corp.example' },
  ],
};

function signed(body: string) {
  const signature = `v1=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return { 'content-type': 'application/json', 'x-pagerduty-signature': signature };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('PagerDuty webhook to CSM DMs, end to end', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDb;
  let slack: FakeSlack;
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;
  let config: Config;

  before(async () => {
    [env, t, slack] = await Promise.all([
      createDevServerEnv(),
      createTestDb(),
      FakeSlack.start({
        users: [
          { id: 'UANA', email: 'ana@corp.example', name: 'ana', tz: 'America/New_York' },
          { id: 'UBEN', email: 'ben@corp.example', name: 'ben', tz: 'Europe/Paris' },
          { id: 'UCAT', email: 'cat@corp.example', name: 'cat' },
          { id: 'ULEE', email: 'lee@corp.example', name: 'lee' },
        ],
      }),
    ]);
    const imported = await applyImport(t.db, validateImport(customerBase));
    assert.ok(imported.ok, JSON.stringify(imported));
    config = loadConfig({
      API_TOKENS: 'e2e-api-token-0123456789', PAGERDUTY_WEBHOOK_SECRETS: `old-secret,${SECRET}`,
      SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, TEMPORAL_TASK_QUEUE: 'e2e-pagerduty',
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    });
    worker = await Worker.create({
      connection: env.nativeConnection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
      workflowBundle: await workflowBundle(), activities: createActivities({ config, db: t.db, temporal: env.client }),
    });
    running = worker.run();
    app = await buildApp({ config, db: t.db, temporal: env.client });
  });

  after(async () => {
    await app?.close();
    worker?.shutdown();
    await running?.catch(() => {});
    await slack?.close();
    await t?.close();
    await env?.teardown();
  });

  test('incident.triggered: each affected CSM gets one DM with exactly their customers', async () => {
    const body = fixture('incident.triggered.json');
    const res = await app.inject({ method: 'POST', url: '/api/webhooks/pagerduty', headers: signed(body), payload: body });
    assert.equal(res.statusCode, 202, res.body);

    const [ana] = await waitFor('Ana\'s alert', () => slack.dmsTo('UANA').length > 0 && slack.dmsTo('UANA'));
    const [ben] = await waitFor('Ben\'s alert', () => slack.dmsTo('UBEN').length > 0 && slack.dmsTo('UBEN'));
    assert.match(ana.text, /P1 INCIDENT: A little bump in the road/);
    assert.ok(ana.text.indexOf('TechCorp') < ana.text.indexOf('SmallBiz'), 'highest impact first');
    assert.doesNotMatch(ana.text, /GlobalInc|PayCo/);
    assert.match(ana.text, /\$525K/);
    assert.match(ben.text, /GlobalInc/);
    assert.doesNotMatch(ben.text, /TechCorp|SmallBiz|PayCo/);
    assert.equal(slack.dmsTo('UCAT').length, 0, 'a CSM without affected customers hears nothing');
    const warRoom = await waitFor('the war room', () => [...slack.channels.values()].find((c) => !c.isIm && /^incident-.+-response$/.test(c.name)));
    for (const member of ['UANA', 'UBEN', 'ULEE']) assert.ok(warRoom.members.has(member), `${member} invited to the war room`);
    assert.ok(!warRoom.members.has('UCAT'));
  });

  test('the same delivery again answers 2xx and changes nothing', async () => {
    const body = fixture('incident.triggered.json');
    const res = await app.inject({ method: 'POST', url: '/api/webhooks/pagerduty', headers: signed(body), payload: body });
    assert.ok(res.statusCode >= 200 && res.statusCode < 300, res.body);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(slack.dmsTo('UANA').length, 1);
    assert.equal(slack.dmsTo('UBEN').length, 1);
    const deliveries = await t.db.selectFrom('webhook_deliveries').selectAll().where('source', '=', 'pagerduty').execute();
    assert.equal(deliveries.length, 1);
  });

  test('a tampered body is refused and recorded nowhere', async () => {
    const body = fixture('incident.resolved.json');
    const res = await app.inject({ method: 'POST', url: '/api/webhooks/pagerduty', headers: signed(body), payload: body.replace('PGR0VU2', 'PGR0VU3') });
    assert.equal(res.statusCode, 401);
    assert.equal((await t.db.selectFrom('webhook_deliveries').selectAll().execute()).length, 1);
  });

  test('incident.resolved: every alerted CSM gets the resolution message', async () => {
    const warRooms = [...slack.channels.values()].filter((c) => !c.isIm && /^incident-.+-response$/.test(c.name));
    assert.equal(warRooms.length, 1, 'still one war room');
    const body = fixture('incident.resolved.json');
    const res = await app.inject({ method: 'POST', url: '/api/webhooks/pagerduty', headers: signed(body), payload: body });
    assert.equal(res.statusCode, 202, res.body);
    const resolvedFor = (user: string) => {
      const im = slack.imChannelOf(user);
      return im ? slack.messagesIn(im.id).find((m) => /INCIDENT RESOLVED/.test(m.text)) : undefined;
    };
    const ana = await waitFor('Ana\'s resolution message', () => resolvedFor('UANA'));
    await waitFor('Ben\'s resolution message', () => resolvedFor('UBEN'));
    assert.match(ana.text, /A little bump in the road/);
    assert.equal(resolvedFor('UCAT'), undefined);
    const incident = await t.db.selectFrom('product_incidents').selectAll().executeTakeFirstOrThrow();
    assert.equal(incident.status, 'resolved');
  });
});
