/**
 * How fast the API answers a webhook sender: PagerDuty gives up after 5 s, Slack after 3 s.
 * Real API over HTTP on 127.0.0.1 (signature check, delivery recorded in Postgres, alias lookup,
 * signalWithStart on the Temporal dev server). No worker runs: the time measured ends when Temporal
 * has accepted the signal, which is all the sender waits for.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { createTestDb, stopTestPostgres } from '../test/helpers/db';
import { createDevServerEnv } from '../test/helpers/temporal';
import { percentile, replaceReadmeSection, writeResult } from './report';

const SECRET = 'bench-pagerduty-secret-0123456789';
const SLACK_SECRET = 'bench-slack-secret-0123456789';
const N = Number(process.env.BENCH_WEBHOOKS ?? 200);
const BURST = Number(process.env.BENCH_WEBHOOK_BURST ?? 50);
const template = JSON.parse(readFileSync(path.resolve(__dirname, '../test/fixtures/pagerduty/incident.triggered.json'), 'utf8'));

function pagerdutyBody(i: number, suffix: string): string {
  const env = structuredClone(template);
  env.event.id = `bench-${suffix}-${i}`;
  env.event.data.id = `PBENCH${suffix}${i}`;
  return JSON.stringify(env);
}

async function main() {
  const [env, t] = await Promise.all([createDevServerEnv(), createTestDb()]);
  const [component] = await t.db.insertInto('components').values({ key: 'api-gateway', name: 'API Gateway' }).returning('id').execute();
  await t.db.insertInto('component_aliases').values({ component_id: component.id, source: 'pagerduty', external_id: 'PF9KMXH' }).execute();
  const config = loadConfig({
    NODE_ENV: 'test', API_TOKENS: 'bench-api-token-0123456789', PAGERDUTY_WEBHOOK_SECRETS: `old-secret-0123456789,${SECRET}`,
    SLACK_SIGNING_SECRET: SLACK_SECRET, TEMPORAL_TASK_QUEUE: 'bench-webhooks', LOG_LEVEL: 'warn',
  });
  const app = await buildApp({ config, db: t.db, temporal: env.client });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });

  async function send(body: string): Promise<{ ms: number; status: number }> {
    const signature = `v1=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const started = performance.now();
    const res = await fetch(`${base}/api/webhooks/pagerduty`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature } });
    await res.arrayBuffer();
    return { ms: performance.now() - started, status: res.status };
  }
  const summary = (runs: { ms: number; status: number }[]) => ({
    requests: runs.length,
    statuses: [...new Set(runs.map((r) => r.status))].sort(),
    p50: round(percentile(runs.map((r) => r.ms), 50)),
    p95: round(percentile(runs.map((r) => r.ms), 95)),
    max: round(Math.max(...runs.map((r) => r.ms))),
  });

  for (let i = 0; i < 10; i++) await send(pagerdutyBody(i, 'warm'));
  const fresh: { ms: number; status: number }[] = [];
  for (let i = 0; i < N; i++) fresh.push(await send(pagerdutyBody(i, 'seq')));
  const duplicates: { ms: number; status: number }[] = [];
  for (let i = 0; i < N; i++) duplicates.push(await send(pagerdutyBody(i, 'seq')));
  const burstStarted = performance.now();
  const burst = await Promise.all(Array.from({ length: BURST }, (_, i) => send(pagerdutyBody(i, 'burst'))));
  const burstWall = performance.now() - burstStarted;
  const dupBurstStarted = performance.now();
  const dupBurst = await Promise.all(Array.from({ length: BURST }, (_, i) => send(pagerdutyBody(i, 'burst'))));
  const dupBurstWall = performance.now() - dupBurstStarted;

  const clicks: { ms: number; status: number }[] = [];
  for (let i = 0; i < N; i++) {
    const payload = JSON.stringify({ type: 'block_actions', user: { id: 'UBENCH' }, actions: [{ action_id: 'forewarn:view_dashboard', value: 'incident:pagerduty:PBENCHseq0' }] });
    const body = new URLSearchParams({ payload }).toString();
    const ts = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
    const started = performance.now();
    const res = await fetch(`${base}/api/slack/interactions`, { method: 'POST', body, headers: {
      'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': signature,
    } });
    await res.arrayBuffer();
    clicks.push({ ms: performance.now() - started, status: res.status });
  }

  const result = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg().map(round) },
    pagerdutyNew: summary(fresh),
    pagerdutyDuplicate: summary(duplicates),
    pagerdutyBurst: { ...summary(burst), concurrency: BURST, wallMs: round(burstWall) },
    pagerdutyDuplicateBurst: { ...summary(dupBurst), concurrency: BURST, wallMs: round(dupBurstWall) },
    slackButtonAck: summary(clicks),
  };
  await writeResult('webhooks', result);
  const row = (name: string, s: ReturnType<typeof summary>) => `| ${name} | ${s.requests} | ${s.statuses.join(', ')} | ${s.p50} | ${s.p95} | ${s.max} |`;
  await replaceReadmeSection('webhooks', `
## Webhook answer time (\`bench/webhooks.ts\`)

Time until the sender gets its answer, over HTTP on 127.0.0.1: signature check, delivery recorded, alias lookup,
\`signalWithStart\` accepted by the Temporal dev server (no worker running: the sender does not wait for the workflow).
PagerDuty gives up after 5 s, Slack after 3 s. Measured ${result.measuredAt.slice(0, 10)} on ${result.machine.cpus} CPUs (shared; load average ${result.machine.loadAverage.join(', ')}), Node ${result.machine.node}.

| scenario | requests | statuses | p50 ms | p95 ms | max ms |
|---|---:|---|---:|---:|---:|
${row('PagerDuty incident.triggered, new incidents, one at a time', result.pagerdutyNew)}
${row('PagerDuty redelivery of the same events (duplicates)', result.pagerdutyDuplicate)}
${row(`PagerDuty burst, ${BURST} at once (wall ${result.pagerdutyBurst.wallMs} ms)`, result.pagerdutyBurst)}
${row(`the same burst again (duplicates: Postgres only, wall ${result.pagerdutyDuplicateBurst.wallMs} ms)`, result.pagerdutyDuplicateBurst)}
${row('Slack button click, acknowledged before the work', result.slackButtonAck)}

Raw numbers: \`bench/results/webhooks.json\`. Run: \`npx tsx bench/webhooks.ts\` (or \`npm run bench -- webhooks\`).
`);
  console.log(JSON.stringify(result, null, 2));
  await app.close();
  await env.teardown();
  await t.close();
  await stopTestPostgres();
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
