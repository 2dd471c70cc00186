/**
 * Many APIs and workers: 2 API and 3 worker processes of the production install on one Temporal dev
 * server and one Postgres. A storm of incidents goes through both APIs (each opening and each
 * resolution sent to both, under one delivery id) while the workers are restarted one at a time with
 * SIGTERM. Counts what reached Slack against what should have. CI runs the same scenario small
 * (test/deploy/production.test.ts); this is the larger run, with timings.
 *
 *   npm run bench -- cluster      (BENCH_STORM=60 incidents)
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeSlack } from '../test/fakes/slack';
import { createTestDb, stopTestPostgres } from '../test/helpers/db';
import {
  customerBase, emptyDatabase, processEnv, productionInstall, runNode, stackEnv, startApi, startTemporal, startWorker, stopStack,
  type Stack,
} from '../test/deploy/stack';
import { runStorm } from '../test/deploy/storm';
import { replaceReadmeSection, writeResult } from './report';

const INCIDENTS = Number(process.env.BENCH_STORM ?? 60);
const APIS = 2;
const WORKERS = 3;

async function main(cleanups: (() => unknown)[]) {
  const [server, temporal] = await Promise.all([createTestDb(), startTemporal()]);
  cleanups.push(() => stopTestPostgres(), () => server.close(), () => temporal.stop());
  console.log('building the production install...');
  const install = productionInstall();
  cleanups.push(() => install.remove());
  const base = customerBase();
  const s: Stack = {
    install, temporal, db: await emptyDatabase(server.url), slack: await FakeSlack.start({ users: base.slackUsers }),
    taskQueue: 'bench-cluster', apis: [], workers: [],
  };
  cleanups.push(() => stopStack(s));
  const env = processEnv(stackEnv(s));
  const file = path.join(install.dir, 'customers.json');
  writeFileSync(file, JSON.stringify(base.data));
  for (const [entry, args] of [['dist/scripts/migrate.js', []], ['dist/scripts/import.js', [file]]] as const) {
    const r = await runNode(install, entry, env, [...args]);
    if (r.code !== 0) throw new Error(`${entry} failed:\n${r.output}`);
  }
  for (let i = 0; i < WORKERS; i++) await startWorker(s);
  for (let i = 0; i < APIS; i++) await startApi(s);

  const storm = await runStorm(s, { incidents: INCIDENTS, restartWorkers: true, timeoutMs: 10 * 60_000 });
  const result = {
    measuredAt: new Date().toISOString(), cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg().map((l) => +l.toFixed(1)),
    apis: APIS, workers: WORKERS, ...storm,
  };
  await writeResult('cluster', result);
  const counts = (t: typeof storm.alerts) => `${t.delivered} / ${t.expected} | ${t.lost.length} | ${t.duplicated.length} | ${t.repeated.length}`;
  await replaceReadmeSection('cluster', [
    '## Many APIs and workers (`bench/cluster.ts`)',
    '',
    `${APIS} API and ${WORKERS} worker processes of the production install (\`npm ci --omit=dev\`, compiled, plain \`node\`) on one Temporal dev server and one Postgres. ${INCIDENTS} incidents (P2–P4 on 1–2 of 3 components; 6 CSMs) go through both APIs: each opening and each resolution is sent to both APIs at once under one delivery id, ${storm.webhookPosts} posts in all (${storm.webhookRetries} answered other than 202 and were retried, as a sender would). Meanwhile every worker is stopped with SIGTERM and replaced, one at a time. A message is lost when an incident's CSM never got it, duplicated when Slack received its idempotency key twice, repeated when a CSM got two different messages of that kind for one incident (an event applied twice). Measured ${result.measuredAt.slice(0, 16).replace('T', ' ')} UTC on ${result.cpus} CPUs shared with other work (load average ${result.loadAverage.join(', ')} at the end), Node ${result.node}.`,
    '',
    '| messages | delivered / expected | lost | duplicated | repeated |',
    '|---|---:|---:|---:|---:|',
    `| alert DMs | ${counts(storm.alerts)} |`,
    `| resolution DMs | ${counts(storm.resolutions)} |`,
    '',
    `Deliveries on record: ${storm.deliveries.rows} rows for ${storm.deliveries.distinct} delivery ids (${Object.entries(storm.deliveries.statuses).map(([k, v]) => `${v} ${k}`).join(', ')}). Worker restarts (SIGTERM → exit, then the replacement healthy): ${storm.restarts.map((r) => `exit ${r.exit ?? r.signal} after ${(r.drainMs / 1000).toFixed(1)} s, replacement healthy in ${(r.replacementHealthyMs / 1000).toFixed(1)} s`).join('; ')}. Whole storm: ${storm.seconds.toFixed(1)} s${storm.error ? `. Not completed: ${storm.error}` : ''}.`,
    '',
    'Raw numbers: `bench/results/cluster.json`. Run: `npm run bench -- cluster` (`BENCH_STORM` incidents).',
  ].join('\n'));
  console.log(JSON.stringify({ ...result, alerts: { ...storm.alerts, lost: storm.alerts.lost.length }, resolutions: { ...storm.resolutions, lost: storm.resolutions.lost.length } }, null, 2));

  if (storm.error) throw new Error(storm.error);
}

const cleanups: (() => unknown)[] = [];
main(cleanups).then(() => 0, (err) => { console.error(err); return 1; }).then(async (code) => {
  // Whatever happened, stop what was started (processes, servers, temporary folders).
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
  process.exit(code);
});
