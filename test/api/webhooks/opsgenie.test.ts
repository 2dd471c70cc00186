import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IncidentEvent } from '../../../domain/types';
import { receivedEventsQuery } from '../support/fake-incident.workflow';
import { OPSGENIE_TOKEN, startHarness, webhookCount, type Harness } from '../support/harness';
import { seedBase } from '../support/seed';

const raw = (name: string) => readFileSync(path.join(__dirname, '../../fixtures/opsgenie', `${name}.json`), 'utf8');
const URL = '/api/webhooks/opsgenie';
const WORKFLOW = 'incident:opsgenie:052652ac-5d1c-464a-812a-7dd18bbfba8c';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('POST /api/webhooks/opsgenie', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ temporal: 'dev' });
    await seedBase(h.db);
  });
  after(async () => { await h?.close(); });

  const post = (body: string, authorization?: string) => h.app.inject({
    method: 'POST', url: URL, payload: body,
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
  });
  const events = () => h.temporal.workflow.getHandle(WORKFLOW).query(receivedEventsQuery) as Promise<IncidentEvent[]>;

  test('Create with the bearer token opens the incident on the components its tags and integration map to', async () => {
    const res = await post(raw('create'), `Bearer ${OPSGENIE_TOKEN}`);
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), { status: 'accepted', workflowId: WORKFLOW });
    const [e] = await events();
    assert.equal(e.title, 'test alert');
    assert.equal(e.status, 'investigating');
    assert.deepEqual(e.components, ['api-gateway', 'data-pipeline'], 'tag1 → api-gateway, Integration1 → data-pipeline');
    const row = await h.db.selectFrom('webhook_deliveries').select(['status', 'raw_body']).where('source', '=', 'opsgenie').executeTakeFirstOrThrow();
    assert.equal(row.status, 'forwarded');
    assert.equal(row.raw_body, raw('create'));
  });

  test('basic auth with the token as password works too; the same delivery twice signals once', async () => {
    const first = await post(raw('acknowledge'), basic('opsgenie', OPSGENIE_TOKEN));
    assert.equal(first.statusCode, 202, first.body);
    const again = await post(raw('acknowledge'), basic('anyone', OPSGENIE_TOKEN));
    assert.equal(again.statusCode, 202);
    assert.equal(again.json().status, 'duplicate');
    const notes = (await events()).map((e) => e.note);
    assert.deepEqual(notes, [undefined, 'Acknowledged in Opsgenie by fili@ifountain.com']);
  });

  test('AddNote, UpdatePriority (as "P1" and as a number), EscalateNext and Close each reach the workflow', async () => {
    for (const name of ['add-note', 'update-priority', 'escalate-next', 'close']) {
      const res = await post(raw(name), `Bearer ${OPSGENIE_TOKEN}`);
      assert.equal(res.statusCode, 202, `${name}: ${res.body}`);
    }
    const numeric = JSON.parse(raw('update-priority'));
    numeric.alert.priority = 2;
    numeric.alert.updatedAt += 1;
    assert.equal((await post(JSON.stringify(numeric), `Bearer ${OPSGENIE_TOKEN}`)).statusCode, 202);
    const got = await events();
    assert.equal(got.length, 7);
    assert.match(got[2].note!, /Rolled back/);
    assert.equal(got[3].severity, 'P1');
    assert.match(got[4].note!, /Escalated/);
    assert.equal(got[5].status, 'resolved');
    assert.equal(got[6].severity, 'P2');
    assert.equal(await webhookCount(h.metrics, 'opsgenie', 'forwarded'), 7);
  });

  test('actions Forewarn does not use are recorded and answered 200', async () => {
    const res = await post(raw('un-acknowledge'), `Bearer ${OPSGENIE_TOKEN}`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, 'ignored');
    assert.equal((await events()).length, 7);
  });

  test('a missing or wrong token is refused before the body is looked at', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', basic('opsgenie', 'wrong'), `Token ${OPSGENIE_TOKEN}`]) {
      const res = await post('{"not":"even valid"', authorization);
      assert.equal(res.statusCode, 401, String(authorization));
      assert.match(res.json().detail, /OPSGENIE_WEBHOOK_TOKEN/);
    }
  });

  test('bad bodies get 400 naming the field', async () => {
    const noAlertId = JSON.parse(raw('create'));
    delete noAlertId.alert.alertId;
    const r1 = await post(JSON.stringify(noAlertId), `Bearer ${OPSGENIE_TOKEN}`);
    assert.equal(r1.statusCode, 400);
    assert.deepEqual(r1.json().errors.map((e: { path: string }) => e.path), ['body/alert/alertId']);
    const badPriority = JSON.parse(raw('create'));
    badPriority.alert.priority = 'urgent';
    const r2 = await post(JSON.stringify(badPriority), `Bearer ${OPSGENIE_TOKEN}`);
    assert.equal(r2.statusCode, 400);
    assert.match(r2.json().detail, /body\/alert\/priority/);
    const r3 = await post('{"action":', `Bearer ${OPSGENIE_TOKEN}`);
    assert.equal(r3.statusCode, 400);
    assert.equal(r3.json().title, 'Invalid JSON');
  });
});
