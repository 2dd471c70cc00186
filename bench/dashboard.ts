/**
 * Dashboard read queries at the product's scale: 100k customers, 500 CSMs, a quarter's incidents
 * (open and resolved, most touching a few hundred customers, two touching tens of thousands), their
 * outbox and timelines. Times each JSON endpoint the page polls through the whole HTTP stack
 * (app.inject: routing, auth, query, serialization, ETag), and the 304 a poll costs when nothing changed.
 *
 * Usage: npx tsx bench/dashboard.ts [--customers 100000] [--runs 10]
 * Writes bench/results/dashboard.json and the "Dashboard" section of bench/README.md.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import type { Database } from '../db/types';
import { createTestDb, stopTestPostgres } from '../test/helpers/db';
import { percentile, replaceReadmeSection, writeResult } from './report';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CUSTOMERS = arg('customers', Number(process.env.BENCH_CUSTOMERS ?? 100_000));
const RUNS = arg('runs', 10);
const WARMUP = 2;
const CSMS = 500;
const OPEN = 40;
const RESOLVED = 1_000;
const TOKEN = 'bench-dashboard-token-0123456789';

export async function seed(db: Kysely<Database>): Promise<Record<string, number>> {
  await sql`insert into csms (email, name, slack_user_id, manager_email)
    select 'csm-' || g || '@corp.example', 'CSM ' || g, 'U' || lpad(g::text, 8, '0'), 'manager-' || (g % 25) || '@corp.example'
    from generate_series(1, ${CSMS}) g`.execute(db);
  await sql`insert into customers (external_id, name, arr, segment, region, csm_id)
    select 'acct-' || g, 'Customer ' || g, 5000 + (abs(hashtext('arr' || g)) % 995) * 1000,
      (array['enterprise','mid-market','smb','smb'])[1 + abs(hashtext('segment' || g)) % 4], 'us-east', s.id
    from generate_series(1, ${CUSTOMERS}) g
    join csms s on s.email = 'csm-' || (1 + abs(hashtext('csm' || g)) % ${CSMS}) || '@corp.example'`.execute(db);
  // Incidents over the last 90 days; the first two open ones are the big ones (25k and 45k customers).
  await sql`insert into product_incidents (id, source, external_id, workflow_id, title, severity, status, started_at, detected_at, resolved_at,
      affected_customer_count, arr_at_risk)
    select gen_random_uuid(), 'pagerduty', 'INC-' || g, 'incident:pagerduty:INC-' || g, 'Incident ' || g,
      (array['P1','P2','P3','P4'])[1 + g % 4], case when g <= ${OPEN} then 'investigating' else 'resolved' end,
      now() - make_interval(mins => (g * 127) % (90 * 24 * 60)), now() - make_interval(mins => (g * 127) % (90 * 24 * 60)) + interval '30 seconds',
      case when g <= ${OPEN} then null else now() - make_interval(mins => (g * 127) % (90 * 24 * 60)) + interval '2 hours' end, 0, 0
    from generate_series(1, ${OPEN + RESOLVED}) g`.execute(db);
  await sql`insert into incident_customer_impact (incident_id, customer_id, impact_level, reason, priority_rank, outreach_status,
      business_impact_estimate, csm_notified_at)
    select i.id, c.id, (array['high','medium','low'])[1 + c.n % 3], 'Heavy Component user', row_number() over (partition by i.id order by c.arr desc),
      (array['pending','drafted','sent','responded','resolution_sent','followed_up'])[1 + (c.n + i.n) % 6], c.arr * 0.01,
      i.detected_at + make_interval(secs => 2 + c.n % 20)
    from (select id, detected_at, substr(external_id, 5)::int as n from product_incidents) i
    cross join lateral generate_series(1, case i.n when 1 then 45000 when 2 then 25000 else 20 + (i.n * 37) % 100 end) k
    -- Small incidents pick customers spread over the base (7919 is prime to the customer count: no repeats).
    join lateral (select id, arr, substr(external_id, 6)::int as n from customers
      where external_id = 'acct-' || case when i.n <= 2 then k else 1 + (k * 7919 + i.n * 104729) % ${CUSTOMERS} end) c on true`.execute(db);
  await sql`update product_incidents i set affected_customer_count = x.n, arr_at_risk = x.arr
    from (select ici.incident_id, count(*) as n, sum(c.arr) as arr from incident_customer_impact ici join customers c on c.id = ici.customer_id group by 1) x
    where x.incident_id = i.id`.execute(db);
  // One alert per (incident, CSM) and one outreach email per high-impact customer.
  await sql`insert into notifications (idempotency_key, incident_id, channel, recipient, kind, payload, status, created_at, sent_at)
    select i.workflow_id || ':alert:' || s.email, i.id, 'slack', s.email, 'alert', '{"text":"alert"}', 'dry_run', min(ici.csm_notified_at), min(ici.csm_notified_at)
    from incident_customer_impact ici join product_incidents i on i.id = ici.incident_id join customers c on c.id = ici.customer_id join csms s on s.id = c.csm_id
    group by i.id, i.workflow_id, s.email`.execute(db);
  await sql`insert into notifications (idempotency_key, incident_id, channel, recipient, kind, payload, status, created_at, sent_at)
    select i.workflow_id || ':outreach:' || c.id, i.id, 'email', 'contact-' || c.id || '@customer.example', 'outreach',
      '{"to":"x@customer.example","subject":"Incident","body":"Hello"}', 'drafted', ici.csm_notified_at + interval '5 seconds', ici.csm_notified_at + interval '5 seconds'
    from incident_customer_impact ici join product_incidents i on i.id = ici.incident_id join customers c on c.id = ici.customer_id
    where ici.impact_level = 'high'`.execute(db);
  await sql`insert into incident_updates (incident_id, kind, summary, dedupe_key, occurred_at)
    select i.id, (array['status','alert','outreach','note'])[1 + j % 4], 'Update ' || j, i.id || ':' || j, i.detected_at + make_interval(mins => j)
    from product_incidents i cross join generate_series(1, 20) j`.execute(db);
  await sql`insert into follow_ups (incident_id, kind, csm_email, due_at, status, done_at)
    select i.id, 'customer_follow_up', null, i.resolved_at + interval '24 hours', case when i.resolved_at < now() - interval '24 hours' then 'done' else 'scheduled' end,
      case when i.resolved_at < now() - interval '24 hours' then i.resolved_at + interval '25 hours' end
    from product_incidents i where i.resolved_at is not null`.execute(db);
  await sql`analyze`.execute(db);
  const counts: Record<string, number> = {};
  for (const table of ['customers', 'product_incidents', 'incident_customer_impact', 'notifications', 'incident_updates'] as const) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

async function main() {
  const t = await createTestDb();
  try {
    const seedStart = performance.now();
    const counts = await seed(t.db);
    const seedMs = performance.now() - seedStart;
    const big = await t.db.selectFrom('product_incidents').select('id').where('external_id', '=', 'INC-1').executeTakeFirstOrThrow();
    const config = loadConfig({ NODE_ENV: 'test', API_TOKENS: TOKEN });
    const app = await buildApp({ config, db: t.db, temporal: new Client() });
    const headers = { authorization: `Bearer ${TOKEN}` };
    const now = Math.ceil(Date.now() / 60_000) * 60_000;
    const iso = (days: number) => encodeURIComponent(new Date(now + days * 86_400_000).toISOString());

    const endpoints: [string, string][] = [
      ['incidents overview', '/api/dashboard/incidents'],
      ['incident detail, 45k customers, first page by priority', `/api/dashboard/incidents/${big.id}`],
      ['incident detail, 45k customers, sorted by CSM', `/api/dashboard/incidents/${big.id}?sort=csm`],
      ['team (open incidents)', '/api/dashboard/team'],
      // A fixed period, so the answer (and its ETag) stays the same between runs.
      ['outcomes, 30 days (daily series)', `/api/dashboard/outcomes?from=${iso(-30)}&to=${iso(0)}`],
      ['outcomes, 90 days (daily series)', `/api/dashboard/outcomes?from=${iso(-90)}&to=${iso(0)}`],
      ['outbox, newest 50', '/api/dashboard/outbox'],
    ];
    const rows = [];
    for (const [name, url] of endpoints) {
      const times: number[] = [];
      let bytes = 0;
      let etag = '';
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const start = performance.now();
        const res = await app.inject({ url, headers });
        const ms = performance.now() - start;
        if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${res.body}`);
        if (i >= WARMUP) times.push(ms);
        bytes = res.rawPayload.length;
        etag = res.headers.etag as string;
      }
      // An unchanged poll: same query, but no body over the wire and no re-render in the page.
      const unchanged: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const start = performance.now();
        const res = await app.inject({ url, headers: { ...headers, 'if-none-match': etag } });
        unchanged.push(performance.now() - start);
        if (res.statusCode !== 304) throw new Error(`${url} with its ETag answered ${res.statusCode}`);
      }
      const row = { name, url, p50: percentile(times, 50), p95: percentile(times, 95), unchangedP50: percentile(unchanged, 50), bytes };
      console.log(`${name}: p50 ${row.p50.toFixed(1)} ms, p95 ${row.p95.toFixed(1)} ms, 304 p50 ${row.unchangedP50.toFixed(1)} ms, ${bytes} bytes`);
      rows.push(row);
    }
    await app.close();

    const env = { cpus: cpus().length, node: process.version, date: new Date().toISOString().slice(0, 10), loadAverage: loadavg()[0]!.toFixed(1) };
    await writeResult('dashboard', { counts, seedMs, runs: RUNS, warmup: WARMUP, env, endpoints: rows });
    const fmt = (n: number) => n.toLocaleString('en-US');
    await replaceReadmeSection('dashboard', `
## Dashboard (\`bench/dashboard.ts\`)

The JSON endpoints the dashboard polls every 2 s, through the whole HTTP stack (\`app.inject\`: auth, query, serialization, ETag), on ${fmt(counts.customers!)} customers, 500 CSMs, ${fmt(counts.product_incidents!)} incidents over 90 days (${OPEN} open, two of them affecting 45,000 and 25,000 customers), ${fmt(counts.incident_customer_impact!)} impact rows, ${fmt(counts.notifications!)} outbox rows and ${fmt(counts.incident_updates!)} timeline entries. ${RUNS} runs after ${WARMUP} warm-ups. "Unchanged" is a poll that sends the last ETag and gets 304 (no body, no re-render). Measured ${env.date} on ${env.cpus} CPUs shared with other work (load average ${env.loadAverage} at the end), Node ${env.node}: on a quiet machine expect several times less.

| endpoint | p50 ms | p95 ms | unchanged (304) p50 ms | body |
|---|---:|---:|---:|---:|
${rows.map((r) => `| ${r.name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.unchangedP50.toFixed(1)} | ${(r.bytes / 1024).toFixed(1)} KB |`).join('\n')}

Raw numbers: \`bench/results/dashboard.json\`. Run: \`npx tsx bench/dashboard.ts\` (or \`npm run bench -- dashboard\`).
`);
  } finally {
    await t.close();
    await stopTestPostgres();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
