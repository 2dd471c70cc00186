import { after, afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createImpactActivities } from '../../activities/impact';
import { createStoreActivities } from '../../activities/store';
import type { Database } from '../../db/types';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { incidentFixture, seedCustomerBase, type Seeded, type SeedSpec } from '../helpers/impact-seed';

const NOW = '2026-01-29T16:45:00.000Z';

const BASE: SeedSpec = {
  csms: [
    { email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'U024BE7LH', managerEmail: 'lee@corp.example', timeZone: 'America/New_York' },
    { email: 'bo@corp.example', name: 'Bo Chen' },
    { email: 'cy@corp.example', name: 'Cy Park', slackUserId: 'U0CY' },
  ],
  components: [
    { key: 'api-gateway', name: 'API Gateway' },
    { key: 'data-pipeline', name: 'Data Processing Pipeline' },
    { key: 'webhooks', name: 'Webhooks' },
  ],
  customers: [
    { name: 'SmallBiz', arr: 25_000, segment: 'smb', region: 'us-east', csm: 'ana@corp.example', uses: [{ key: 'api-gateway', usage: 'light' }] },
    { name: 'TechCorp', arr: 500_000, segment: 'enterprise', region: 'us-east', csm: 'ana@corp.example',
      uses: [{ key: 'api-gateway', usage: 'heavy', integrationDependent: true }, { key: 'webhooks', usage: 'light' }] },
    { name: 'GlobalInc', arr: 350_000, segment: 'enterprise', region: 'eu-west', csm: 'bo@corp.example',
      uses: [{ key: 'api-gateway', usage: 'moderate', integrationDependent: true }] },
    { name: 'DataFlow', arr: 200_000, segment: 'mid-market', region: 'us-east', csm: 'ana@corp.example',
      uses: [{ key: 'data-pipeline', usage: 'moderate' }] },
    { name: 'StartupXYZ', arr: 50_000, segment: 'smb', region: 'us-east', csm: 'bo@corp.example', uses: [{ key: 'api-gateway', usage: 'moderate' }] },
    // Uses only a component the incident does not name.
    { name: 'HookShop', arr: 999_000, segment: 'enterprise', region: 'us-east', csm: 'cy@corp.example', uses: [{ key: 'webhooks', usage: 'heavy' }] },
    // Tracked usage, but nothing during the incident: light drops to none.
    { name: 'IdleCo', arr: 800_000, segment: 'enterprise', region: 'us-east', csm: 'cy@corp.example', uses: [{ key: 'api-gateway', usage: 'light' }],
      usage: [['api-gateway', '2026-01-29T10:00:00Z', 500], ['api-gateway', '2026-01-29T15:00:00Z', 0]] },
    // Heavy, tracked, silent since before the incident: drops to medium.
    { name: 'QuietCorp', arr: 300_000, segment: 'enterprise', region: 'us-east', csm: 'cy@corp.example', uses: [{ key: 'api-gateway', usage: 'heavy' }],
      usage: [['api-gateway', '2026-01-29T13:00:00Z', 900], ['api-gateway', '2026-01-29T17:00:00Z', 40]] },
    // Traffic only in the hour the incident started in (14:00 bucket): counts as active.
    { name: 'BusyCorp', arr: 300_000, segment: 'mid-market', region: 'us-east', csm: 'cy@corp.example', uses: [{ key: 'api-gateway', usage: 'moderate' }],
      usage: [['api-gateway', '2026-01-29T14:00:00Z', 1200]] },
    // No CSM assigned: still affected, alerts nobody.
    { name: 'Orphan', arr: 10_000, segment: 'smb', region: 'us-east', uses: [{ key: 'api-gateway', usage: 'light' }] },
  ],
};

describe('analyzeImpact', () => {
  let t: TestDb;
  let seeded: Seeded;
  beforeEach(async () => {
    t = await createTestDb();
    seeded = await seedCustomerBase(t.db, BASE);
  });
  afterEach(async () => { await t.close(); });
  after(async () => { await stopTestPostgres(); });

  const storedImpacts = async () => (await t.db.selectFrom('incident_customer_impact as i').innerJoin('customers as c', 'c.id', 'i.customer_id')
    .select(['c.name', 'i.impact_level', 'i.reason', 'i.priority_rank', 'i.outreach_status', 'i.csm_notified_at', 'i.updated_at', 'i.business_impact_estimate'])
    .orderBy('c.name').execute());

  test('lists the customers of the affected components in priority order, with levels, reasons and CSMs, and stores them', async () => {
    const { analyzeImpact } = createImpactActivities({ db: t.db });
    const { customers, csms } = await analyzeImpact({ incident: incidentFixture(), now: NOW });

    assert.deepEqual(customers.map((c) => [c.priorityRank, c.name, c.impactLevel, c.reason, c.csmEmail]), [
      [1, 'TechCorp', 'high', 'Heavy API Gateway user', 'ana@corp.example'],
      [2, 'GlobalInc', 'high', 'Integration-dependent', 'bo@corp.example'],
      // Same ARR: enterprise before mid-market.
      [3, 'QuietCorp', 'medium', 'Moderate impact (no traffic during the incident)', 'cy@corp.example'],
      [4, 'BusyCorp', 'medium', 'Moderate impact', 'cy@corp.example'],
      [5, 'DataFlow', 'medium', 'Moderate impact', 'ana@corp.example'],
      [6, 'StartupXYZ', 'medium', 'Moderate impact', 'bo@corp.example'],
      [7, 'SmallBiz', 'low', 'Low impact', 'ana@corp.example'],
      [8, 'Orphan', 'low', 'Low impact', ''],
    ]);
    const tech = customers[0];
    assert.equal(tech.arr, 500_000);
    assert.equal(tech.segment, 'enterprise');
    assert.equal(tech.contactEmail, 'ops@techcorp.example');
    // Only the affected component is named, not Webhooks.
    assert.deepEqual(tech.componentNames, ['API Gateway']);
    // 2.25 h of a P1 at high impact: 500,000 / 8760 × 2.25.
    assert.equal(tech.businessImpact, 128.42);

    // CSMs in the order of their most important customer; the customer without a CSM adds none.
    assert.deepEqual(csms, [
      { email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'U024BE7LH', managerEmail: 'lee@corp.example', timeZone: 'America/New_York' },
      { email: 'bo@corp.example', name: 'Bo Chen', slackUserId: undefined, managerEmail: undefined, timeZone: undefined },
      { email: 'cy@corp.example', name: 'Cy Park', slackUserId: 'U0CY', managerEmail: undefined, timeZone: undefined },
    ]);

    const stored = await storedImpacts();
    assert.deepEqual(stored.map((r) => [r.name, r.impact_level, r.priority_rank, r.outreach_status]), [
      ['BusyCorp', 'medium', 4, 'pending'],
      ['DataFlow', 'medium', 5, 'pending'],
      ['GlobalInc', 'high', 2, 'pending'],
      ['Orphan', 'low', 8, 'pending'],
      ['QuietCorp', 'medium', 3, 'pending'],
      ['SmallBiz', 'low', 7, 'pending'],
      ['StartupXYZ', 'medium', 6, 'pending'],
      ['TechCorp', 'high', 1, 'pending'],
    ]);
    assert.equal(stored.find((r) => r.name === 'TechCorp')?.business_impact_estimate, '128.42');
    // The incident row exists for the impact rows to reference, even before recordIncident ran.
    const incident = await t.db.selectFrom('product_incidents').selectAll().executeTakeFirstOrThrow();
    assert.equal(incident.workflow_id, 'incident:pagerduty:Q1ABC');
  });

  test('an incident naming regions only reaches customers in those regions', async () => {
    const { analyzeImpact } = createImpactActivities({ db: t.db });
    const eu = await analyzeImpact({ incident: incidentFixture({ regions: ['eu-west'] }), now: NOW });
    assert.deepEqual(eu.customers.map((c) => c.name), ['GlobalInc']);
    assert.deepEqual(eu.csms.map((c) => c.email), ['bo@corp.example']);

    const nowhere = await analyzeImpact({ incident: incidentFixture({ id: '11111111-1111-4111-8111-111111111111', externalId: 'Q2', workflowId: 'incident:pagerduty:Q2', regions: ['ap-south'] }), now: NOW });
    assert.deepEqual(nowhere, { customers: [], csms: [] });
  });

  test('usage after a resolved incident does not count as traffic during it', async () => {
    const { analyzeImpact } = createImpactActivities({ db: t.db });
    // QuietCorp's 17:00 traffic falls inside an open incident's window (up to now = 17:30)...
    const open = await analyzeImpact({ incident: incidentFixture(), now: '2026-01-29T17:30:00.000Z' });
    assert.equal(open.customers.find((c) => c.name === 'QuietCorp')?.reason, 'Heavy API Gateway user');
    // ...but not inside one resolved at 16:00.
    const resolved = await analyzeImpact({ incident: incidentFixture({ status: 'resolved', resolvedAt: '2026-01-29T16:00:00.000Z' }), now: '2026-01-29T17:30:00.000Z' });
    const quiet = resolved.customers.find((c) => c.name === 'QuietCorp');
    assert.equal(quiet?.impactLevel, 'medium');
    assert.equal(quiet?.reason, 'Moderate impact (no traffic during the incident)');
    // Estimate uses the resolved duration (1.5 h), not the time until now.
    const tech = resolved.customers.find((c) => c.name === 'TechCorp');
    assert.equal(tech?.businessImpact, Math.round((500_000 / 8760) * 1.5 * 100) / 100);
  });

  test('re-analysis marks customers no longer affected, keeps outreach, and changes nothing when re-run', async () => {
    const { analyzeImpact } = createImpactActivities({ db: t.db });
    const store = createStoreActivities({ db: t.db });
    const incident = incidentFixture();
    await analyzeImpact({ incident, now: NOW });
    await store.saveOutreach({ incidentId: incident.id, customerId: seeded.customerIds.TechCorp, status: 'sent', note: 'Called CTO', actor: 'ana@corp.example',
      at: '2026-01-29T15:00:00.000Z', csmNotifiedAt: '2026-01-29T14:31:00.000Z' });

    // The incident narrows to the data pipeline.
    const narrowed = await analyzeImpact({ incident: { ...incident, components: ['data-pipeline'] }, now: NOW });
    assert.deepEqual(narrowed.customers.map((c) => [c.name, c.priorityRank]), [['DataFlow', 1]]);
    let stored = await storedImpacts();
    assert.equal(stored.length, 8, 'nobody is deleted');
    const tech = stored.find((r) => r.name === 'TechCorp')!;
    assert.equal(tech.impact_level, 'none');
    assert.equal(tech.reason, 'No longer affected');
    assert.equal(tech.outreach_status, 'sent');
    assert.equal(tech.csm_notified_at?.toISOString(), '2026-01-29T14:31:00.000Z');
    assert.deepEqual(stored.filter((r) => r.impact_level !== 'none').map((r) => r.name), ['DataFlow']);

    // Same analysis again: same rows, untouched.
    const before = stored.map((r) => [r.name, r.impact_level, r.reason, r.priority_rank, r.updated_at.toISOString()]);
    await analyzeImpact({ incident: { ...incident, components: ['data-pipeline'] }, now: NOW });
    stored = await storedImpacts();
    assert.deepEqual(stored.map((r) => [r.name, r.impact_level, r.reason, r.priority_rank, r.updated_at.toISOString()]), before);

    // The API Gateway is named again: TechCorp is back on top, its outreach intact.
    const widened = await analyzeImpact({ incident, now: NOW });
    assert.equal(widened.customers[0].name, 'TechCorp');
    stored = await storedImpacts();
    const back = stored.find((r) => r.name === 'TechCorp')!;
    assert.deepEqual([back.impact_level, back.reason, back.priority_rank, back.outreach_status], ['high', 'Heavy API Gateway user', 1, 'sent']);
    assert.equal(stored.length, 8);
  });

  test('refuses, without retry, to attach impact to a second id for an incident already stored', async () => {
    const { analyzeImpact } = createImpactActivities({ db: t.db });
    await analyzeImpact({ incident: incidentFixture(), now: NOW });
    await assert.rejects(
      analyzeImpact({ incident: incidentFixture({ id: '22222222-2222-4222-8222-222222222222' }), now: NOW }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && /already stored under id/.test(err.message),
    );
    const rows = await t.db.selectFrom('incident_customer_impact').select('incident_id').distinct().execute();
    assert.deepEqual(rows.map((r) => r.incident_id), [incidentFixture().id]);
  });

  test('reads candidates in a single SQL statement, whatever the number of customers', async () => {
    const statements: string[] = [];
    const logged = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: t.url, max: 2 }) }),
      log: (event) => { if (event.level === 'query') statements.push(event.query.sql); },
    });
    try {
      const { analyzeImpact } = createImpactActivities({ db: logged });
      const result = await analyzeImpact({ incident: incidentFixture(), now: NOW });
      assert.equal(result.customers.length, 8);
      const reads = statements.filter((s) => /^\s*select/i.test(s));
      assert.equal(reads.length, 1, `expected one read, got:\n${reads.join('\n')}`);
    } finally {
      await logged.destroy();
    }
  });
});
