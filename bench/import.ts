/**
 * Import benchmark: a CRM export of 100k customers (~2.5 components each), 500 CSMs, 10 components
 * with aliases and 16 templates, imported the way a person does it — `npm run import -- FILE` as a
 * child process, timed from spawn to exit (Node start, reading, parsing, validating, writing,
 * commit). Scenarios: first import into an empty database, the same file again (all unchanged),
 * the same data as CSV files, and in process: the phases of a first import and a re-import with
 * 1% of ARRs changed.
 *
 * Usage: npx tsx bench/import.ts [--customers 100000]
 * Writes bench/results/import.json and the "Import" section of bench/README.md.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { createDb } from '../db/connect';
import { applyImport, type ImportCounts } from '../db/import';
import { validateImport } from '../domain/import';
import { generateDemoData } from '../demo/generate';
import { createTestDb, stopTestPostgres, type TestDb } from '../test/helpers/db';
import { replaceReadmeSection, writeResult } from './report';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CUSTOMERS = arg('customers', 100_000);
const CSMS = 500;
const COMPONENTS = 10;
const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(ROOT, `.data/bench-import-${process.pid}`);

/** A seeded export: same data on every run. */
function dataset() {
  let a = 42;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const regions = ['us-east', 'us-west', 'eu-west', 'eu-central', 'ap-southeast'];
  const segments = ['enterprise', 'mid-market', 'smb', 'smb'] as const;
  const usages = ['heavy', 'moderate', 'moderate', 'light', 'light'] as const;
  const csms = Array.from({ length: CSMS }, (_, i) => ({
    email: `csm-${i + 1}@corp.example`, name: `CSM ${i + 1}`, slackUserId: `U${String(i + 1).padStart(8, '0')}`,
    managerEmail: `manager-${i % 25}@corp.example`, timeZone: 'America/New_York',
  }));
  const components = Array.from({ length: COMPONENTS }, (_, i) => ({
    key: `comp-${i + 1}`, name: `Component ${i + 1}`,
    aliases: [{ source: 'pagerduty', externalId: `PCOMP${i + 1}` }, { source: 'statuspage', externalId: `sp-comp-${i + 1}` }],
    ticketTags: [`comp-${i + 1}`], ticketKeywords: [`component ${i + 1}`],
  }));
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => {
    const start = int(0, COMPONENTS - 1);
    const n = int(1, 4);
    return {
      externalId: `acct-${i + 1}`, name: `Customer ${i + 1}`, arr: int(5, 1000) * 1000, segment: segments[int(0, 3)]!,
      region: regions[int(0, regions.length - 1)]!, csmEmail: `csm-${int(1, CSMS)}@corp.example`,
      contactName: `Contact ${i + 1}`, contactEmail: `contact-${i + 1}@customer-${i + 1}.example`,
      components: Array.from({ length: n }, (_, j) => ({
        key: `comp-${((start + j * 3) % COMPONENTS) + 1}`, usage: usages[int(0, 4)]!, integrationDependent: next() < 0.15,
      })),
    };
  });
  return { csms, components, customers, templates: generateDemoData().templates };
}

type Dataset = ReturnType<typeof dataset>;

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

function writeCsv(d: Dataset): string[] {
  const files = {
    'csms.csv': ['email,name,slack_user_id,manager_email,time_zone', ...d.csms.map((c) => [c.email, c.name, c.slackUserId, c.managerEmail, c.timeZone].map(csvCell).join(','))],
    'components.csv': ['key,name,aliases,ticket_tags,ticket_keywords', ...d.components.map((c) => [
      c.key, c.name, c.aliases.map((a) => `${a.source}:${a.externalId}`).join(';'), c.ticketTags.join(';'), c.ticketKeywords.join(';'),
    ].map(csvCell).join(','))],
    'customers.csv': ['external_id,name,arr,segment,region,csm_email,contact_name,contact_email,components', ...d.customers.map((c) => [
      c.externalId, c.name, c.arr, c.segment, c.region, c.csmEmail, c.contactName, c.contactEmail,
      c.components.map((u) => `${u.key}:${u.usage}${u.integrationDependent ? ':integration' : ''}`).join(';'),
    ].map(csvCell).join(','))],
  };
  return Object.entries(files).map(([name, lines]) => {
    const file = path.join(WORK, name);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  });
}

/** `npm run import -- files` against the database; wall-clock ms from spawn to exit. */
function cli(files: string[], databaseUrl: string): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/import.ts'), ...files], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, maxBuffer: 64 * 1024 * 1024,
    }, (err, stdout, stderr) => (err ? reject(new Error(`import CLI failed: ${stderr || err.message}`)) : resolve({ ms: performance.now() - started, stdout })));
  });
}

/** The CLI's counts line for customers, e.g. "100000 inserted 0 updated 0 unchanged". */
const customersLine = (out: string) => out.split('\n').find((l) => l.trim().startsWith('customers '))!.trim().replace(/^customers\s+/, '').split(/\s+/).join(' ');

async function tableSizes(t: TestDb) {
  const n = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(t.db)).rows[0]!.n);
  return { customers: await n('customers'), customerComponents: await n('customer_components'), csms: await n('csms') };
}

const round = (ms: number) => Math.round(ms);

/** CPU time (user + system) a Postgres backend has used, from /proc (Linux; clock ticks of 10 ms). */
function backendCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function main() {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const dbs: TestDb[] = [];
  const fresh = async () => {
    const t = await createTestDb();
    dbs.push(t);
    return t;
  };
  try {
    const d = dataset();
    const jsonFile = path.join(WORK, 'customers-100k.json');
    writeFileSync(jsonFile, JSON.stringify(d));
    const csvFiles = writeCsv(d);
    const links = d.customers.reduce((s, c) => s + c.components.length, 0);
    console.log(`Dataset: ${d.customers.length} customers, ${links} customer components, JSON ${(statSync(jsonFile).size / 1e6).toFixed(1)} MB`);

    const scenarios: { name: string; ms: number; customers: string }[] = [];
    const a = await fresh();
    const first = await cli([jsonFile], a.url);
    scenarios.push({ name: 'CLI, JSON, empty database', ms: round(first.ms), customers: customersLine(first.stdout) });
    const sizes = await tableSizes(a);
    const again = await cli([jsonFile], a.url);
    scenarios.push({ name: 'CLI, same JSON again', ms: round(again.ms), customers: customersLine(again.stdout) });
    const b = await fresh();
    const csv = await cli(csvFiles, b.url);
    scenarios.push({ name: 'CLI, CSV files (csms, components, customers), empty database', ms: round(csv.ms), customers: customersLine(csv.stdout) });
    for (const s of scenarios) console.log(`${s.name}: ${s.ms} ms (customers ${s.customers})`);

    // In process, on one connection: where the time goes, as wall time and as CPU time of Node and
    // of the Postgres backend (CPU time barely depends on what else the machine is doing).
    const c = await fresh();
    const db = createDb(c.url, 1);
    const backend = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;
    const measure = async <T>(fn: () => Promise<T> | T) => {
      const pg0 = backendCpuMs(backend);
      const node0 = process.cpuUsage();
      const t0 = performance.now();
      const value = await fn();
      const node = process.cpuUsage(node0);
      return { value, wallMs: round(performance.now() - t0), nodeCpuMs: round((node.user + node.system) / 1000), pgCpuMs: backendCpuMs(backend) - pg0 };
    };
    const text = JSON.stringify(d);
    const parse = await measure(() => JSON.parse(text));
    const validate = await measure(() => validateImport(parse.value));
    const write = await measure(() => applyImport(db, validate.value));
    if (!write.value.ok) throw new Error('benchmark data was rejected');
    const same = await measure(() => applyImport(db, validateImport(JSON.parse(text))));
    for (let i = 0; i < d.customers.length; i += 100) d.customers[i]!.arr += 500;
    const changed = await measure(() => applyImport(db, validateImport(JSON.parse(JSON.stringify(d)))));
    await db.destroy();
    if (!same.value.ok || !changed.value.ok) throw new Error('benchmark data was rejected');
    const strip = <T extends { value: unknown }>({ value: _value, ...rest }: T) => rest;
    const phases = {
      parse: strip(parse), validate: strip(validate), firstWrite: strip(write), reimportUnchanged: strip(same),
      reimportOnePercentChanged: { ...strip(changed), customers: (changed.value as { counts: ImportCounts }).counts.customers },
    };
    console.log('In process:', JSON.stringify(phases));

    const results = {
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, postgres: 'embedded, fsync off (test settings)' },
      dataset: { ...sizes, components: COMPONENTS, templates: d.templates.length, jsonBytes: statSync(jsonFile).size },
      scenarios,
      loadAverage: loadavg().map((l) => Number(l.toFixed(1))),
      inProcess: phases,
    };
    await writeResult('import', results);
    await replaceReadmeSection('import', renderSection(results));
  } finally {
    for (const t of dbs) await t.close().catch(() => {});
    await stopTestPostgres();
    rmSync(WORK, { recursive: true, force: true });
  }
}

type Cost = { wallMs: number; nodeCpuMs: number; pgCpuMs: number };

function renderSection(r: {
  measuredAt: string; machine: { cpus: number; node: string }; loadAverage: number[];
  dataset: { customers: number; customerComponents: number; csms: number; jsonBytes: number };
  scenarios: { name: string; ms: number; customers: string }[];
  inProcess: Record<'parse' | 'validate' | 'firstWrite' | 'reimportUnchanged', Cost> & { reimportOnePercentChanged: Cost & { customers: { updated: number; unchanged: number } } };
}): string {
  const f = (n: number) => n.toLocaleString('en-US');
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const p = r.inProcess;
  const row = (name: string, c: Cost) => `| ${name} | ${s(c.wallMs)} | ${s(c.nodeCpuMs)} | ${s(c.pgCpuMs)} |`;
  return [
    '## Import (`bench/import.ts`)',
    '',
    `A CRM export of ${f(r.dataset.customers)} customers (${f(r.dataset.customerComponents)} customer-component rows), ${f(r.dataset.csms)} CSMs, `
      + `10 components with aliases and 16 templates (${(r.dataset.jsonBytes / 1e6).toFixed(1)} MB of JSON), imported with \`npm run import -- FILE\` `
      + 'as a child process and timed from spawn to exit (Node start, read, parse, validate, one transaction of chunked upserts, commit). '
      + `Measured ${r.measuredAt.slice(0, 10)} on ${r.machine.cpus} CPUs shared with other work (load average ${r.loadAverage.join(', ')} at the end), `
      + `Node ${r.machine.node}, embedded Postgres with the test settings (fsync off).`,
    '',
    '| scenario | wall time | customers |',
    '|---|---:|---|',
    ...r.scenarios.map((x) => `| ${x.name} | ${s(x.ms)} | ${x.customers} |`),
    '',
    'In process, on one connection. CPU time hardly depends on the machine\'s other load: on an idle machine the wall time is close to Node CPU + Postgres CPU.',
    '',
    '| step | wall time | Node CPU | Postgres CPU |',
    '|---|---:|---:|---:|',
    row('JSON.parse', p.parse),
    row('validation', p.validate),
    row('first import (database)', p.firstWrite),
    row('re-import, nothing changed (parse + validate + database)', p.reimportUnchanged),
    row(`re-import, 1% of ARRs changed (${f(p.reimportOnePercentChanged.customers.updated)} updated)`, p.reimportOnePercentChanged),
    '',
    'Raw numbers: `bench/results/import.json`. Run: `npx tsx bench/import.ts` (or `npm run bench -- import`).',
  ].join('\n');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
