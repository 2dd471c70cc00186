/**
 * Time to awareness on a mid-size incident, beside its floor. Forewarn: a P1 affecting 1,000
 * customers of 50 CSMs, posted to the generic webhook over HTTP, through the real API, worker,
 * workflow, Temporal dev server and Postgres to the fake Slack; webhook receipt → each CSM's alert
 * reaching Slack. Floor: on the same server, a bare workflow whose one activity posts one Slack
 * message with the same client; start → message reaching Slack. Both measured at the fake
 * Slack's receipt of chat.postMessage. Rounds: BENCH_ROUNDS (10).
 */
import os from 'node:os';
import path from 'node:path';
import { WebClient } from '@slack/web-api';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { stopTestPostgres } from '../test/helpers/db';
import { startStack } from '../test/helpers/stack';
import { csmSlackId, seedLargeBase } from '../test/helpers/large-base';
import { percentile, replaceReadmeSection, writeResult } from './report';

const TOKEN = 'bench-api-token-0123456789';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CSMS = 50;

async function main() {
  const users = Array.from({ length: CSMS }, (_, i) => ({ id: csmSlackId(i + 1), email: `csm-${i + 1}@corp.example`, name: `csm${i + 1}` }));
  const stack = await startStack({
    slack: { users }, listen: true,
    seed: async (db) => { await seedLargeBase(db, { customers: 2_000, csms: CSMS, affectedEvery: 2 }); },
    // Each round is its own incident on checkout: correlation by component would fold them into the first one.
    config: { API_TOKENS: TOKEN, TEMPORAL_TASK_QUEUE: 'bench-awareness-floor', LOG_LEVEL: 'warn', CORRELATION_WINDOW_MINUTES: '0' },
  });
  const { env, slack, base } = stack;
  const web = new WebClient(slack.token, { slackApiUrl: slack.apiUrl });
  const floorWorker = await Worker.create({
    connection: env.nativeConnection, taskQueue: 'bench-floor',
    workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'floor/floor.workflow.ts'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } }),
    activities: { async postOne({ channel, text }: { channel: string; text: string }) { await web.chat.postMessage({ channel, text }); } },
  });
  const floorRunning = floorWorker.run();

  /** When the fake Slack received each alert for this incident (keyed by CSM email, from the message metadata). */
  const alertTimes = (workflowId: string) => slack.requests
    .filter((r) => r.method === 'chat.postMessage' && r.status === 200 && r.params.metadata?.includes(`${workflowId}:alert:`))
    .map((r) => r.at);

  async function forewarnRound(i: number): Promise<number[]> {
    const id = `awareness-${i}`;
    const body = { id, title: `Checkout outage ${i}`, status: 'investigating', severity: 'P1', affectedComponents: ['checkout'], startedAt: new Date().toISOString() };
    const sent = Date.now();
    const res = await fetch(`${base}/api/webhooks/incidents`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const times = alertTimes(`incident:generic:${id}`);
      if (times.length >= CSMS) return times.map((at) => (at - sent) / 1000);
      if (Date.now() > deadline) throw new Error(`only ${times.length}/${CSMS} alerts for ${id}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function floorRound(i: number): Promise<number> {
    // A DM to a CSM, like Forewarn's alerts (Slack opens the conversation for a user id).
    const channel = csmSlackId(1 + (((i % CSMS) + CSMS) % CSMS));
    const text = `floor ${i} ${Date.now()}`;
    const start = Date.now();
    await env.client.workflow.execute('floorWorkflow', {
      taskQueue: 'bench-floor', workflowId: `floor-${i}-${start}`, args: [{ channel, text }], workflowExecutionTimeout: '2 minutes',
    });
    const hit = slack.requests.find((r) => r.method === 'chat.postMessage' && r.params.text === text && r.status === 200);
    if (!hit) throw new Error('the floor message did not reach Slack');
    return (hit.at - start) / 1000;
  }

  // Warm-up: the first tasks pay for loading bundles and connections.
  await forewarnRound(-1);
  await floorRound(-1);

  const forewarn: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    forewarn.push(...await forewarnRound(i));
    for (let j = 0; j < 5; j++) floor.push(await floorRound(i * 5 + j));
  }
  const stats = (v: number[]) => ({ samples: v.length, p50: +percentile(v, 50).toFixed(3), p99: +percentile(v, 99).toFixed(3), max: +Math.max(...v).toFixed(3) });
  const result = {
    measuredAt: new Date().toISOString(), cpus: os.cpus().length, node: process.version,
    affectedCustomers: 1_000, csms: CSMS, rounds: ROUNDS, forewarn: stats(forewarn), floor: stats(floor),
  };
  const ratio = (result.forewarn.p99 / result.floor.p99).toFixed(1);
  await writeResult('awareness-floor', result);
  await replaceReadmeSection('awareness-floor', [
    '## Time to awareness beside its floor (`bench/awareness-floor.ts`)',
    '',
    `A P1 affecting 1,000 customers of 50 CSMs (one alert DM each), ${ROUNDS} incidents one after the other: generic webhook over HTTP → each alert reaching the fake Slack, through the real API, worker, workflow, dev server and Postgres. Floor: on the same server, a bare workflow whose one activity posts one Slack message with the same client (start → message at Slack). Measured ${result.measuredAt.slice(0, 10)} on ${result.cpus} CPUs, Node ${result.node}.`,
    '',
    '| path | samples | p50 s | p99 s | max s |',
    '|---|---:|---:|---:|---:|',
    `| Forewarn: webhook → CSM alert DM | ${result.forewarn.samples} | ${result.forewarn.p50} | ${result.forewarn.p99} | ${result.forewarn.max} |`,
    `| floor: one workflow, one activity, one post | ${result.floor.samples} | ${result.floor.p50} | ${result.floor.p99} | ${result.floor.max} |`,
    '',
    `Targets: p99 under 0.5 s and within 3× the floor (now ${ratio}×). Raw numbers: \`bench/results/awareness-floor.json\`. Run: \`npm run bench -- awareness-floor\`.`,
  ].join('\n'));
  console.log(JSON.stringify(result, null, 2));

  floorWorker.shutdown();
  await floorRunning;
  await stack.stop();
  await stopTestPostgres();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
