import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { auth, OPSGENIE_TOKEN, PD_SECRETS, pagerdutySignature, startHarness, webhookCount, type Harness } from '../support/harness';
import { seedBase } from '../support/seed';

const fixture = (p: string) => readFileSync(path.join(__dirname, '../../fixtures', p), 'utf8');

describe('webhooks while Temporal is unreachable', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ temporal: 'down' });
    await seedBase(h.db);
  });
  after(async () => { await h?.close(); });

  const deliveries = (source: string) => h.db.selectFrom('webhook_deliveries').select(['delivery_id', 'status', 'raw_body', 'error'])
    .where('source', '=', source).execute();

  test('PagerDuty gets 503 so it retries, and the delivery stays on record as failed', async () => {
    const body = fixture('pagerduty/incident.triggered.json');
    const res = await h.app.inject({ method: 'POST', url: '/api/webhooks/pagerduty', payload: body,
      headers: { 'content-type': 'application/json', 'x-pagerduty-signature': pagerdutySignature(body, PD_SECRETS) } });
    assert.equal(res.statusCode, 503);
    assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
    const [row] = await deliveries('pagerduty');
    assert.equal(row.delivery_id, '01DEN2Y5ZK7ZSGDG8DKXCZ1QGV');
    assert.equal(row.status, 'failed');
    assert.equal(row.raw_body, body);
    assert.ok(row.error);
    assert.equal(await webhookCount(h.metrics, 'pagerduty', 'unavailable'), 1);

    // PagerDuty's retry of the same delivery is tried again, not taken for a duplicate.
    const retry = await h.app.inject({ method: 'POST', url: '/api/webhooks/pagerduty', payload: body,
      headers: { 'content-type': 'application/json', 'x-pagerduty-signature': pagerdutySignature(body, PD_SECRETS) } });
    assert.equal(retry.statusCode, 503);
    assert.equal((await deliveries('pagerduty')).length, 1);
  });

  test('Opsgenie and the generic webhook answer 503 the same way', async () => {
    const og = await h.app.inject({ method: 'POST', url: '/api/webhooks/opsgenie', payload: fixture('opsgenie/create.json'),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPSGENIE_TOKEN}` } });
    assert.equal(og.statusCode, 503);
    assert.equal((await deliveries('opsgenie'))[0].status, 'failed');
    const generic = await h.app.inject({ method: 'POST', url: '/api/webhooks/incidents', headers: auth, payload: {
      id: 'INC-1', title: 'Checkout errors', status: 'investigating', severity: 'P2', affectedComponents: ['api-gateway'], startedAt: '2026-02-01T10:00:00Z',
    } });
    assert.equal(generic.statusCode, 503);
    assert.equal((await deliveries('generic'))[0].status, 'failed');
  });
});
