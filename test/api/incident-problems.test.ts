/**
 * What the incident workflow could not process (Postgres refused the data) is on the incident:
 * GET /api/incidents/:id and the list carry `lastProblem`, and /metrics counts the incidents with one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { recordIncidentProblem } from '../../db/incident-problems';
import { createTestDb, type TestDb } from '../helpers/db';
import { incidentFixture } from '../helpers/impact-seed';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('incident data problems in the API', () => {
  let t: TestDb;
  let app: FastifyInstance;
  let connection: Connection;
  const troubled = incidentFixture();
  const fine = incidentFixture({ id: '8e1d3b63-4d2f-4d66-8f1f-3b2c4d5e6f70', workflowId: 'incident:pagerduty:FINE', externalId: 'FINE' });

  before(async () => {
    t = await createTestDb();
    connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' });
    app = await buildApp({ config: loadConfig({ API_TOKENS: TOKEN }), db: t.db, temporal: new Client({ connection }) });
    await t.db.insertInto('product_incidents').values({
      id: fine.id, source: fine.source, external_id: fine.externalId, workflow_id: fine.workflowId, title: fine.title,
      severity: fine.severity, status: fine.status, started_at: fine.startedAt,
    }).execute();
    // What the workflow's recordIncidentProblem writes (here before the incident row existed: it creates it).
    await recordIncidentProblem(t.db, {
      incident: { ...troubled, title: 'Checkout \u0000 errors' },
      problem: { at: '2026-01-29T14:31:00.000Z', step: 'event delivery-7', message: 'recordTimeline: Postgres refused the incident\'s data (SQLSTATE 22021): invalid byte sequence for encoding "UTF8": 0x00' },
      count: 2,
    });
  });
  after(async () => {
    await app.close();
    await connection.close().catch(() => {});
    await t.close();
  });

  test('GET /api/incidents/:id carries the last problem; an incident without one has null', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/incidents/${troubled.id}`, headers: auth });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().title, 'Checkout \ufffd errors');
    assert.deepEqual(res.json().lastProblem, {
      at: '2026-01-29T14:31:00.000Z', step: 'event delivery-7', count: 2,
      message: 'recordTimeline: Postgres refused the incident\'s data (SQLSTATE 22021): invalid byte sequence for encoding "UTF8": 0x00',
    });
    const ok = await app.inject({ method: 'GET', url: `/api/incidents/${fine.id}`, headers: auth });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().lastProblem, null);
  });

  test('the list carries it too', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/incidents', headers: auth });
    assert.equal(res.statusCode, 200, res.body);
    const byId = new Map(res.json().items.map((i: { id: string; lastProblem: unknown }) => [i.id, i.lastProblem]));
    assert.equal((byId.get(troubled.id) as { step: string }).step, 'event delivery-7');
    assert.equal(byId.get(fine.id), null);
  });

  test('/metrics counts the incidents with a data problem and the problems in all', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /^forewarn_incidents_with_data_problems\{state="open"\} 1$/m);
    assert.match(res.body, /^forewarn_incidents_with_data_problems\{state="resolved"\} 0$/m);
    assert.match(res.body, /^forewarn_incident_data_problems 2$/m);
  });
});
