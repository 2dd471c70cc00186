/**
 * What authentication costs a request, and the audit log's reads at volume. Every authenticated
 * request resolves its credentials (API_TOKENS in memory; a stored token, or a session and its
 * person's role, from Postgres), so this is overhead on every API call and dashboard poll.
 * Measured through the whole HTTP stack (app.inject) on GET /api/me, against GET /auth/options
 * (public, no database) as the floor; then GET /api/audit on 200,000 audit rows with each filter.
 *
 * Usage: npx tsx bench/auth.ts [--runs 2000] [--audit 200000]
 * Writes bench/results/auth.json and the "Authentication" section of bench/README.md.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { createApiToken } from '../db/api-tokens';
import { createSession } from '../db/sessions';
import { createTestDb, stopTestPostgres } from '../test/helpers/db';
import { percentile, replaceReadmeSection, writeResult } from './report';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = arg('runs', 2000);
const AUDIT_ROWS = arg('audit', 200_000);
const TOKEN = 'bench-auth-token-0123456789';
const CSMS = 500;

async function main(): Promise<void> {
  const t = await createTestDb();
  try {
    const { db } = t;
    await sql`insert into csms (email, name, manager_email)
      select 'csm-' || g || '@corp.example', 'CSM ' || g, 'manager-' || (g % 25) || '@corp.example' from generate_series(1, ${CSMS}) g`.execute(db);
    const [manager, csm] = await db.insertInto('people').values([
      { email: 'manager-1@corp.example', name: 'Manager 1' }, { email: 'csm-7@corp.example', name: 'CSM 7' },
    ]).returning('id').execute();
    const integration = await createApiToken(db, { name: 'bench integration', scopes: ['read'], createdBy: 'bench' });
    const personal = await createApiToken(db, { name: 'bench personal', scopes: ['read'], personId: csm!.id, createdBy: 'bench' });
    const managerSession = await createSession(db, manager!.id, 3_600_000);
    const csmSession = await createSession(db, csm!.id, 3_600_000);
    await sql`insert into audit_log (at, actor_kind, actor_id, actor_name, actor_email, action, incident_id, target, detail)
      select now() - make_interval(secs => g), (array['person','token','slack','system'])[1 + g % 4], 'actor-' || (g % 300), 'Actor ' || (g % 300) || ' <actor-' || (g % 300) || '@corp.example>', 'actor-' || (g % 300) || '@corp.example',
        (array['outreach.changed','incident.acknowledged','template.approved','import.applied','session.signed_in'])[1 + g % 5],
        ('00000000-0000-4000-8000-' || lpad((g % 2000)::text, 12, '0'))::uuid, 'target-' || g, '{"status":"sent"}'::jsonb
      from generate_series(1, ${AUDIT_ROWS}) g`.execute(db);
    await sql`analyze`.execute(db);

    const config = loadConfig({ NODE_ENV: 'test', API_TOKENS: TOKEN, LOG_LEVEL: 'error' });
    const app = await buildApp({ config, db, temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }) });
    await app.ready();
    const time = async (name: string, url: string, headers: Record<string, string>, expect: number, runs = RUNS) => {
      const ms: number[] = [];
      for (let i = 0; i < runs + 50; i++) {
        const start = performance.now();
        const res = await app.inject({ method: 'GET', url, headers });
        if (i >= 50) ms.push(performance.now() - start);
        if (res.statusCode !== expect) throw new Error(`${name}: ${res.statusCode} ${res.body}`);
      }
      return { name, runs, p50: percentile(ms, 50), p95: percentile(ms, 95) };
    };
    const credentials = [
      await time('public, no credentials (GET /auth/options)', '/auth/options', {}, 200),
      await time('no credentials: 401', '/api/me', {}, 401),
      await time('API_TOKENS bootstrap token', '/api/me', { authorization: `Bearer ${TOKEN}` }, 200),
      await time('stored integration token', '/api/me', { authorization: `Bearer ${integration.token}` }, 200),
      await time("stored person's token (CSM)", '/api/me', { authorization: `Bearer ${personal.token}` }, 200),
      await time('session cookie, CSM', '/api/me', { cookie: `forewarn_session=${csmSession.id}` }, 200),
      await time('session cookie, CS manager of 20 CSMs', '/api/me', { cookie: `forewarn_session=${managerSession.id}` }, 200),
    ];
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const auditRuns = Math.max(50, Math.round(RUNS / 10));
    const audit = [
      await time('newest 50', '/api/audit', bearer, 200, auditRuns),
      await time('by actor id', '/api/audit?actor=actor-42', bearer, 200, auditRuns),
      await time('by actor email', '/api/audit?actor=actor-42%40corp.example', bearer, 200, auditRuns),
      await time('by action', '/api/audit?action=template.approved', bearer, 200, auditRuns),
      await time('by incident', '/api/audit?incidentId=00000000-0000-4000-8000-000000000042', bearer, 200, auditRuns),
      await time('by action and incident, 10th page', '/api/audit?action=outreach.changed&incidentId=00000000-0000-4000-8000-000000000040&before=20000', bearer, 200, auditRuns),
    ];
    await app.close();
    const env = { cpus: cpus().length, node: process.version, date: new Date().toISOString().slice(0, 10), loadAverage: loadavg()[0]!.toFixed(1) };
    await writeResult('auth', { runs: RUNS, auditRows: AUDIT_ROWS, env, credentials, audit });
    const table = (rows: { name: string; p50: number; p95: number }[]) => rows.map((r) => `| ${r.name} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} |`).join('\n');
    await replaceReadmeSection('auth', `
## Authentication and audit (\`bench/auth.ts\`)

What resolving credentials adds to a request: \`GET /api/me\` through the whole HTTP stack (\`app.inject\`) with each kind of credentials, ${RUNS} runs each after 50 warm-ups, against a public route with no database work. Stored tokens and sessions are looked up by SHA-256 in Postgres, then the person's role from the ${CSMS} CSM records (a manager's team listed for \`outreachFor\`). Measured ${env.date} on ${env.cpus} CPUs shared with other work (load average ${env.loadAverage} at the end), Node ${env.node}.

| credentials | p50 ms | p95 ms |
|---|---:|---:|
${table(credentials)}

\`GET /api/audit\` (50 a page, newest first) on ${AUDIT_ROWS.toLocaleString('en-US')} audit rows, ${auditRuns} runs each:

| query | p50 ms | p95 ms |
|---|---:|---:|
${table(audit)}

Raw numbers: \`bench/results/auth.json\`. Run: \`npx tsx bench/auth.ts\` (or \`npm run bench -- auth\`).
`);
    console.table([...credentials, ...audit]);
  } finally {
    await t.close();
    await stopTestPostgres();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
