import { after, afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createImpactActivities } from '../../activities/impact';
import { createStoreActivities } from '../../activities/store';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { incidentFixture, seedCustomerBase, type Seeded } from '../helpers/impact-seed';

const TOTALS = { customers: 2, arrAtRisk: 525_000, businessImpact: 140.5, highImpact: 1 };

describe('store activities', () => {
  let t: TestDb;
  let seeded: Seeded;
  let store: ReturnType<typeof createStoreActivities>;
  const incident = incidentFixture();

  beforeEach(async () => {
    t = await createTestDb();
    store = createStoreActivities({ db: t.db });
    seeded = await seedCustomerBase(t.db, {
      csms: [{ email: 'ana@corp.example', name: 'Ana Ruiz' }],
      components: [{ key: 'api-gateway', name: 'API Gateway' }],
      customers: [
        { name: 'TechCorp', arr: 500_000, segment: 'enterprise', region: 'us-east', csm: 'ana@corp.example', uses: [{ key: 'api-gateway', usage: 'heavy' }] },
        { name: 'SmallBiz', arr: 25_000, segment: 'smb', region: 'us-east', csm: 'ana@corp.example', uses: [{ key: 'api-gateway', usage: 'light' }] },
      ],
    });
  });
  afterEach(async () => { await t.close(); });
  after(async () => { await stopTestPostgres(); });

  const incidentRow = () => t.db.selectFrom('product_incidents').selectAll().executeTakeFirstOrThrow();
  const impactRow = (name: string) => t.db.selectFrom('incident_customer_impact as i').innerJoin('customers as c', 'c.id', 'i.customer_id')
    .selectAll('i').where('c.name', '=', name).executeTakeFirstOrThrow();
  const timeline = () => t.db.selectFrom('incident_updates').select(['kind', 'summary', 'actor', 'details', 'occurred_at']).orderBy('occurred_at').execute();

  test('recordIncident upserts one row per source incident and keeps what later calls leave out', async () => {
    await store.recordIncident({ incident, totals: TOTALS, detectedAt: '2026-01-29T14:30:05.000Z', warRoomChannelId: 'C0WAR' });
    await store.recordIncident({
      incident: { ...incident, status: 'resolved', severity: 'P2', resolvedAt: '2026-01-29T16:45:00.000Z', message: 'Fixed' },
      totals: { ...TOTALS, customers: 3 }, detectedAt: '2026-01-29T14:30:05.000Z', resolutionNotifiedAt: '2026-01-29T16:46:00.000Z',
    });
    const rows = await t.db.selectFrom('product_incidents').selectAll().execute();
    assert.equal(rows.length, 1);
    const row = rows[0];
    assert.equal(row.id, incident.id);
    assert.equal(row.status, 'resolved');
    assert.equal(row.severity, 'P2');
    assert.equal(row.resolved_at?.toISOString(), '2026-01-29T16:45:00.000Z');
    assert.equal(row.latest_message, 'Fixed');
    assert.equal(row.slack_channel_id, 'C0WAR', 'the war room is kept when a later call does not pass it');
    assert.equal(row.affected_customer_count, 3);
    assert.equal(row.arr_at_risk, '525000.00');
    assert.equal(row.business_impact_estimate, '140.50');
    assert.deepEqual(row.affected_components, ['api-gateway', 'data-pipeline']);
    assert.equal(row.resolution_notified_at?.toISOString(), '2026-01-29T16:46:00.000Z');

    // Reopened: resolved_at is cleared.
    await store.recordIncident({ incident: { ...incident, status: 'investigating' }, totals: TOTALS, detectedAt: '2026-01-29T14:30:05.000Z' });
    assert.equal((await incidentRow()).resolved_at, null);
  });

  test('recordIncident refuses, without retry, a second id for the same source incident', async () => {
    await store.recordIncident({ incident, totals: TOTALS, detectedAt: incident.startedAt });
    await assert.rejects(
      store.recordIncident({ incident: { ...incident, id: '99999999-9999-4999-8999-999999999999' }, totals: TOTALS, detectedAt: incident.startedAt }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && /already stored under id/.test(err.message),
    );
    assert.equal((await incidentRow()).id, incident.id);
  });

  test('recordTimeline writes each entry once, however often it is retried', async () => {
    await store.recordIncident({ incident, totals: TOTALS, detectedAt: incident.startedAt });
    const entries = [
      { kind: 'created' as const, summary: 'P1 incident opened', occurredAt: '2026-01-29T14:30:00.000Z', dedupeKey: 'created:Q1ABC' },
      { kind: 'status' as const, summary: 'Status: identified', actor: 'oncall@corp.example', details: { from: 'investigating', to: 'identified' },
        occurredAt: '2026-01-29T15:00:00.000Z', dedupeKey: 'status:Q1ABC:1' },
    ];
    await store.recordTimeline({ incidentId: incident.id, entries });
    await store.recordTimeline({ incidentId: incident.id, entries });
    const rows = await timeline();
    assert.deepEqual(rows.map((r) => [r.kind, r.summary, r.actor]), [
      ['created', 'P1 incident opened', null],
      ['status', 'Status: identified', 'oncall@corp.example'],
    ]);
    assert.deepEqual(rows[1].details, { from: 'investigating', to: 'identified' });
  });

  test('a suspected incident closed automatically is on the audit log once, as Forewarn; a person\'s dismissal is left to the API', async () => {
    await store.recordIncident({ incident, totals: TOTALS, detectedAt: incident.startedAt });
    const dismissal = (automatic: boolean, key: string) => ({
      kind: 'status' as const, summary: 'Dismissed', actor: automatic ? 'Forewarn' : 'lee@corp.example', occurredAt: '2026-01-29T17:00:00.000Z', dedupeKey: key,
      details: { dismissed: true, automatic, reason: automatic ? 'No new tickets or events for 120 minutes' : null, csmsTold: 1 },
    });
    await store.recordTimeline({ incidentId: incident.id, entries: [dismissal(true, 'dismissed:auto')] });
    await store.recordTimeline({ incidentId: incident.id, entries: [dismissal(true, 'dismissed:auto')] });
    await store.recordTimeline({ incidentId: incident.id, entries: [dismissal(false, 'dismissed:person')] });
    const audit = await t.db.selectFrom('audit_log').select(['actor_kind', 'actor_name', 'action', 'incident_id', 'detail']).execute();
    assert.deepEqual(audit.map((a) => [a.actor_kind, a.actor_name, a.action, a.incident_id]), [['system', 'Forewarn', 'incident.auto_closed', incident.id]]);
    assert.deepEqual(audit[0]!.detail, { reason: 'No new tickets or events for 120 minutes', csmsTold: 1 });
  });

  test('saveOutreach stores status, note and first notification times, with one timeline entry', async () => {
    await createImpactActivities({ db: t.db }).analyzeImpact({ incident: incidentFixture({ components: ['api-gateway'] }), now: '2026-01-29T15:00:00.000Z' });
    const change = {
      incidentId: incident.id, customerId: seeded.customerIds.TechCorp, status: 'sent' as const, note: 'Emailed their CTO', actor: 'ana@corp.example',
      at: '2026-01-29T15:10:00.000Z', csmNotifiedAt: '2026-01-29T14:31:00.000Z', customerNotifiedAt: '2026-01-29T15:10:00.000Z',
    };
    await store.saveOutreach(change);
    await store.saveOutreach(change); // an activity retry

    const row = await impactRow('TechCorp');
    assert.equal(row.outreach_status, 'sent');
    assert.equal(row.outreach_note, 'Emailed their CTO');
    assert.equal(row.outreach_updated_at?.toISOString(), '2026-01-29T15:10:00.000Z');
    assert.equal(row.csm_notified_at?.toISOString(), '2026-01-29T14:31:00.000Z');
    assert.equal(row.customer_notified_at?.toISOString(), '2026-01-29T15:10:00.000Z');
    assert.equal((await impactRow('SmallBiz')).outreach_status, 'pending');

    // Later: responded; the first notification times stay.
    await store.saveOutreach({ ...change, status: 'responded', note: undefined, at: '2026-01-29T15:40:00.000Z', csmNotifiedAt: '2026-01-29T15:39:00.000Z' });
    const later = await impactRow('TechCorp');
    assert.equal(later.outreach_status, 'responded');
    assert.equal(later.outreach_note, 'Emailed their CTO');
    assert.equal(later.csm_notified_at?.toISOString(), '2026-01-29T14:31:00.000Z');

    assert.deepEqual((await timeline()).map((r) => [r.kind, r.summary, r.actor]), [
      ['outreach', 'Outreach to TechCorp: sent — Emailed their CTO', 'ana@corp.example'],
      ['outreach', 'Outreach to TechCorp: responded', 'ana@corp.example'],
    ]);
  });

  test('saveOutreach for a customer the incident does not affect fails without retry and writes nothing', async () => {
    await store.recordIncident({ incident, totals: TOTALS, detectedAt: incident.startedAt });
    await assert.rejects(
      store.saveOutreach({ incidentId: incident.id, customerId: seeded.customerIds.SmallBiz, status: 'sent', at: '2026-01-29T15:10:00.000Z' }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && /no impact record/.test(err.message),
    );
    assert.deepEqual(await timeline(), []);
  });

  test('markCustomersNotified stamps only the listed customers and keeps the first time', async () => {
    await createImpactActivities({ db: t.db }).analyzeImpact({ incident: incidentFixture({ components: ['api-gateway'] }), now: '2026-01-29T15:00:00.000Z' });
    await store.markCustomersNotified({ incidentId: incident.id, customerIds: [seeded.customerIds.TechCorp], field: 'csm_notified_at', at: '2026-01-29T14:31:00.000Z' });
    await store.markCustomersNotified({ incidentId: incident.id, customerIds: [seeded.customerIds.TechCorp, seeded.customerIds.SmallBiz],
      field: 'csm_notified_at', at: '2026-01-29T14:40:00.000Z' });
    await store.markCustomersNotified({ incidentId: incident.id, customerIds: [seeded.customerIds.SmallBiz], field: 'resolution_notified_at', at: '2026-01-29T17:00:00.000Z' });

    const tech = await impactRow('TechCorp');
    const small = await impactRow('SmallBiz');
    assert.equal(tech.csm_notified_at?.toISOString(), '2026-01-29T14:31:00.000Z');
    assert.equal(small.csm_notified_at?.toISOString(), '2026-01-29T14:40:00.000Z');
    assert.equal(tech.resolution_notified_at, null);
    assert.equal(small.resolution_notified_at?.toISOString(), '2026-01-29T17:00:00.000Z');
  });

  test('recordFollowUp keeps one row per reminder and moves it through its states', async () => {
    await store.recordIncident({ incident, totals: TOTALS, detectedAt: incident.startedAt });
    const due = '2026-01-30T16:45:00.000Z';
    await store.recordFollowUp({ incidentId: incident.id, kind: 'customer_follow_up', csmEmail: 'ana@corp.example', dueAt: due, status: 'scheduled' });
    await store.recordFollowUp({ incidentId: incident.id, kind: 'customer_follow_up', csmEmail: 'ana@corp.example', dueAt: due, status: 'scheduled' });
    await store.recordFollowUp({ incidentId: incident.id, kind: 'customer_follow_up', csmEmail: 'ana@corp.example', dueAt: due, status: 'done' });
    // Incident-wide reminders have no CSM; retries must not duplicate them either.
    await store.recordFollowUp({ incidentId: incident.id, kind: 'post_mortem', dueAt: '2026-02-02T16:45:00.000Z', status: 'scheduled' });
    await store.recordFollowUp({ incidentId: incident.id, kind: 'post_mortem', dueAt: '2026-02-02T16:45:00.000Z', status: 'scheduled' });
    await store.recordFollowUp({ incidentId: incident.id, kind: 'post_mortem', dueAt: '2026-02-02T16:45:00.000Z', status: 'cancelled' });

    const rows = await t.db.selectFrom('follow_ups').select(['kind', 'csm_email', 'status', 'done_at']).orderBy('due_at').execute();
    assert.deepEqual(rows.map((r) => [r.kind, r.csm_email, r.status, r.done_at !== null]), [
      ['customer_follow_up', 'ana@corp.example', 'done', true],
      ['post_mortem', null, 'cancelled', false],
    ]);
  });
});
