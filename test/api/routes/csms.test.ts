import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, startHarness, type Harness } from '../support/harness';
import { seedBase, seedIncident, type Seed } from '../support/seed';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

describe('GET /api/csms/:email/queue', () => {
  let h: Harness;
  let s: Seed;
  before(async () => {
    h = await startHarness({ temporal: 'down' });
    s = await seedBase(h.db);
    await seedIncident(h.db, { id: A, externalId: 'P1-open', severity: 'P1', startedAt: '2026-01-29T19:30:00Z', impacts: [
      [s.customer.techcorp, 'high', 1, 'pending'], [s.customer.globalinc, 'high', 2, 'pending'],
      [s.customer.dataflow, 'medium', 3, 'pending'], [s.customer.smallbiz, 'low', 4, 'drafted'], [s.customer.retired, 'none', 5, 'pending'],
    ] });
    await seedIncident(h.db, { id: C, externalId: 'P2-open', severity: 'P2', status: 'identified', startedAt: '2026-01-30T10:00:00Z', impacts: [
      [s.customer.smallbiz, 'medium', 1, 'pending'], [s.customer.techcorp, 'high', 2, 'sent'],
    ] });
    await seedIncident(h.db, { id: B, externalId: 'P1-resolved', severity: 'P1', status: 'resolved', resolvedAt: '2026-01-28T10:00:00Z', startedAt: '2026-01-28T08:00:00Z', impacts: [
      [s.customer.techcorp, 'high', 1, 'pending'],
    ] });
  });
  after(async () => { await h?.close(); });

  const get = (email: string, headers: Record<string, string> = auth) => h.app.inject({ method: 'GET', url: `/api/csms/${encodeURIComponent(email)}/queue`, headers });

  test("a CSM's customers across open incidents: pending first, then incident severity, then priority", async () => {
    const res = await get('ana@corp.example');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(body.csm, { email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UA8RXUSPL' });
    assert.deepEqual(body.items.map((i: { customer: { name: string }; incident: { severity: string }; outreachStatus: string }) =>
      `${i.incident.severity} ${i.customer.name} ${i.outreachStatus}`), [
      'P1 TechCorp pending', 'P1 DataFlow pending', 'P2 SmallBiz pending', 'P1 SmallBiz drafted', 'P2 TechCorp sent',
    ], 'GlobalInc is Ben\'s, Retired is no longer affected, the resolved incident is not in the queue');
    assert.equal(body.pending, 3);
    assert.equal(body.items[0].incident.id, A);
    assert.equal(body.items[0].impactLevel, 'high');
    assert.equal(body.items[0].customer.arr, 500000);
  });

  test('the email matches regardless of case; unknown CSMs are 404, malformed emails 400, no token 401', async () => {
    assert.equal((await get('Ana@Corp.Example')).json().items.length, 5);
    const unknown = await get('nobody@corp.example');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().detail, /No CSM has the email nobody@corp.example/);
    assert.equal((await get('not-an-email')).statusCode, 400);
    assert.equal((await get('ana@corp.example', {})).statusCode, 401);
  });

  test('a CSM with nothing affected gets an empty queue', async () => {
    await h.db.insertInto('csms').values({ email: 'cleo@corp.example', name: 'Cleo' }).execute();
    const body = (await get('cleo@corp.example')).json();
    assert.deepEqual([body.items, body.pending], [[], 0]);
  });
});
