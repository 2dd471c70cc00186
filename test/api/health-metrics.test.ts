import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createTestDb, type TestDb } from '../helpers/db';

const TOKEN = 'test-token-0123456789';

describe('health and metrics', () => {
  let t: TestDb;
  let app: FastifyInstance;
  let connection: Connection;
  before(async () => {
    t = await createTestDb();
    connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' });
    app = await buildApp({ config: loadConfig({ API_TOKENS: TOKEN }), db: t.db, temporal: new Client({ connection }) });
  });
  after(async () => {
    await app.close();
    await connection.close().catch(() => {});
    await t.close();
  });

  test('health answers without a token and names what is unreachable, with 503 while a dependency is down', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), { status: 'degraded', database: 'ok', temporal: 'unreachable' });
  });

  test('metrics need a token', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  });

  test('metrics count requests and observe alert latency from the outbox', async () => {
    const incidentId = crypto.randomUUID();
    // Sent just now (the collector reports alerts sent since it started or last scraped), 3 s after detection.
    const detectedAt = new Date(Date.now() - 3000);
    await t.db.insertInto('product_incidents').values({
      id: incidentId, source: 'generic', external_id: 'M-1', workflow_id: 'incident:generic:M-1', title: 'Latency',
      severity: 'P1', status: 'investigating', started_at: detectedAt, detected_at: detectedAt,
    }).execute();
    await t.db.insertInto('notifications').values({
      idempotency_key: 'k1', incident_id: incidentId, channel: 'slack', recipient: 'ana@corp.example', kind: 'alert',
      payload: '{}', status: 'sent', sent_at: new Date(detectedAt.getTime() + 3000),
    }).execute();
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /forewarn_http_requests_total\{method="GET",route="\/health",status="503"\} 1/);
    assert.match(res.body, /forewarn_csm_alert_latency_seconds_bucket\{le="5",severity="P1"\} 1/);
    assert.match(res.body, /forewarn_csm_alert_latency_seconds_bucket\{le="2",severity="P1"\} 0/);
  });
});
