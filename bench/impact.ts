/**
 * Impact-analysis benchmark at the scale the product promises: 100k customers, 10 components
 * (~2.5 per customer), 500 CSMs, hourly usage for 30% of customers. Measures the one candidate
 * query (the same builder production runs) for 1 and 3 components, with and without a region
 * filter, records its EXPLAIN ANALYZE plan, and times the whole analyzeImpact activity (query,
 * scoring, bulk upsert) on a first run and an unchanged re-run.
 *
 * Usage: npx tsx bench/impact.ts [--customers 100000] [--runs 10]
 * Writes bench/results/impact.json and the "Impact analysis" section of bench/README.md.
 */
import { cpus } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { createImpactActivities } from '../activities/impact';
import { findImpactCandidates, impactCandidatesQuery, type ImpactQueryInput } from '../db/impact-queries';
import type { Database } from '../db/types';
import type { Incident } from '../domain/types';
import { createTestDb, stopTestPostgres } from '../test/helpers/db';
import { percentile, replaceReadmeSection, writeResult } from './report';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CUSTOMERS = arg('customers', 100_000);
const RUNS = arg('runs', 10);
const WARMUP = 2;
const CSMS = 500;
const COMPONENTS = 10;
const REGIONS = ['us-east', 'us-west', 'eu-west', 'eu-central', 'ap-south', 'ap-east'];
const USAGE_HOURS = 48;
/** Usage runs from BASE for 48 hours; the incident starts 36 hours in and is 4 hours old. */
const BASE = '2026-01-28T00:00:00.000Z';
const STARTED_AT = '2026-01-29T12:30:00.000Z';
const NOW = '2026-01-29T16:30:00.000Z';

async function seed(db: Kysely<Database>): Promise<Record<string, number>> {
  await sql`insert into csms (email, name, slack_user_id, manager_email, time_zone)
    select 'csm-' || g || '@corp.example', 'CSM ' || g, 'U' || lpad(g::text, 8, '0'), 'manager-' || (g % 25) || '@corp.example',
           (array['America/New_York','Europe/Berlin','Asia/Kolkata'])[1 + g % 3]
    from generate_series(1, ${CSMS}) g`.execute(db);
  await sql`insert into components (key, name) select 'comp-' || g, 'Component ' || g from generate_series(1, ${COMPONENTS}) g`.execute(db);
  // Deterministic pseudo-random attributes from the customer number g.
  await sql`insert into customers (external_id, name, arr, segment, region, csm_id, contact_name, contact_email)
    select 'acct-' || g, 'Customer ' || g,
           5000 + (g * 7919 % 995) * 1000,
           (array['enterprise','mid-market','smb','smb'])[1 + g % 4],
           (${sql.val(REGIONS)}::text[])[1 + (g * 31) % ${REGIONS.length}],
           (select id from csms where email = 'csm-' || (1 + g % ${CSMS}) || '@corp.example'),
           'Contact ' || g, 'contact-' || g || '@customer.example'
    from generate_series(1, ${CUSTOMERS}) g`.execute(db);
  // 1-4 components each (2.5 on average), spread over all ten.
  await sql`insert into customer_components (customer_id, component_id, usage_level, integration_dependent)
    select c.id, co.id,
           (array['heavy','moderate','moderate','light','light'])[1 + (c.g * 13 + j) % 5],
           (c.g + j) % 7 = 0
    from (select id, substr(external_id, 6)::int as g from customers) c
    cross join lateral generate_series(0, c.g % 4) j
    join components co on co.key = 'comp-' || ((c.g * 7 + j * 3) % ${COMPONENTS} + 1)`.execute(db);
  // Hourly usage for 30% of customers; a tenth of those went silent before the incident.
  await sql`insert into customer_usage (customer_id, component_id, hour, request_count)
    select cc.customer_id, cc.component_id, ${BASE}::timestamptz + make_interval(hours => h),
           case when c.g % 10 = 0 and h >= 30 then 0 else 50 + (c.g * h) % 950 end
    from (select id, substr(external_id, 6)::int as g from customers) c
    join customer_components cc on cc.customer_id = c.id
    cross join generate_series(0, ${USAGE_HOURS - 1}) h
    where c.g % 10 < 3`.execute(db);
  await sql`analyze`.execute(db);
  const counts: Record<string, number> = {};
  for (const table of ['csms', 'components', 'customers', 'customer_components', 'customer_usage'] as const) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

interface PlanNode { 'Node Type': string; 'Index Name'?: string; 'Relation Name'?: string; Plans?: PlanNode[] }

function planSummary(node: PlanNode, out: { nodes: string[]; indexes: Set<string>; seqScans: Set<string> } = { nodes: [], indexes: new Set(), seqScans: new Set() }) {
  const label = node['Index Name'] ? `${node['Node Type']} using ${node['Index Name']}`
    : node['Relation Name'] ? `${node['Node Type']} on ${node['Relation Name']}` : node['Node Type'];
  out.nodes.push(label);
  if (node['Index Name']) out.indexes.add(node['Index Name']);
  if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) out.seqScans.add(node['Relation Name']);
  for (const child of node.Plans ?? []) planSummary(child, out);
  return out;
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function main() {
  const t = await createTestDb();
  try {
    const seedTimer = await time(() => seed(t.db));
    console.log(`seeded in ${(seedTimer.ms / 1000).toFixed(1)} s:`, seedTimer.value);
    const version = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(t.db);

    const scenarios: { name: string; input: ImpactQueryInput }[] = [
      { name: '1 component', input: { components: ['comp-1'], regions: [], windowStart: STARTED_AT, windowEnd: NOW } },
      { name: '1 component, 2 regions', input: { components: ['comp-1'], regions: ['us-east', 'eu-west'], windowStart: STARTED_AT, windowEnd: NOW } },
      { name: '3 components', input: { components: ['comp-1', 'comp-4', 'comp-7'], regions: [], windowStart: STARTED_AT, windowEnd: NOW } },
      { name: '3 components, 2 regions', input: { components: ['comp-1', 'comp-4', 'comp-7'], regions: ['us-east', 'eu-west'], windowStart: STARTED_AT, windowEnd: NOW } },
    ];
    const queryResults = [];
    for (const s of scenarios) {
      const timings: number[] = [];
      let rows = 0;
      for (let i = 0; i < WARMUP + RUNS; i += 1) {
        const r = await time(() => findImpactCandidates(t.db, s.input));
        rows = r.value.length;
        if (i >= WARMUP) timings.push(r.ms);
      }
      const explained = await impactCandidatesQuery(t.db, s.input).explain('json', sql`analyze, buffers`);
      const plan = (explained[0]['QUERY PLAN'] as { Plan: PlanNode; 'Execution Time': number; 'Planning Time': number }[])[0];
      const summary = planSummary(plan.Plan);
      const result = {
        scenario: s.name,
        components: s.input.components,
        regions: s.input.regions,
        rows,
        runs: RUNS,
        p50Ms: percentile(timings, 50),
        p95Ms: percentile(timings, 95),
        minMs: Math.min(...timings),
        maxMs: Math.max(...timings),
        explain: {
          executionMs: plan['Execution Time'],
          planningMs: plan['Planning Time'],
          indexesUsed: [...summary.indexes].sort(),
          seqScans: [...summary.seqScans].sort(),
          nodes: summary.nodes,
        },
      };
      console.log(`${s.name}: ${rows} customers, p50 ${result.p50Ms.toFixed(1)} ms, p95 ${result.p95Ms.toFixed(1)} ms, `
        + `indexes ${result.explain.indexesUsed.join(', ')}; seq scans: ${result.explain.seqScans.join(', ') || 'none'}`);
      queryResults.push(result);
    }

    // The whole activity: query + scoring + one bulk upsert, first run then an unchanged re-run.
    const incident: Incident = {
      id: '00000000-0000-4000-8000-000000000001', workflowId: 'incident:generic:bench', source: 'generic', externalId: 'bench',
      title: 'Benchmark incident', status: 'investigating', severity: 'P1', components: ['comp-1', 'comp-4', 'comp-7'], regions: [], startedAt: STARTED_AT,
    };
    const { analyzeImpact } = createImpactActivities({ db: t.db });
    const first = await time(() => analyzeImpact({ incident, now: NOW }));
    const rerun = await time(() => analyzeImpact({ incident, now: NOW }));
    const narrowed = await time(() => analyzeImpact({ incident: { ...incident, components: ['comp-1'] }, now: NOW }));
    const activity = {
      scenario: '3 components, no region filter',
      affectedCustomers: first.value.customers.length,
      csms: first.value.csms.length,
      firstRunMs: first.ms,
      unchangedRerunMs: rerun.ms,
      narrowedTo1ComponentMs: narrowed.ms,
      narrowedAffected: narrowed.value.customers.length,
    };
    console.log('analyzeImpact:', activity);

    const results = {
      benchmark: 'impact',
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, postgres: version.rows[0].v },
      data: { ...seedTimer.value, usageHours: USAGE_HOURS, seedSeconds: Math.round(seedTimer.ms / 100) / 10 },
      incidentWindow: { startedAt: STARTED_AT, now: NOW },
      query: queryResults,
      activity,
    };
    await writeResult('impact', results);
    await replaceReadmeSection('impact', renderSection(results));
    console.log(`wrote ${path.join('bench', 'results', 'impact.json')} and bench/README.md`);
  } finally {
    await t.close();
    await stopTestPostgres();
  }
}

function renderSection(r: {
  measuredAt: string; machine: { cpus: number; node: string; postgres: string }; data: Record<string, number>;
  query: { scenario: string; rows: number; p50Ms: number; p95Ms: number; runs: number; explain: { executionMs: number; indexesUsed: string[]; seqScans: string[] } }[];
  activity: { affectedCustomers: number; csms: number; firstRunMs: number; unchangedRerunMs: number; narrowedTo1ComponentMs: number; narrowedAffected: number };
}): string {
  const ms = (n: number) => n.toFixed(1);
  const lines = [
    '## Impact analysis (`bench/impact.ts`)',
    '',
    `The candidate query of \`analyzeImpact\` (one SQL statement: components → customer_components → customers → csms, `
      + `plus per-pair probes of customer_usage) at ${r.data.customers.toLocaleString('en-US')} customers, `
      + `${r.data.customer_components.toLocaleString('en-US')} customer-component rows, ${r.data.csms} CSMs and `
      + `${r.data.customer_usage.toLocaleString('en-US')} hourly usage rows. ${r.query[0]?.runs ?? 0} runs after 2 warm-ups; `
      + `times include transferring and mapping the rows in Node. Measured ${r.measuredAt.slice(0, 10)} on ${r.machine.cpus} CPUs (shared), `
      + `Node ${r.machine.node}, Postgres ${r.machine.postgres}.`,
    '',
    '| scenario | customers found | p50 ms | p95 ms | EXPLAIN ANALYZE ms | indexes used | seq scans |',
    '|---|---:|---:|---:|---:|---|---|',
    ...r.query.map((q) => `| ${q.scenario} | ${q.rows.toLocaleString('en-US')} | ${ms(q.p50Ms)} | ${ms(q.p95Ms)} | ${ms(q.explain.executionMs)} | `
      + `${q.explain.indexesUsed.join(', ')} | ${q.explain.seqScans.join(', ') || 'none'} |`),
    '',
    `Whole activity (query + scoring + bulk upsert of incident_customer_impact), 3 components: `
      + `${r.activity.affectedCustomers.toLocaleString('en-US')} affected customers, ${r.activity.csms} CSMs — first run ${ms(r.activity.firstRunMs)} ms, `
      + `unchanged re-run ${ms(r.activity.unchangedRerunMs)} ms, narrowed to 1 component (${r.activity.narrowedAffected.toLocaleString('en-US')} still affected, `
      + `the rest marked no longer affected) ${ms(r.activity.narrowedTo1ComponentMs)} ms.`,
    '',
    'Full plans: `bench/results/impact.json`. Run: `npx tsx bench/impact.ts` (or `npm run bench`).',
  ];
  return lines.join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
