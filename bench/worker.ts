/**
 * The worker process as deployed: start-up time to its first poll of the task queue, resident
 * memory idle, and resident memory holding 1,000 open incidents. The production worker (compiled,
 * prebuilt workflow bundle, `npm ci --omit=dev` install, plain `node`) beside the same worker run
 * from the sources with tsx, which bundles the workflows at every start (`npm run worker`).
 * Real API, Temporal dev server, Postgres with the demo customer base, and a fake Slack.
 *
 *   npm run bench -- worker      (BENCH_INCIDENTS=1000, BENCH_STARTS=3)
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { FakeSlack } from '../test/fakes/slack';
import { createTestDb, stopTestPostgres } from '../test/helpers/db';
import {
  emptyDatabase, freePort, NodeProcess, processEnv, productionInstall, ROOT, runNode, stackEnv, startApi, startTemporal,
  stopStack, waitFor, waitHealthy, type Stack,
} from '../test/deploy/stack';
import { deliver, messageKeys, settle } from '../test/deploy/storm';
import { percentile, replaceReadmeSection, writeResult } from './report';

const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 1000);
const STARTS = Number(process.env.BENCH_STARTS ?? 3);
const demo = JSON.parse(readFileSync(path.join(ROOT, 'demo/demo-data.json'), 'utf8'));
/** The production worker exactly as `npm run start:worker` starts it (its heap bound included). */
const PRODUCTION_WORKER_ARGS: string[] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts['start:worker'].split(' ').slice(1);

type Mode = 'production' | 'source';

function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

async function main(cleanups: (() => unknown)[]) {
  const [server, temporal] = await Promise.all([createTestDb(), startTemporal()]);
  cleanups.push(() => stopTestPostgres(), () => server.close(), () => temporal.stop());
  console.log('building the production install...');
  const install = productionInstall();
  cleanups.push(() => install.remove());
  const users = demo.csms.map((c: { slackUserId: string; email: string; name: string }) => ({ id: c.slackUserId, email: c.email, name: c.name }));
  const s: Stack = {
    install, temporal, db: await emptyDatabase(server.url), slack: await FakeSlack.start({ users }),
    taskQueue: 'bench-worker', apis: [], workers: [],
  };
  cleanups.push(() => stopStack(s));
  const env = processEnv(stackEnv(s));
  for (const [entry, args] of [['dist/scripts/migrate.js', []], ['dist/scripts/import.js', [path.join(ROOT, 'demo/demo-data.json')]]] as const) {
    const r = await runNode(install, entry, env, [...args]);
    if (r.code !== 0) throw new Error(`${entry} failed:\n${r.output}`);
  }
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  cleanups.push(() => connection.close());

  /** Starts one worker; resolves when the server has seen its first workflow-task poll. */
  async function startWorker(mode: Mode, name: string) {
    const [healthPort, metricsPort] = [await freePort(), await freePort()];
    const workerEnv = processEnv({ ...stackEnv(s), WORKER_HEALTH_PORT: String(healthPort), WORKER_METRICS_PORT: String(metricsPort) });
    const child = mode === 'production'
      ? spawn(process.execPath, PRODUCTION_WORKER_ARGS.map((a) => (a.startsWith('dist/') ? path.join(install.dir, a) : a)), { cwd: install.dir, env: workerEnv, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker/main.ts')], { cwd: ROOT, env: workerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = new NodeProcess(name, child);
    const identity = `${proc.pid}@${os.hostname()}`;
    for (;;) {
      if (!proc.running) throw new Error(`${name} exited:\n${proc.log}`);
      const { pollers } = await client.workflowService.describeTaskQueue({
        namespace: 'default', taskQueue: { name: s.taskQueue }, taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      if (pollers?.some((p) => p.identity === identity)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const firstPollMs = Date.now() - proc.startedAt;
    const healthyMs = await waitHealthy(`http://127.0.0.1:${healthPort}/health`, proc);
    return { proc, firstPollMs, healthyMs };
  }

  const idleSeconds = 10;
  const starts: Record<Mode, { firstPollMs: number; healthyMs: number; idleRssMb: number }[]> = { production: [], source: [] };
  for (let i = 0; i < STARTS; i++) {
    for (const mode of ['production', 'source'] as const) {
      const w = await startWorker(mode, `${mode}-${i}`);
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      starts[mode].push({ firstPollMs: w.firstPollMs, healthyMs: w.healthyMs, idleRssMb: rssMb(w.proc.pid).rss });
      await w.proc.stop();
      console.log(mode, starts[mode].at(-1));
    }
  }

  // 1,000 open incidents, each alerted, held by one worker of each kind in turn.
  await startApi(s);
  const components: string[] = demo.components.map((c: { key: string }) => c.key);
  const load: Record<Mode, { incidents: number; alerts: number; seconds: number; rssMb: number; peakRssMb: number }> = {} as never;
  for (const mode of ['production', 'source'] as const) {
    const w = await startWorker(mode, `${mode}-load`);
    const before = messageKeys(s.slack).filter((k) => k.kind === 'alert').length;
    const started = Date.now();
    const ids = Array.from({ length: INCIDENTS }, (_, i) => `${mode}-open-${i}`);
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(ids.slice(i, i + 10).map((id, j) => deliver(s.apis[0].url, id, {
        id, title: `Open incident ${id}`, status: 'investigating', severity: (i + j) % 2 ? 'P3' : 'P4',
        affectedComponents: [components[(i + j) % components.length]], startedAt: new Date().toISOString(),
      }, 30)));
    }
    const alerted = () => new Set(messageKeys(s.slack).filter((k) => k.kind === 'alert' && k.workflowId.includes(`:${mode}-open-`)).map((k) => k.workflowId)).size;
    await waitFor(() => alerted() >= INCIDENTS, 30 * 60_000, () => `${alerted()} of ${INCIDENTS} incidents alerted`);
    const seconds = (Date.now() - started) / 1000;
    await settle(s.slack, 5000);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const mem = rssMb(w.proc.pid);
    load[mode] = { incidents: INCIDENTS, alerts: messageKeys(s.slack).filter((k) => k.kind === 'alert').length - before, seconds: +seconds.toFixed(1), rssMb: mem.rss, peakRssMb: mem.peak };
    console.log(mode, load[mode]);
    await w.proc.stop();
  }

  const median = (xs: number[]) => percentile(xs, 50);
  const summary = (mode: Mode) => ({
    firstPollMsMedian: median(starts[mode].map((x) => x.firstPollMs)),
    firstPollMsMax: Math.max(...starts[mode].map((x) => x.firstPollMs)),
    idleRssMbMedian: median(starts[mode].map((x) => x.idleRssMb)),
  });
  const result = {
    measuredAt: new Date().toISOString(), cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg().map((l) => +l.toFixed(1)),
    customers: demo.customers.length, csms: demo.csms.length, starts, load,
    production: summary('production'), source: summary('source'),
  };
  await writeResult('worker', result);
  const row = (mode: Mode, label: string) => {
    const sm = summary(mode);
    return `| ${label} | ${(sm.firstPollMsMedian / 1000).toFixed(2)} s (max ${(sm.firstPollMsMax / 1000).toFixed(2)} s) | ${sm.idleRssMbMedian} MB | ${load[mode].rssMb} MB (peak ${load[mode].peakRssMb} MB) | ${load[mode].seconds} s |`;
  };
  await replaceReadmeSection('worker', [
    '## Worker start-up and memory (`bench/worker.ts`)',
    '',
    `The worker as deployed — compiled, prebuilt workflow bundle, \`npm ci --omit=dev\` install, plain \`node\` — beside the same worker run from the sources with tsx (\`npm run worker\`, which bundles the workflows at every start). Start-up: from spawn until the Temporal server sees the worker's first workflow-task poll (median of ${STARTS} starts each). Idle RSS ${idleSeconds} s after that. Then ${INCIDENTS.toLocaleString('en-US')} incidents (P3/P4, one demo component each; ${result.customers} customers, ${result.csms} CSMs) through the API, each alerted over a fake Slack and left open, and the worker's RSS ${idleSeconds} s after the last alert. Measured ${result.measuredAt.slice(0, 16).replace('T', ' ')} UTC on ${result.cpus} CPUs shared with other work (load average ${result.loadAverage.join(', ')} at the end), Node ${result.node}. Targets: first poll under 3 s, 1,000 open incidents under 512 MB.`,
    '',
    `| worker | start-up to first poll | idle RSS | RSS with ${INCIDENTS.toLocaleString('en-US')} open incidents | ${INCIDENTS.toLocaleString('en-US')} incidents alerted in |`,
    '|---|---:|---:|---:|---:|',
    row('production', 'production (`npm run start:worker`: `node --max-old-space-size=256 dist/worker/main.js`)'),
    row('source', 'from the sources (`tsx worker/main.ts`)'),
    '',
    'Raw numbers: `bench/results/worker.json`. Run: `npm run bench -- worker` (`BENCH_INCIDENTS`, `BENCH_STARTS` to change the sizes).',
  ].join('\n'));
  console.log(JSON.stringify(result, null, 2));

}

const cleanups: (() => unknown)[] = [];
main(cleanups).then(() => 0, (err) => { console.error(err); return 1; }).then(async (code) => {
  // Whatever happened, stop what was started (processes, servers, temporary folders).
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
  process.exit(code);
});

