import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import webhookIncident from '../fixtures/statuspage/webhook-incident-update.json';
import webhookComponent from '../fixtures/statuspage/webhook-component-update.json';
import { createTestDb, type TestDb } from '../helpers/db';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { workflowInbox } from '../helpers/workflow-history';

const TOKEN = 'sp-hook-secret-4f1c9b2e';
const WORKFLOW_ID = 'incident:statuspage:lbkhbwn21v5q';
const env = { STATUSPAGE_WEBHOOK_TOKEN: TOKEN, TEMPORAL_TASK_QUEUE: 'statuspage-webhook-test', API_TOKENS: 'api-token-0123456789abcdef' };

/** The documented payload, with the `components` real pages put on incidents (the doc example has none). */
function incidentPayload(overrides: Record<string, unknown> = {}) {
  const payload = structuredClone(webhookIncident);
  return { ...payload, incident: { ...payload.incident, components: [{ id: 'b13yz5g2cw10', name: 'API', status: 'major_outage' }], ...overrides } };
}

describe('POST /api/webhooks/statuspage/:token', () => {
  let t: TestDb;
  let temporal: TestWorkflowEnvironment;
  let app: FastifyInstance;
  let downApp: FastifyInstance;
  let downConnection: Connection;

  before(async () => {
    [t, temporal] = await Promise.all([createTestDb(), createTimeSkippingEnv()]);
    const component = await t.db.insertInto('components').values({ key: 'api-gateway', name: 'API Gateway' }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('component_aliases').values({ component_id: component.id, source: 'statuspage', external_id: 'b13yz5g2cw10' }).execute();
    app = await buildApp({ config: loadConfig(env), db: t.db, temporal: temporal.client });
    // The same API when the workflow engine cannot be reached.
    downConnection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' });
    downApp = await buildApp({ config: loadConfig(env), db: t.db, temporal: new Client({ connection: downConnection }) });
  });
  after(async () => {
    await Promise.allSettled([app?.close(), downApp?.close()]);
    await downConnection?.close().catch(() => {});
    await Promise.allSettled([temporal?.teardown(), t?.close()]);
  });

  const post = (body: unknown, token = TOKEN, target = app) =>
    target.inject({ method: 'POST', url: `/api/webhooks/statuspage/${token}`, headers: { 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
  const deliveries = () => t.db.selectFrom('webhook_deliveries').selectAll().where('source', '=', 'statuspage').orderBy('received_at').execute();
  const incidentSignals = async () => (await workflowInbox(temporal.client, WORKFLOW_ID))?.signals.filter((s) => s.name === 'incidentEvent') ?? [];

  test('a wrong token looks like an unknown route and records nothing', async () => {
    const res = await post(incidentPayload(), 'not-the-token');
    assert.equal(res.statusCode, 404);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(res.json().title, 'Not Found');
    assert.doesNotMatch(res.body, new RegExp(TOKEN));
    assert.deepEqual(await deliveries(), []);
  });

  test('without STATUSPAGE_WEBHOOK_TOKEN configured the route refuses every token', async () => {
    const unconfigured = await buildApp({ config: loadConfig({}), db: t.db, temporal: temporal.client });
    try {
      assert.equal((await post(incidentPayload(), TOKEN, unconfigured)).statusCode, 404);
      assert.equal((await post(incidentPayload(), '', unconfigured)).statusCode, 404);
    } finally {
      await unconfigured.close();
    }
  });

  test('the documented incident update starts the incident workflow with the normalized event', async () => {
    const body = JSON.stringify(incidentPayload());
    const res = await post(body);
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), { status: 'accepted', workflowId: WORKFLOW_ID });

    const [row] = await deliveries();
    assert.equal(row.delivery_id, 'lbkhbwn21v5q@2013-05-29T22:30:35.000Z/drfcwbnpxnr6');
    assert.equal(row.status, 'forwarded');
    assert.equal(row.workflow_id, WORKFLOW_ID);
    assert.equal(row.raw_body, body, 'the raw body is kept as received');

    const inbox = await workflowInbox(temporal.client, WORKFLOW_ID);
    assert.deepEqual(inbox!.input, [{ settings: { escalationMinutes: 15, updateCadenceMinutes: 30, followUpHours: 24, postMortemHours: 72, sendResolutionEmails: false, dashboardUrl: 'http://127.0.0.1:3000/dashboard', suspectedAutoCloseMinutes: 120 }, opens: { source: 'statuspage', externalId: 'lbkhbwn21v5q' } }]);
    const signals = await incidentSignals();
    assert.equal(signals.length, 1);
    assert.deepEqual(signals[0].args[0], {
      source: 'statuspage', externalId: 'lbkhbwn21v5q', title: 'Virginia Is Down', status: 'monitoring', severity: 'P1',
      components: ['api-gateway'], occurredAt: '2013-05-29T22:30:35.000Z', deliveryId: 'lbkhbwn21v5q@2013-05-29T22:30:35.000Z/drfcwbnpxnr6',
      startedAt: '2013-05-29T21:08:51.000Z', reopens: true, statusPageUrl: 'http://j.mp/18zyDQx',
      message: 'A fix has been implemented and we are monitoring the results.',
    });
  });

  test('Statuspage retrying the same notification changes nothing', async () => {
    const res = await post(incidentPayload());
    assert.equal(res.statusCode, 202);
    assert.equal(res.json().status, 'duplicate');
    assert.equal((await incidentSignals()).length, 1);
    assert.equal((await deliveries()).length, 1);
  });

  test('a later update of the incident is a new delivery to the same workflow', async () => {
    const payload = incidentPayload({ status: 'resolved', resolved_at: '2013-05-29T17:02:00-06:00', updated_at: '2013-05-29T17:02:00-06:00' });
    payload.incident.incident_updates.unshift({ ...payload.incident.incident_updates[0], id: 'resolved1', status: 'resolved', body: 'This incident has been resolved.', created_at: '2013-05-29T17:02:00-06:00', display_at: '2013-05-29T17:02:00-06:00' });
    const res = await post(payload);
    assert.equal(res.statusCode, 202);
    assert.equal(res.json().status, 'accepted');
    const signals = await incidentSignals();
    assert.equal(signals.length, 2);
    assert.deepEqual(
      [signals[1].args[0]].map((e) => { const ev = e as Record<string, unknown>; return [ev.status, ev.resolvedAt, ev.message]; }),
      [['resolved', '2013-05-29T23:02:00.000Z', 'This incident has been resolved.']],
    );
  });

  test('a component status change without an incident is recorded as ignored', async () => {
    const res = await post(structuredClone(webhookComponent));
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, 'ignored');
    const row = (await deliveries()).find((d) => d.delivery_id === 'component:k7730b5v92bv');
    assert.equal(row?.status, 'ignored');
    assert.equal(row?.workflow_id, null);
  });

  test('bad bodies get problem+json naming the field, and nothing is forwarded', async () => {
    const before = (await deliveries()).length;
    const missing = await post({ incident: { name: 'No id', status: 'investigating' } });
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json().errors.map((e: { path: string }) => e.path).sort(), ['incident/id', 'incident/updated_at']);
    const unknownStatus = await post(incidentPayload({ id: 'zzz', status: 'on_fire' }));
    assert.equal(unknownStatus.statusCode, 400);
    assert.match(unknownStatus.json().detail, /Unknown Statuspage incident status "on_fire"/);
    const notJson = await post('{"incident": ');
    assert.equal(notJson.statusCode, 400);
    assert.equal(notJson.json().title, 'Invalid JSON');
    const neither = await post({ page: { id: 'x' } });
    assert.equal(neither.statusCode, 400);
    assert.equal((await deliveries()).length, before);
  });

  test('when Temporal is down: 503, the delivery is on record, and Statuspage\'s retry forwards it', async () => {
    const payload = incidentPayload({ id: 'down1', updated_at: '2013-05-30T10:00:00Z' });
    const res = await post(payload, TOKEN, downApp);
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    const row = (await deliveries()).find((d) => d.delivery_id.startsWith('down1@2013-05-30T10:00:00.000Z'));
    assert.equal(row?.status, 'failed');

    const retry = await post(payload);
    assert.equal(retry.statusCode, 202);
    assert.equal(retry.json().status, 'accepted');
    const signals = (await workflowInbox(temporal.client, 'incident:statuspage:down1'))!.signals;
    assert.equal(signals.length, 1);
  });
});
