/**
 * The status-page sync on the Temporal dev server (schedules do not run on the time-skipping server): a local
 * fake Status API serves the documented examples, the real schedule, workflow, activities and webhook run
 * against Postgres, and a stand-in incident workflow records every event delivered to it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createDetectionActivities, type StatuspageChanges } from '../../activities/detection';
import { buildApp } from '../../api/app';
import { loadConfig, type Config } from '../../config';
import type { StatuspageIncident } from '../../domain/sources/statuspage';
import type { IncidentEvent } from '../../domain/types';
import { ensureStatuspageSchedule } from '../../worker/schedules';
import { STATUSPAGE_SYNC_SCHEDULE_ID, type StatuspageSyncResult } from '../../workflows/contract';
import unresolvedList from '../fixtures/statuspage/status-api-incidents-unresolved.json';
import recentList from '../fixtures/statuspage/status-api-incidents.json';
import webhookIncident from '../fixtures/statuspage/webhook-incident-update.json';
import { createTestDb, type TestDb } from '../helpers/db';
import { recordedEventsQuery } from '../helpers/detection-workflows';
import { createDevServerEnv } from '../helpers/temporal';
import { waitThroughErrors } from '../helpers/wait-for';

const TASK_QUEUE = 'statuspage-sync-test';
const HOOK_TOKEN = 'statuspage-hook-token-1234';

/** A Status API (public v2 and management v1) on 127.0.0.1, answering from `page`. */
function fakeStatusApi() {
  const page = { unresolved: [] as StatuspageIncident[], recent: [] as StatuspageIncident[], failWith: 0 };
  const requests: { path: string; authorization?: string }[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (page.failWith) return send(page.failWith, { error: 'failing on purpose' });
    const meta = { id: 'y2j98763l56x', name: 'Atlassian Statuspage', url: 'http://metastatuspage.com' };
    switch (req.url) {
      case '/api/v2/incidents/unresolved.json': return send(200, { page: meta, incidents: page.unresolved });
      case '/api/v2/incidents.json': return send(200, { page: meta, incidents: page.recent });
      case '/v1/pages/pg123/incidents/unresolved':
      case '/v1/pages/pg123/incidents?limit=50':
        if (req.headers.authorization !== 'OAuth mgmt-key') return send(401, { error: 'Could not authenticate' });
        return send(200, req.url.endsWith('unresolved') ? page.unresolved : page.recent);
      default: return send(404, { error: 'Not found' });
    }
  });
  return { page, requests, server };
}

/** The documented open incident, naming the API component (real pages list components on incidents). */
function openIncident(): StatuspageIncident {
  return { ...structuredClone(unresolvedList.incidents[0]), components: [{ id: 'b13yz5g2cw10', name: 'API', status: 'partial_outage' }] };
}

describe('status-page sync', () => {
  let t: TestDb;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let config: Config;
  let schedule: ScheduleHandle;
  const fake = fakeStatusApi();

  before(async () => {
    let bundle: WorkflowBundleWithSourceMap;
    [t, env, bundle] = await Promise.all([
      createTestDb(),
      createDevServerEnv(),
      bundleWorkflowCode({ workflowsPath: require.resolve('../helpers/detection-workflows'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } }),
      new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve)),
    ]);
    const port = (fake.server.address() as AddressInfo).port;
    config = loadConfig({
      STATUSPAGE_API_URL: `http://127.0.0.1:${port}`, STATUSPAGE_SYNC_SECONDS: '10', STATUSPAGE_WEBHOOK_TOKEN: HOOK_TOKEN, TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    });
    const component = await t.db.insertInto('components').values({ key: 'api-gateway', name: 'API Gateway' }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('component_aliases').values({ component_id: component.id, source: 'statuspage', external_id: 'b13yz5g2cw10' }).execute();
    fake.page.unresolved = [openIncident()];
    // The recent list also holds a resolved incident from 2014 that Forewarn never followed.
    fake.page.recent = [openIncident(), structuredClone(recentList.incidents[1])];

    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: bundle,
      activities: createDetectionActivities({ config, db: t.db, temporal: env.client }),
    });
    running = worker.run();
    app = await buildApp({ config, db: t.db, temporal: env.client });
  });
  after(async () => {
    await schedule?.delete().catch(() => {});
    await app?.close();
    worker?.shutdown();
    await running?.catch(() => {});
    fake.server.close();
    await Promise.allSettled([env?.teardown(), t?.close()]);
  });

  const recorded = async (externalId: string): Promise<IncidentEvent[]> => {
    try {
      return await env.client.workflow.getHandle(`incident:statuspage:${externalId}`).query(recordedEventsQuery);
    } catch {
      return [];
    }
  };
  /** Runs one tick now (the schedule is paused after the first automatic one) and returns what it did. */
  async function tick(): Promise<StatuspageSyncResult> {
    const runIds = async () => (await schedule.describe()).info.recentActions.map((a) => a.action.workflow.firstExecutionRunId);
    const known = new Set(await runIds());
    await schedule.trigger();
    const runId = await waitThroughErrors('the triggered run', async () => (await runIds()).find((id) => !known.has(id)), 15_000);
    const { action } = (await schedule.describe()).info.recentActions.find((a) => a.action.workflow.firstExecutionRunId === runId)!;
    return env.client.workflow.getHandle(action.workflow.workflowId, runId).result();
  }
  const webhook = (incident: StatuspageIncident) => app.inject({
    method: 'POST', url: `/api/webhooks/statuspage/${HOOK_TOKEN}`,
    payload: { meta: webhookIncident.meta, page: webhookIncident.page, incident },
  });

  test('the schedule is created once, every STATUSPAGE_SYNC_SECONDS, overlap skip; a changed interval updates it', async () => {
    assert.equal(await ensureStatuspageSchedule(env.client, loadConfig({})), 'not_configured');
    assert.equal(await ensureStatuspageSchedule(env.client, config), 'created');
    assert.equal(await ensureStatuspageSchedule(env.client, config), 'unchanged');
    schedule = env.client.schedule.getHandle(STATUSPAGE_SYNC_SCHEDULE_ID);
    let d = await schedule.describe();
    assert.deepEqual(d.spec.intervals?.map((i) => i.every), [10_000]);
    assert.equal(d.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.equal(d.action.type === 'startWorkflow' && d.action.workflowType, 'statuspageSyncWorkflow');
    assert.equal(d.action.type === 'startWorkflow' && d.action.taskQueue, TASK_QUEUE);

    assert.equal(await ensureStatuspageSchedule(env.client, { ...config, statuspage: { ...config.statuspage, syncEverySeconds: 30 } }), 'updated');
    assert.deepEqual((await schedule.describe()).spec.intervals?.map((i) => i.every), [30_000]);
    assert.equal(await ensureStatuspageSchedule(env.client, config), 'updated');
    d = await schedule.describe();
    assert.deepEqual(d.spec.intervals?.map((i) => i.every), [10_000]);
  });

  test('on its own, the schedule forwards the open incident once — and not the old resolved one', async () => {
    const events = await waitThroughErrors('the first scheduled tick', async () => { const e = await recorded('cp306tmzcl0y'); return e.length > 0 && e; }, 30_000);
    await schedule.pause('driven by the test from here');
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event.source, 'statuspage');
    assert.equal(event.title, 'Unplanned Database Outage');
    assert.equal(event.severity, 'P1');
    assert.equal(event.status, 'identified');
    assert.deepEqual(event.components, ['api-gateway']);
    assert.match(event.message!, /ham sandwiches/);
    assert.equal(event.deliveryId, 'cp306tmzcl0y@2014-05-14T20:35:21.000Z/jdy3tw5mt5r5');
    assert.deepEqual(await recorded('2z5g29qrrxvl'), []);
    assert.ok(fake.requests.some((r) => r.path === '/api/v2/incidents/unresolved.json'));
  });

  test('unchanged on the next tick: nothing is forwarded', async () => {
    const result = await tick();
    assert.deepEqual(result, { fetched: 2, forwarded: 0, duplicates: 0, workflowIds: [] });
    assert.equal((await recorded('cp306tmzcl0y')).length, 1);
  });

  test('changed: exactly one event for the new version', async () => {
    const changed = { ...openIncident(), status: 'monitoring', updated_at: '2014-05-14T15:10:00.000-06:00' };
    changed.incident_updates = [{ id: 'mon1', body: 'A fix has been deployed; we are monitoring.', status: 'monitoring', created_at: '2014-05-14T15:10:00.000-06:00', display_at: '2014-05-14T15:10:00.000-06:00' }, ...changed.incident_updates!];
    fake.page.unresolved = [changed];
    fake.page.recent = [changed, structuredClone(recentList.incidents[1])];
    const result = await tick();
    assert.equal(result.forwarded, 1);
    assert.deepEqual(result.workflowIds, ['incident:statuspage:cp306tmzcl0y']);
    const events = await recorded('cp306tmzcl0y');
    assert.equal(events.length, 2);
    assert.equal(events[1].status, 'monitoring');
    assert.equal(events[1].message, 'A fix has been deployed; we are monitoring.');
    assert.equal((await tick()).forwarded, 0, 'and nothing more on the tick after');
  });

  test('an update arriving by webhook first, then seen by the sync, is delivered once', async () => {
    const resolved = { ...openIncident(), status: 'resolved', resolved_at: '2014-05-14T16:00:00-06:00', updated_at: '2014-05-14T16:00:00-06:00' };
    resolved.incident_updates = [{ id: 'res1', body: 'This incident has been resolved.', status: 'resolved', created_at: '2014-05-14T16:00:00-06:00' }, ...resolved.incident_updates!];
    const res = await webhook(resolved);
    assert.equal(res.statusCode, 202, res.body);
    fake.page.unresolved = [];
    fake.page.recent = [resolved, structuredClone(recentList.incidents[1])];
    const result = await tick();
    assert.equal(result.forwarded, 0);
    const events = await recorded('cp306tmzcl0y');
    assert.deepEqual(events.map((e) => e.status), ['identified', 'monitoring', 'resolved']);
    assert.equal(events.filter((e) => e.deliveryId === 'cp306tmzcl0y@2014-05-14T22:00:00.000Z/res1').length, 1);
  });

  test('an update seen by the sync first, then arriving by webhook, is delivered once', async () => {
    const fresh: StatuspageIncident = { ...openIncident(), id: 'newinc00001', name: 'Elevated API errors', impact: 'major', updated_at: new Date(Date.now() - 60_000).toISOString() };
    fake.page.unresolved = [fresh];
    fake.page.recent = [fresh, ...fake.page.recent];
    assert.equal((await tick()).forwarded, 1);
    const res = await webhook(fresh);
    assert.equal(res.statusCode, 202);
    assert.equal(res.json().status, 'duplicate');
    const events = await recorded('newinc00001');
    assert.equal(events.length, 1);
    assert.equal(events[0].severity, 'P2');
  });
  test('a page no longer configured at the next worker start: the left-over schedule is removed', async () => {
    const unconfigured = loadConfig({ TEMPORAL_TASK_QUEUE: TASK_QUEUE });
    assert.equal(await ensureStatuspageSchedule(env.client, unconfigured), 'removed');
    await assert.rejects(env.client.schedule.getHandle(STATUSPAGE_SYNC_SCHEDULE_ID).describe(), ScheduleNotFoundError);
    assert.equal(await ensureStatuspageSchedule(env.client, unconfigured), 'not_configured');
  });
});

describe('reading the page (activity)', () => {
  // Failures are what these tests provoke: keep them out of the output.
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const fake = fakeStatusApi();
  let t: TestDb;
  let base: string;
  before(async () => {
    [t] = await Promise.all([createTestDb(), new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve))]);
    base = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    fake.page.unresolved = [openIncident()];
    fake.page.recent = [openIncident()];
  });
  after(async () => {
    fake.server.close();
    await t?.close();
  });
  const fetchWith = (env: Record<string, string>) => {
    const config = loadConfig(env);
    // No Temporal needed to read: the client is never used by fetchStatuspageChanges.
    const acts = createDetectionActivities({ config, db: t.db, temporal: undefined as never });
    return new MockActivityEnvironment(undefined, { logger: quiet }).run(acts.fetchStatuspageChanges, {}) as Promise<StatuspageChanges>;
  };

  test('the management API with a key reads the page (OAuth header)', async () => {
    const r = await fetchWith({ STATUSPAGE_API_URL: base, STATUSPAGE_API_KEY: 'mgmt-key', STATUSPAGE_PAGE_ID: 'pg123' });
    assert.equal(r.fetched, 1);
    assert.deepEqual(r.changes.map((c) => c.event.externalId), ['cp306tmzcl0y']);
    assert.ok(fake.requests.some((q) => q.path === '/v1/pages/pg123/incidents/unresolved' && q.authorization === 'OAuth mgmt-key'));
  });

  test('a wrong key fails for good, naming the settings to check', async () => {
    await assert.rejects(fetchWith({ STATUSPAGE_API_URL: base, STATUSPAGE_API_KEY: 'wrong', STATUSPAGE_PAGE_ID: 'pg123' }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /401.*STATUSPAGE_API_KEY/);
      return true;
    });
  });

  test('a failing status page is retried (not a permanent failure)', async () => {
    fake.page.failWith = 503;
    try {
      await assert.rejects(fetchWith({ STATUSPAGE_PAGE_URL: base }), (err: unknown) => {
        assert.ok(!(err instanceof ApplicationFailure && err.nonRetryable));
        assert.match((err as Error).message, /503/);
        return true;
      });
    } finally {
      fake.page.failWith = 0;
    }
  });
});
