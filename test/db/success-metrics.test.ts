/**
 * The success metrics' arithmetic (db/success-metrics.ts) on seeded data: time to alert from detection
 * and from the source's start without dry-run alerts, customer escalations split at the first contact
 * against a baseline rate or period, and CSAT.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsSummary } from '../../db/success-metrics';
import { recordRating } from '../../db/csat';
import { recordSupportTicket } from '../../db/support-tickets';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { seedBase, seedIncident, type Seed } from '../api/support/seed';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const JANUARY = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-02-01T00:00:00Z') };

describe('success metrics on seeded data', () => {
  let t: TestDb;
  let s: Seed;
  before(async () => {
    t = await createTestDb();
    const { db } = t;
    s = await seedBase(db);
    // A: started 19:30:00, detected 19:30:05, still open; four affected customers (Retired no longer).
    await seedIncident(db, { id: A, externalId: 'A', impacts: [
      [s.customer.techcorp, 'high', 1, 'pending'], [s.customer.globalinc, 'high', 2, 'sent'],
      [s.customer.dataflow, 'medium', 3, 'pending'], [s.customer.smallbiz, 'low', 4, 'drafted'], [s.customer.retired, 'none', 5, 'sent'],
    ] });
    // B: 08:00 to 09:00 on the 20th, two affected customers.
    await seedIncident(db, { id: B, externalId: 'B', status: 'resolved', startedAt: '2026-01-20T08:00:00Z', resolvedAt: '2026-01-20T09:00:00Z', impacts: [
      [s.customer.dataflow, 'medium', 1, 'resolution_sent'], [s.customer.techcorp, 'high', 2, 'responded'],
    ] });
    await db.updateTable('incident_customer_impact').set({ customer_notified_at: '2026-01-29T19:40:00Z' })
      .where('incident_id', '=', A).where('customer_id', '=', s.customer.globalinc).execute();
    // DataFlow heard first from the resolution notice.
    await db.updateTable('incident_customer_impact').set({ resolution_notified_at: '2026-01-20T08:20:00Z' })
      .where('incident_id', '=', B).where('customer_id', '=', s.customer.dataflow).execute();

    const alert = (incident: string, recipient: string, sentAt: string | null, status = 'sent', kind = 'alert') => ({
      idempotency_key: `${incident}:${kind}:${recipient}`, incident_id: incident, channel: 'slack' as const, recipient, kind, payload: '{}', status, sent_at: sentAt,
    });
    await db.insertInto('notifications').values([
      alert(A, 'ana', '2026-01-29T19:30:09Z'), alert(A, 'ben', '2026-01-29T19:30:15Z'),
      alert(A, 'cleo', '2026-01-29T19:31:15Z', 'dry_run'), alert(A, 'dan', null, 'failed'), alert(A, 'ana', '2026-01-29T19:45:00Z', 'sent', 'update'),
      alert(B, 'ana', '2026-01-20T08:00:30Z'),
    ]).execute();

    const ticket = (ticketId: string, customer: string, createdAt: string) => recordSupportTicket(db, { ticketId, customerExternalId: customer, subject: 'API errors', tags: ['api'], createdAt });
    await ticket('t1', 'acct-002', '2026-01-29T19:35:00Z'); // GlobalInc, A, before its CSM's email at 19:40
    await ticket('t2', 'acct-002', '2026-01-29T19:50:00Z'); // GlobalInc, A, after it
    await ticket('t3', 'acct-001', '2026-01-29T19:45:00Z'); // TechCorp, A, never contacted: before
    await ticket('t3', 'acct-001', '2026-01-29T19:45:00Z'); // the helpdesk's retry: stored once
    await ticket('t4', 'acct-005', '2026-01-29T19:45:00Z'); // Retired: no longer affected
    await ticket('t5', 'acct-001', '2026-01-29T19:29:00Z'); // before A started
    await ticket('t6', 'acct-003', '2026-01-20T08:30:00Z'); // DataFlow, B, after the resolution notice
    await ticket('t7', 'acct-003', '2026-01-20T09:30:00Z'); // after B was resolved
    await ticket('t8', 'acct-999', '2026-01-29T19:45:00Z'); // a customer Forewarn does not know

    assert.deepEqual(await recordRating(db, { incidentId: A, customerId: s.customer.techcorp, rating: 5 }), { status: 'recorded' });
    await recordRating(db, { incidentId: A, customerId: s.customer.globalinc, rating: 3 });
    await recordRating(db, { incidentId: B, customerId: s.customer.dataflow, rating: 2 });
  });
  after(async () => {
    await t?.close();
    await stopTestPostgres();
  });

  test('tickets are stored once, with their customer when Forewarn knows them', async () => {
    const rows = await t.db.selectFrom('support_tickets').select(['ticket_id', 'customer_id']).orderBy('ticket_id').execute();
    assert.equal(rows.length, 8);
    assert.equal(rows.find((r) => r.ticket_id === 't1')?.customer_id, s.customer.globalinc);
    assert.equal(rows.find((r) => r.ticket_id === 't8')?.customer_id, null);
  });

  test('time to alert: delivered alerts only, from detection and from the source\'s start', async () => {
    const m = await metricsSummary(t.db, { incidentId: A });
    assert.deepEqual(m.timeToAlert, {
      alerts: 2, p50Seconds: 7, p90Seconds: 9.4, maxSeconds: 10, dryRunExcluded: 1,
      fromStart: { p50Seconds: 12, p90Seconds: 14.4, maxSeconds: 15 },
    });
  });

  test('escalations per incident: split at the first contact, per affected customer, against a baseline rate', async () => {
    const m = await metricsSummary(t.db, { incidentId: A }, { rate: 1.5 });
    assert.deepEqual(m.escalations, {
      tickets: 3, beforeContact: 2, afterContact: 1, customers: 2, perAffectedCustomer: 0.75,
      baseline: { source: 'rate', from: null, to: null, perAffectedCustomer: 1.5 }, change: -0.5, goal: -0.6,
    });
  });

  test('escalations over a period, against a baseline period of the same records', async () => {
    const m = await metricsSummary(t.db, JANUARY, { from: '2026-01-15T00:00:00.000Z', to: '2026-01-25T00:00:00.000Z' });
    assert.deepEqual(m.escalations, {
      tickets: 4, beforeContact: 2, afterContact: 2, customers: 3, perAffectedCustomer: 0.6667,
      // The baseline period holds B only: 1 ticket from its 2 affected customers.
      baseline: { source: 'period', from: '2026-01-15T00:00:00.000Z', to: '2026-01-25T00:00:00.000Z', perAffectedCustomer: 0.5 }, change: 0.3333, goal: -0.6,
    });
    const none = await metricsSummary(t.db, JANUARY);
    assert.deepEqual([none.escalations.baseline.source, none.escalations.change], [null, null]);
  });

  test('CSAT: average and distribution per incident and over a period, against 4.0', async () => {
    const a = await metricsSummary(t.db, { incidentId: A });
    assert.deepEqual(a.csat, { ratings: 2, average: 4, distribution: { 1: 0, 2: 0, 3: 1, 4: 0, 5: 1 }, goal: 4 });
    const jan = await metricsSummary(t.db, JANUARY);
    assert.deepEqual(jan.csat, { ratings: 3, average: 3.33, distribution: { 1: 0, 2: 1, 3: 1, 4: 0, 5: 1 }, goal: 4 });
  });

  test('a rating counts once per customer and incident; a customer who was not affected cannot rate', async () => {
    assert.deepEqual(await recordRating(t.db, { incidentId: A, customerId: s.customer.techcorp, rating: 1 }), { status: 'already', rating: 5 });
    assert.deepEqual(await recordRating(t.db, { incidentId: B, customerId: s.customer.smallbiz, rating: 4 }), { status: 'unknown' });
  });
});
