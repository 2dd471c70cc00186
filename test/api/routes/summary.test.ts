import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, startHarness, type Harness } from '../support/harness';
import { seedBase, seedIncident, type Seed } from '../support/seed';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const D = '44444444-4444-4444-8444-444444444444';
const at = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000);

describe('GET /api/metrics/summary', () => {
  let h: Harness;
  let s: Seed;
  before(async () => {
    h = await startHarness({ temporal: 'down' });
    s = await seedBase(h.db);
    const aDetected = '2026-01-29T19:30:05Z';
    const bDetected = '2026-01-20T08:00:00Z';
    await seedIncident(h.db, { id: A, externalId: 'A', detectedAt: aDetected, impacts: [
      [s.customer.techcorp, 'high', 1, 'pending'], [s.customer.globalinc, 'high', 2, 'sent'],
      [s.customer.dataflow, 'medium', 3, 'pending'], [s.customer.smallbiz, 'low', 4, 'drafted'], [s.customer.retired, 'none', 5, 'sent'],
    ] });
    await seedIncident(h.db, { id: B, externalId: 'B', status: 'resolved', detectedAt: bDetected, startedAt: bDetected, resolvedAt: '2026-01-20T09:00:00Z', impacts: [
      [s.customer.dataflow, 'medium', 1, 'resolution_sent'], [s.customer.techcorp, 'high', 2, 'responded'],
    ] });
    const alert = (incident: string, recipient: string, sentAt: Date | null, status = 'sent', kind = 'alert') => ({
      idempotency_key: `${incident}:${kind}:${recipient}`, incident_id: incident, channel: 'slack' as const, recipient, kind,
      payload: '{}', status, sent_at: sentAt,
    });
    await h.db.insertInto('notifications').values([
      alert(A, 'ana', at(aDetected, 4)), alert(A, 'ben', at(aDetected, 10)), alert(A, 'cleo', at(aDetected, 70), 'dry_run'),
      alert(A, 'dan', null, 'failed'), alert(A, 'ana', at(aDetected, 900), 'sent', 'update'),
      alert(B, 'ana', at(bDetected, 2)),
    ]).execute();
    await h.db.insertInto('follow_ups').values([
      { incident_id: B, kind: 'customer_follow_up', csm_email: 'ana@corp.example', due_at: '2026-01-21T09:00:00Z', status: 'done', done_at: '2026-01-21T10:00:00Z' },
      { incident_id: B, kind: 'customer_follow_up', csm_email: 'ben@corp.example', due_at: '2026-01-21T09:00:00Z', status: 'scheduled' },
      { incident_id: B, kind: 'customer_follow_up', csm_email: 'cleo@corp.example', due_at: '2099-01-01T00:00:00Z', status: 'scheduled' },
      { incident_id: B, kind: 'customer_follow_up', csm_email: 'dan@corp.example', due_at: '2026-01-21T09:00:00Z', status: 'cancelled' },
      { incident_id: B, kind: 'post_mortem', csm_email: null, due_at: '2026-01-23T09:00:00Z', status: 'done' },
    ]).execute();
  });
  after(async () => { await h?.close(); });

  const get = (q: string, headers: Record<string, string> = auth) => h.app.inject({ method: 'GET', url: `/api/metrics/summary${q}`, headers });

  test('per incident: alert latency percentiles from the outbox, outreach share among the still affected', async () => {
    const res = await get(`?incidentId=${A}`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      scope: { incidentId: A },
      incidents: 1,
      // The dry-run alert (70 s) reached nobody: counted, not a sample.
      timeToAlert: {
        alerts: 2, p50Seconds: 7, p90Seconds: 9.4, maxSeconds: 10, dryRunExcluded: 1,
        fromStart: { p50Seconds: 12, p90Seconds: 14.4, maxSeconds: 15 },
      },
      affectedCustomers: 4,
      outreach: { reached: 1, share: 0.25 },
      escalations: {
        tickets: 0, beforeContact: 0, afterContact: 0, customers: 0, perAffectedCustomer: 0,
        baseline: { source: null, from: null, to: null, perAffectedCustomer: null }, change: null, goal: -0.6,
      },
      csat: { ratings: 0, average: null, distribution: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 }, goal: 4 },
      resolutionNotice: { eligible: 0, notified: 0, share: null },
      followUps: { due: 0, done: 0, share: null },
    });
  });

  test('over a period: every incident detected in it; follow-ups count only those due and not cancelled', async () => {
    const res = await get('?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(body.scope, { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' });
    assert.equal(body.incidents, 2);
    assert.deepEqual([body.timeToAlert.alerts, body.timeToAlert.p50Seconds, body.timeToAlert.p90Seconds, body.timeToAlert.maxSeconds], [3, 4, 8.8, 10]);
    assert.deepEqual(body.outreach, { reached: 3, share: 0.5 });
    assert.deepEqual(body.resolutionNotice, { eligible: 2, notified: 1, share: 0.5 });
    assert.deepEqual(body.followUps, { due: 2, done: 1, share: 0.5 });
    const onlyB = (await get('?from=2026-01-15T00:00:00Z&to=2026-01-25T00:00:00Z')).json();
    assert.deepEqual([onlyB.incidents, onlyB.timeToAlert.alerts, onlyB.timeToAlert.p50Seconds], [1, 1, 2]);
  });

  test('without a period, the last 30 days', async () => {
    const now = new Date();
    await seedIncident(h.db, { id: D, externalId: 'D', detectedAt: new Date(now.getTime() - 3_600_000).toISOString(), startedAt: new Date(now.getTime() - 3_600_000).toISOString() });
    const body = (await get('')).json();
    assert.equal(body.incidents, 1);
    assert.equal(Date.parse(body.scope.to) - Date.parse(body.scope.from), 30 * 86_400_000);
  });

  test('bad scopes are refused with the reason', async () => {
    const both = await get(`?incidentId=${A}&from=2026-01-01T00:00:00Z`);
    assert.equal(both.statusCode, 400);
    assert.match(both.json().detail, /either incidentId or a period/);
    const backwards = await get('?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    assert.equal(backwards.statusCode, 400);
    assert.match(backwards.json().detail, /must be before/);
    assert.equal((await get('?from=january')).statusCode, 400);
    assert.equal((await get('?incidentId=99999999-9999-4999-8999-999999999999')).statusCode, 404);
    assert.equal((await get('', {})).statusCode, 401);
  });
});
