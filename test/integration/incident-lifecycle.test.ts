/**
 * The incident lifecycle steered by people and by late events, through the real stack on one
 * machine: the API (buildApp), the Temporal dev server, a real worker (real workflow bundle and
 * activities), embedded Postgres, and the fake Slack and Gmail.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { createActivities } from '../../activities';
import { buildApp } from '../../api/app';
import { loadConfig, type Config } from '../../config';
import { applyImport } from '../../db/import';
import { validateImport } from '../../domain/import';
import { FakeSlack, type FakeMessage } from '../fakes/slack';
import { FakeGmail } from '../fakes/gmail';
import { createTestDb, type TestDb } from '../helpers/db';
import { createDevServerEnv, workflowBundle } from '../helpers/temporal';

const TOKEN = 'lifecycle-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const CSMS = [
  { email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UANA', managerEmail: 'lee@corp.example' },
  { email: 'ben@corp.example', name: 'Ben Okafor', slackUserId: 'UBEN', managerEmail: 'lee@corp.example' },
  { email: 'dan@corp.example', name: 'Dan Berg', slackUserId: 'UDAN', managerEmail: 'lee@corp.example' },
  { email: 'lee@corp.example', name: 'Lee Park', slackUserId: 'ULEE' },
];
const SLACK_USERS = CSMS.map((c) => ({ id: c.slackUserId, email: c.email, name: c.email.split('@')[0]! }));

/** Ana and Ben look after checkout customers, Dan after search customers. */
const customerBase = {
  csms: CSMS,
  components: [{ key: 'checkout', name: 'Checkout' }, { key: 'search', name: 'Search' }],
  customers: [
    ['acct-1', 'Acme', 500_000, 'ana@corp.example', 'checkout', 'heavy'],
    ['acct-2', 'Globex', 200_000, 'ana@corp.example', 'checkout', 'light'],
    ['acct-3', 'Initech', 300_000, 'ben@corp.example', 'checkout', 'moderate'],
    ['acct-4', 'Umbrella', 100_000, 'dan@corp.example', 'search', 'heavy'],
  ].map(([externalId, name, arr, csmEmail, component, usage]) => ({
    externalId, name, arr, segment: Number(arr) >= 300_000 ? 'enterprise' : 'mid-market', region: 'us-east', csmEmail,
    contactName: `${name} Ops`, contactEmail: `ops@${String(name).toLowerCase()}.example`,
    components: [{ key: component, usage, integrationDependent: false }],
  })),
};

async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('incident lifecycle by hand and by events (dev server, Postgres, fake Slack and Gmail)', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDb;
  let slack: FakeSlack;
  let google: FakeGmail;
  let config: Config;
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;

  const dmsAbout = (userId: string, title: string): FakeMessage[] => slack.dmsTo(userId).filter((m) => m.text.includes(title));
  const incident = async (id: string) => (await app.inject({ method: 'GET', url: `/api/incidents/${id}`, headers: auth })).json();
  const timeline = async (id: string) => (await app.inject({ method: 'GET', url: `/api/incidents/${id}/timeline`, headers: auth })).json().entries as
    { kind: string; summary: string; actor: string | null }[];

  before(async () => {
    [env, t, slack, google] = await Promise.all([createDevServerEnv(), createTestDb(), FakeSlack.start({ users: SLACK_USERS }), FakeGmail.start()]);
    const imported = await applyImport(t.db, validateImport(customerBase));
    assert.ok(imported.ok, JSON.stringify(imported));
    config = loadConfig({
      NODE_ENV: 'test', TEMPORAL_TASK_QUEUE: 'it-incident-lifecycle', TEMPORAL_NAMESPACE: env.namespace ?? 'default', API_TOKENS: TOKEN,
      SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl,
      GOOGLE_SERVICE_ACCOUNT_KEY_FILE: google.writeServiceAccountKey(), GMAIL_API_ROOT_URL: google.rootUrl, GOOGLE_TOKEN_URL: google.tokenUrl,
    });
    worker = await Worker.create({
      connection: env.nativeConnection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
      workflowBundle: await workflowBundle(), activities: createActivities({ config, db: t.db, temporal: env.client }),
    });
    running = worker.run();
    app = await buildApp({ config, db: t.db, temporal: env.client });
    await app.ready();
  });

  after(async () => {
    await app?.close();
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => {});
    await slack?.close();
    await google?.close();
    await t?.close();
    await env?.teardown();
  });

  test('declared by hand: CSMs alerted; resolved by a person: resolution DMs, and the timeline says who', async () => {
    const title = 'Checkout declared by hand';
    const declared = await app.inject({
      method: 'POST', url: '/api/incidents', headers: { ...auth, 'idempotency-key': 'declare-1' },
      payload: { title, severity: 'P2', affectedComponents: ['checkout'], actor: 'ops@corp.example' },
    });
    assert.equal(declared.statusCode, 202, declared.body);
    const { incidentId, workflowId, status } = declared.json();
    assert.equal(status, 'accepted');
    assert.match(workflowId, /^incident:manual:\d{8}-[0-9a-f]{6}$/);

    // The same request again (a double click): the same incident, nothing new.
    const again = await app.inject({
      method: 'POST', url: '/api/incidents', headers: { ...auth, 'idempotency-key': 'declare-1' },
      payload: { title, severity: 'P2', affectedComponents: ['checkout'], actor: 'ops@corp.example' },
    });
    assert.equal(again.statusCode, 202);
    assert.deepEqual([again.json().status, again.json().incidentId], ['duplicate', incidentId]);

    for (const user of ['UANA', 'UBEN']) await waitFor(`${user}'s alert`, () => dmsAbout(user, title).length > 0);
    assert.equal(dmsAbout('UDAN', title).length, 0, 'a CSM without affected customers hears nothing');
    const open = await waitFor('the incident on record', async () => { const i = await incident(incidentId); return i.id && i; });
    assert.deepEqual([open.source, open.severity, open.status, open.components], ['manual', 'P2', 'investigating', ['checkout']]);

    const changed = await app.inject({ method: 'PATCH', url: `/api/incidents/${incidentId}`, headers: auth, payload: { severity: 'P1', actor: 'ops@corp.example' } });
    assert.equal(changed.statusCode, 202, changed.body);
    await waitFor('the severity change in Ana\'s thread', () => slack.messages.some((m) => m.threadTs && m.text.includes('Severity: P2 → P1')));

    const resolved = await app.inject({ method: 'POST', url: `/api/incidents/${incidentId}/resolve`, headers: auth, payload: { actor: 'ops@corp.example', note: 'Rolled back the deploy' } });
    assert.equal(resolved.statusCode, 202, resolved.body);
    for (const user of ['UANA', 'UBEN']) {
      await waitFor(`${user}'s resolution DM`, () => dmsAbout(user, title).some((m) => /resolved/i.test(m.text) && !m.threadTs && m !== dmsAbout(user, title)[0]));
    }
    const after = await waitFor('resolved on record', async () => { const i = await incident(incidentId); return i.status === 'resolved' && i; });
    assert.ok(after.resolvedAt);
    const entries = await timeline(incidentId);
    const resolution = entries.find((e) => e.kind === 'status' && e.summary.includes('→ Resolved'));
    assert.equal(resolution?.actor, 'ops@corp.example (via API_TOKENS bootstrap token)', 'the timeline records who resolved it');
    assert.ok(entries.some((e) => e.kind === 'note' && e.summary === 'Rolled back the deploy'));

    const twice = await app.inject({ method: 'POST', url: `/api/incidents/${incidentId}/resolve`, headers: auth });
    assert.equal(twice.statusCode, 409);
    assert.match(twice.json().detail, /already resolved/);
  });
});
