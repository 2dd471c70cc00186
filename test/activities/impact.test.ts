import { after, afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createImpactActivities } from '../../activities/impact';
import { findImpactCandidates } from '../../db/impact-queries';
import type { Database } from '../../db/types';
import { analyzeCandidates, compareCodePoints, type ImpactAnalysis } from '../../domain/impact';
import type { ImpactAssessment } from '../../domain/incident/model';
import type { Incident } from '../../domain/types';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { incidentFixture, randomCustomerBase, seedCustomerBase, type Seeded, type SeedSpec } from '../helpers/impact-seed';

const NOW = '2026-01-29T16:45:00.000Z';

after(async () => { await stopTestPostgres(); });

/** The CSM's work on a customer, which no analysis may touch. */
async function recordOutreach(t: TestDb, incidentId: string, customerId: string) {
  await t.db.updateTable('incident_customer_impact')
    .set({ outreach_status: 'sent', outreach_note: 'Called CTO', outreach_updated_at: '2026-01-29T15:00:00.000Z',
      csm_notified_at: '2026-01-29T14:31:00.000Z', outreach_error: 'none so far' })
    .where('incident_id', '=', incidentId).where('customer_id', '=', customerId).execute();
}

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

describe('analyzeImpact (incidents of the v1 workflow)', () => {
  let t: TestDb;
  let seeded: Seeded;
  beforeEach(async () => {
    t = await createTestDb();
    seeded = await seedCustomerBase(t.db, BASE);
  });
  afterEach(async () => { await t.close(); });

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
    const incident = incidentFixture();
    await analyzeImpact({ incident, now: NOW });
    await recordOutreach(t, incident.id, seeded.customerIds.TechCorp);

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
});

type StoredRow = { customer_id: string; impact_level: string; reason: string; business_impact_estimate: string; priority_rank: number;
  affected_revision: number | null; unaffected_revision: number | null; outreach_status: string; outreach_note: string | null;
  csm_notified_at: Date | null; outreach_error: string | null; updated_at: Date };

async function storedRows(t: TestDb, incidentId: string): Promise<Map<string, StoredRow>> {
  const rows = await t.db.selectFrom('incident_customer_impact')
    .select(['customer_id', 'impact_level', 'reason', 'business_impact_estimate', 'priority_rank', 'affected_revision', 'unaffected_revision',
      'outreach_status', 'outreach_note', 'csm_notified_at', 'outreach_error', 'updated_at'])
    .where('incident_id', '=', incidentId).execute();
  return new Map(rows.map((r) => [r.customer_id, r]));
}

/** The pure path: the candidate read of db/impact-queries.ts scored by domain/impact.ts. */
async function pureAnalysis(t: TestDb, incident: Incident, now: string) {
  const candidates = await findImpactCandidates(t.db, {
    components: incident.components, regions: incident.regions, windowStart: incident.startedAt, windowEnd: incident.resolvedAt ?? now,
  });
  const analysis = analyzeCandidates(candidates.map(({ csm: _csm, ...c }) => c), incident, now);
  const slackIds = new Map(candidates.flatMap((c) => (c.csm ? [[c.csm.email, c.csm.slackUserId] as const] : [])));
  return { analysis, slackIds };
}

/** Per-CSM aggregates of a pure analysis, in the order of each CSM's best customer. */
function pureCsms(analysis: ImpactAnalysis, slackIds: Map<string, string | undefined>) {
  const byEmail = new Map<string, { email: string; slackUserId?: string; customers: number; arrAtRisk: number; highImpact: number }>();
  for (const c of analysis.customers) {
    if (!c.csmEmail) continue;
    let csm = byEmail.get(c.csmEmail);
    if (!csm) {
      const slackUserId = slackIds.get(c.csmEmail);
      csm = { email: c.csmEmail, ...(slackUserId ? { slackUserId } : {}), customers: 0, arrAtRisk: 0, highImpact: 0 };
      byEmail.set(c.csmEmail, csm);
    }
    csm.customers += 1;
    csm.arrAtRisk = Math.round((csm.arrAtRisk + c.arr) * 100) / 100;
    if (c.impactLevel === 'high') csm.highImpact += 1;
  }
  return [...byEmail.values()];
}

/** Every affected customer stored exactly as the pure rules score, rank and estimate it. */
function assertAgrees(stored: Map<string, StoredRow>, analysis: ImpactAnalysis, label: string) {
  const affected = [...stored.values()].filter((r) => r.impact_level !== 'none');
  assert.equal(affected.length, analysis.customers.length, `${label}: affected customers`);
  for (const c of analysis.customers) {
    const row = stored.get(c.id);
    assert.ok(row, `${label}: ${c.name} (${c.id}) stored`);
    assert.deepEqual(
      { level: row.impact_level, reason: row.reason, estimate: Number(row.business_impact_estimate), rank: row.priority_rank },
      { level: c.impactLevel, reason: c.reason, estimate: c.businessImpact, rank: c.priorityRank },
      `${label}: ${c.name} (${c.id})`,
    );
  }
}

const sansChanges = (a: ImpactAssessment) => a.csms.map(({ newlyAffected: _n, noLongerAffected: _d, ...csm }) => csm);

describe('assessImpact', () => {
  let t: TestDb;
  beforeEach(async () => { t = await createTestDb(); });
  afterEach(async () => { await t.close(); });

  test('answers the totals and per-CSM aggregates, stores every affected customer stamped with the revision', async () => {
    const seeded = await seedCustomerBase(t.db, BASE);
    const { assessImpact } = createImpactActivities({ db: t.db });
    const incident = incidentFixture();
    const result = await assessImpact({ incident, now: NOW, revision: 1 });

    const { analysis } = await pureAnalysis(t, incident, NOW);
    assert.deepEqual(result.totals, analysis.totals);
    assert.equal(result.totals.customers, 8);
    // Ana's best customer is TechCorp (rank 1), Bo's GlobalInc (2), Cy's QuietCorp (3); Orphan has no CSM.
    assert.deepEqual(result.csms, [
      { email: 'ana@corp.example', slackUserId: 'U024BE7LH', customers: 3, arrAtRisk: 725_000, highImpact: 1, newlyAffected: 3, noLongerAffected: 0 },
      { email: 'bo@corp.example', customers: 2, arrAtRisk: 400_000, highImpact: 1, newlyAffected: 2, noLongerAffected: 0 },
      { email: 'cy@corp.example', slackUserId: 'U0CY', customers: 2, arrAtRisk: 600_000, highImpact: 0, newlyAffected: 2, noLongerAffected: 0 },
    ]);
    const stored = await storedRows(t, incident.id);
    assertAgrees(stored, analysis, 'product example');
    assert.deepEqual([...new Set([...stored.values()].map((r) => [r.affected_revision, r.unaffected_revision].join()))], ['1,']);
    assert.equal(stored.get(seeded.customerIds.Orphan)?.impact_level, 'low');
  });

  test('agrees with the pure rules on random customer bases: levels, reasons, estimates, ranks, totals and CSMs', async () => {
    const spec = randomCustomerBase(20261202, 300);
    await seedCustomerBase(t.db, spec);
    const { assessImpact } = createImpactActivities({ db: t.db });
    const variants: Partial<Incident>[] = [
      { components: ['comp-0', 'comp-1', 'comp-2'] },
      { components: ['comp-3'], severity: 'P3' },
      { components: ['comp-0', 'comp-1', 'comp-2', 'comp-3', 'comp-4', 'comp-5', 'comp-6'], severity: 'P2' },
      { components: ['comp-4', 'comp-5', 'comp-6'], regions: ['eu-west', 'ap-south'], severity: 'P4' },
      // Resolved: the window and the estimate end at the resolution, not at now.
      { components: ['comp-1', 'comp-5'], status: 'resolved', resolvedAt: '2026-01-29T15:10:00.000Z' },
      // Just started: the estimate counts the minimum hour.
      { components: ['comp-2', 'comp-6'], startedAt: '2026-01-29T16:40:00.000Z' },
    ];
    let compared = 0;
    for (const [n, over] of variants.entries()) {
      const incident = incidentFixture({
        id: `00000000-0000-4000-8000-${String(n + 1).padStart(12, '0')}`, externalId: `R${n}`, workflowId: `incident:pagerduty:R${n}`, ...over,
      });
      const result = await assessImpact({ incident, now: NOW, revision: 1 });
      const { analysis, slackIds } = await pureAnalysis(t, incident, NOW);
      const label = JSON.stringify(over);
      assert.ok(analysis.customers.length > 10, `${label}: a real comparison`);
      assertAgrees(await storedRows(t, incident.id), analysis, label);
      assert.deepEqual(result.totals, analysis.totals, `${label}: totals`);
      assert.deepEqual(sansChanges(result), pureCsms(analysis, slackIds), `${label}: CSMs`);
      assert.ok(result.csms.every((c) => c.newlyAffected === c.customers && c.noLongerAffected === 0), `${label}: all new`);
      compared += analysis.customers.length;
    }
    assert.ok(compared > 500, `compared ${compared} customers`);

    // Re-analysis of one incident through every variant: the stored state follows the pure rules,
    // customers dropped on the way are kept at none.
    const incident = incidentFixture({ id: '00000000-0000-4000-8000-0000000000ff', externalId: 'RE', workflowId: 'incident:pagerduty:RE' });
    const everAffected = new Set<string>();
    for (const [n, over] of variants.entries()) {
      const next = { ...incident, ...over };
      const result = await assessImpact({ incident: next, now: NOW, revision: n + 1 });
      const { analysis, slackIds } = await pureAnalysis(t, next, NOW);
      const stored = await storedRows(t, incident.id);
      const label = `re-analysis ${n + 1}`;
      assertAgrees(stored, analysis, label);
      analysis.customers.forEach((c) => everAffected.add(c.id));
      assert.equal(stored.size, everAffected.size, `${label}: nobody deleted`);
      for (const row of stored.values()) {
        if (row.impact_level === 'none') assert.deepEqual([row.reason, row.business_impact_estimate, row.priority_rank], ['No longer affected', '0.00', 0]);
      }
      assert.deepEqual(result.totals, analysis.totals, `${label}: totals`);
      const affectedCsms = sansChanges(result).filter((c) => c.customers > 0);
      assert.deepEqual(affectedCsms, pureCsms(analysis, slackIds), `${label}: CSMs`);
    }
  });

  test('re-analysis: dropped customers marked none with the revision, back again with theirs, outreach untouched, unchanged rows not rewritten', async () => {
    const seeded = await seedCustomerBase(t.db, BASE);
    const { assessImpact } = createImpactActivities({ db: t.db });
    const incident = incidentFixture();
    await assessImpact({ incident, now: NOW, revision: 1 });
    await recordOutreach(t, incident.id, seeded.customerIds.TechCorp);
    const before = await storedRows(t, incident.id);

    // Unchanged inputs: nothing written, nobody new.
    const same = await assessImpact({ incident, now: NOW, revision: 2 });
    assert.ok(same.csms.every((c) => c.newlyAffected === 0 && c.noLongerAffected === 0));
    assert.deepEqual(await storedRows(t, incident.id), before);

    // The incident narrows to the data pipeline: Bo's and Cy's customers all drop.
    const narrowed = await assessImpact({ incident: { ...incident, components: ['data-pipeline'] }, now: NOW, revision: 3 });
    assert.deepEqual(narrowed.totals, { customers: 1, arrAtRisk: 200_000, businessImpact: 25.68, highImpact: 0 });
    assert.deepEqual(narrowed.csms, [
      { email: 'ana@corp.example', slackUserId: 'U024BE7LH', customers: 1, arrAtRisk: 200_000, highImpact: 0, newlyAffected: 0, noLongerAffected: 2 },
      { email: 'bo@corp.example', customers: 0, arrAtRisk: 0, highImpact: 0, newlyAffected: 0, noLongerAffected: 2 },
      { email: 'cy@corp.example', slackUserId: 'U0CY', customers: 0, arrAtRisk: 0, highImpact: 0, newlyAffected: 0, noLongerAffected: 2 },
    ]);
    let stored = await storedRows(t, incident.id);
    const tech = stored.get(seeded.customerIds.TechCorp)!;
    assert.deepEqual([tech.impact_level, tech.reason, tech.business_impact_estimate, tech.priority_rank, tech.affected_revision, tech.unaffected_revision],
      ['none', 'No longer affected', '0.00', 0, 1, 3]);
    assert.deepEqual([tech.outreach_status, tech.outreach_note, tech.csm_notified_at?.toISOString(), tech.outreach_error],
      ['sent', 'Called CTO', '2026-01-29T14:31:00.000Z', 'none so far']);
    // DataFlow moved from rank 5 to 1: rewritten, but still affected since revision 1.
    const dataFlow = stored.get(seeded.customerIds.DataFlow)!;
    assert.deepEqual([dataFlow.priority_rank, dataFlow.affected_revision, dataFlow.unaffected_revision], [1, 1, null]);

    // A retry of the same revision (its first attempt committed) answers the same numbers and writes nothing.
    const narrowedRows = stored;
    assert.deepEqual(await assessImpact({ incident: { ...incident, components: ['data-pipeline'] }, now: NOW, revision: 3 }), narrowed);
    assert.deepEqual(await storedRows(t, incident.id), narrowedRows);

    // The API Gateway is named again: the dropped customers are back, stamped with revision 4.
    const widened = await assessImpact({ incident, now: NOW, revision: 4 });
    assert.deepEqual(widened.csms.map((c) => [c.email, c.customers, c.newlyAffected, c.noLongerAffected]), [
      ['ana@corp.example', 3, 2, 0], ['bo@corp.example', 2, 2, 0], ['cy@corp.example', 2, 2, 0],
    ]);
    stored = await storedRows(t, incident.id);
    const back = stored.get(seeded.customerIds.TechCorp)!;
    assert.deepEqual([back.impact_level, back.priority_rank, back.affected_revision, back.unaffected_revision, back.outreach_status],
      ['high', 1, 4, null, 'sent']);
    assert.equal(stored.get(seeded.customerIds.DataFlow)?.affected_revision, 1);
    // Same rows as the first analysis, and the untouched ones kept their updated_at.
    for (const [id, row] of before) {
      const now = stored.get(id)!;
      assert.deepEqual([now.impact_level, now.reason, now.business_impact_estimate, now.priority_rank],
        [row.impact_level, row.reason, row.business_impact_estimate, row.priority_rank]);
    }
    // And once more with nothing changed: no row rewritten (updated_at kept), nobody new.
    const again = await assessImpact({ incident, now: NOW, revision: 5 });
    assert.ok(again.csms.every((c) => c.newlyAffected === 0 && c.noLongerAffected === 0));
    assert.deepEqual(await storedRows(t, incident.id), stored);
  });

  test('an incident naming no component, or no customer, affects nobody', async () => {
    await seedCustomerBase(t.db, BASE);
    const { assessImpact } = createImpactActivities({ db: t.db });
    const incident = incidentFixture();
    await assessImpact({ incident, now: NOW, revision: 1 });
    const none = await assessImpact({ incident: { ...incident, components: [] }, now: NOW, revision: 2 });
    assert.deepEqual(none.totals, { customers: 0, arrAtRisk: 0, businessImpact: 0, highImpact: 0 });
    assert.deepEqual(none.csms.map((c) => [c.email, c.customers, c.noLongerAffected]),
      [['ana@corp.example', 0, 3], ['bo@corp.example', 0, 2], ['cy@corp.example', 0, 2]]);
    const other = incidentFixture({ id: '33333333-3333-4333-8333-333333333333', externalId: 'Q3', workflowId: 'incident:pagerduty:Q3', components: ['unknown'] });
    assert.deepEqual(await assessImpact({ incident: other, now: NOW, revision: 1 }),
      { totals: { customers: 0, arrAtRisk: 0, businessImpact: 0, highImpact: 0 }, csms: [] });
  });

  test('usage hours are UTC buckets whatever the session time zone', async () => {
    const seeded = await seedCustomerBase(t.db, BASE);
    const kolkata = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: t.url, max: 2, options: '-c TimeZone=Asia/Kolkata' }) }),
    });
    try {
      const incident = incidentFixture();
      await createImpactActivities({ db: kolkata }).assessImpact({ incident, now: NOW, revision: 1 });
      // BusyCorp's only traffic is in the 14:00 UTC bucket, the hour the incident started in.
      const busy = (await storedRows(t, incident.id)).get(seeded.customerIds.BusyCorp);
      assert.deepEqual([busy?.impact_level, busy?.reason], ['medium', 'Moderate impact']);
    } finally {
      await kolkata.destroy();
    }
  });

  test('refuses, without retry, a second id for an incident already stored', async () => {
    await seedCustomerBase(t.db, BASE);
    const { assessImpact } = createImpactActivities({ db: t.db });
    await assessImpact({ incident: incidentFixture(), now: NOW, revision: 1 });
    await assert.rejects(
      assessImpact({ incident: incidentFixture({ id: '22222222-2222-4222-8222-222222222222' }), now: NOW, revision: 1 }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && err.type === 'IncidentIdConflict',
    );
  });

  test('one statement analyzes and writes, whatever the number of customers; no customer row comes back', async () => {
    await seedCustomerBase(t.db, randomCustomerBase(7, 120));
    const statements: { sql: string; rows: number }[] = [];
    const logged = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: t.url, max: 2 }) }),
      log: (event) => { if (event.level === 'query') statements.push({ sql: event.query.sql.trim(), rows: 0 }); },
    });
    try {
      const { assessImpact } = createImpactActivities({ db: logged });
      const result = await assessImpact({ incident: incidentFixture({ components: ['comp-0', 'comp-1'] }), now: NOW, revision: 1 });
      assert.ok(result.totals.customers > 20);
      const touching = statements.filter((s) => /incident_customer_impact|customer_usage|customer_components/.test(s.sql));
      assert.equal(touching.length, 1, statements.map((s) => s.sql.slice(0, 80)).join('\n'));
      // Besides it: the incident row ensured first, and the transaction around the statement.
      assert.ok(statements.length <= 5, `${statements.length} statements`);
    } finally {
      await logged.destroy();
    }
  });
});

describe('refreshBusinessImpact', () => {
  let t: TestDb;
  beforeEach(async () => { t = await createTestDb(); });
  afterEach(async () => { await t.close(); });

  test('recomputes every affected customer\'s estimate for the real duration and answers the totals', async () => {
    await seedCustomerBase(t.db, randomCustomerBase(99, 150));
    const { assessImpact, refreshBusinessImpact } = createImpactActivities({ db: t.db });
    const incident = incidentFixture({ components: ['comp-0', 'comp-3', 'comp-5'], severity: 'P2' });
    await assessImpact({ incident, now: '2026-01-29T14:35:00.000Z', revision: 1 });
    const before = await storedRows(t, incident.id);

    // Resolved 5 h 10 min after it started, refreshed a day later: the estimate is for 5 h 10 min.
    const resolved = { ...incident, status: 'resolved' as const, resolvedAt: '2026-01-29T19:40:00.000Z' };
    const totals = await refreshBusinessImpact({ incident: resolved, now: '2026-01-30T19:00:00.000Z' });
    const stored = await storedRows(t, incident.id);
    // Levels and ranks are the detection-time analysis'; only estimates move.
    const detection = (await pureAnalysis(t, incident, '2026-01-29T14:35:00.000Z')).analysis;
    const hours = (Date.parse(resolved.resolvedAt) - Date.parse(incident.startedAt)) / 3_600_000;
    const expected = detection.customers.map((c) => ({ ...c, businessImpact: Math.round((c.arr / 8760) * hours * { high: 1, medium: 0.5, low: 0.2 }[c.impactLevel as 'high'] * 0.6 * 100) / 100 }));
    for (const c of expected) {
      const row = stored.get(c.id)!;
      assert.equal(Number(row.business_impact_estimate), c.businessImpact, c.name);
      assert.equal(row.priority_rank, before.get(c.id)?.priority_rank);
    }
    const sum = expected.reduce((s, c) => s + c.businessImpact, 0);
    assert.deepEqual(totals, { ...detection.totals, businessImpact: Math.round(sum * 100) / 100 });
    assert.ok(totals.businessImpact > detection.totals.businessImpact * 5);

    // Again with the same duration: nothing rewritten.
    await refreshBusinessImpact({ incident: resolved, now: '2026-01-31T00:00:00.000Z' });
    assert.deepEqual(await storedRows(t, incident.id), stored);
  });
});

describe('code-point order', () => {
  test('the SQL collation "C" and compareCodePoints order names alike', async () => {
    const t = await createTestDb();
    try {
      const names = ['a', 'B', 'é', 'e', 'Z', 'ﬀ', '😀', '\uffff', 'a b', 'ab', 'Ω', '', '\u{10000}', 'A'];
      const { rows } = await sql<{ name: string }>`select name from unnest(${names}::text[]) as n(name) order by name collate "C"`.execute(t.db);
      assert.deepEqual(rows.map((r) => r.name), [...names].sort(compareCodePoints));
    } finally {
      await t.close();
    }
  });
});
