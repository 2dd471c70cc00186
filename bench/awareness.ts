/**
 * Time to awareness: from a webhook's receipt to each affected CSM's Slack DM, for one incident
 * and for a storm of incidents at once, with Slack's real posting limit (about one message per
 * second per channel, 429 + Retry-After) played by the fake Slack. Everything else is real: the
 * API over HTTP on 127.0.0.1, the worker with the real workflow bundle and activities, the
 * Temporal dev server, embedded Postgres, the demo customer base.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopTestPostgres } from '../test/helpers/db';
import { startStack } from '../test/helpers/stack';
import { percentile, replaceReadmeSection, writeResult } from './report';

const TOKEN = 'bench-api-token-0123456789';
const STORM = Number(process.env.BENCH_STORM ?? 20);
const demo = JSON.parse(readFileSync(path.resolve(__dirname, '../demo/demo-data.json'), 'utf8'));
const components: string[] = demo.components.map((c: { key: string }) => c.key);
const severities = ['P1', 'P2', 'P3'];

async function main() {
  const stack = await startStack({
    slack: { users: demo.csms.map((c: { slackUserId: string; email: string; name: string }) => ({ id: c.slackUserId, email: c.email, name: c.name })) },
    customerBase: demo, listen: true, worker: { maxConcurrentActivityTaskExecutions: 100 },
    // A storm of unrelated incidents on shared components: correlation by component would fold them into a few.
    config: { API_TOKENS: TOKEN, TEMPORAL_TASK_QUEUE: 'bench-awareness', LOG_LEVEL: 'warn', CORRELATION_WINDOW_MINUTES: '0' },
  });
  const { slack, db, base } = stack;
  for (const manager of new Set<string>(demo.csms.map((c: { managerEmail?: string }) => c.managerEmail).filter(Boolean))) {
    slack.addUser({ id: `U${manager.length}${manager.charCodeAt(0)}M`, email: manager, name: manager });
  }
  slack.limitPostsPerChannel(1);

  const sentAt = new Map<string, number>();
  async function post(id: string, severity: string, comps: string[]) {
    const body = { id, title: `Bench incident ${id}`, status: 'investigating', severity, affectedComponents: comps, startedAt: new Date().toISOString() };
    sentAt.set(`incident:generic:${id}`, Date.now());
    const res = await fetch(`${base}/api/webhooks/incidents`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
  }

  /** Waits until every incident has alerted every CSM of its affected customers; returns per-DM latencies. */
  async function alertLatencies(workflowIds: string[]) {
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      const expected = await db.selectFrom('incident_customer_impact as ici')
        .innerJoin('product_incidents as i', 'i.id', 'ici.incident_id').innerJoin('customers as c', 'c.id', 'ici.customer_id')
        .select(['i.workflow_id', 'c.csm_id']).distinct().where('i.workflow_id', 'in', workflowIds).where('ici.impact_level', '!=', 'none').execute();
      const alerts = await db.selectFrom('notifications as n').innerJoin('product_incidents as i', 'i.id', 'n.incident_id')
        .select(['i.workflow_id', 'n.recipient', 'n.sent_at']).where('n.kind', '=', 'alert').where('n.status', '=', 'sent')
        .where('i.workflow_id', 'in', workflowIds).execute();
      const incidentsSeen = new Set(expected.map((e) => e.workflow_id)).size;
      if (incidentsSeen === workflowIds.length && alerts.length >= expected.length) {
        return alerts.map((a) => (a.sent_at!.getTime() - sentAt.get(a.workflow_id)!) / 1000);
      }
      if (Date.now() > deadline) throw new Error(`only ${alerts.length}/${expected.length} alerts after 10 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const summarize = (latencies: number[]) => ({
    dms: latencies.length,
    p50: +percentile(latencies, 50).toFixed(2), p90: +percentile(latencies, 90).toFixed(2), max: +Math.max(...latencies).toFixed(2),
  });

  // Warm-up: the first workflow task pays for loading the bundle into the worker.
  await post('warmup', 'P3', [components[5]]);
  await alertLatencies(['incident:generic:warmup']);

  await post('single-p1', 'P1', [components[0]]);
  const single = summarize(await alertLatencies(['incident:generic:single-p1']));

  const stormIds = Array.from({ length: STORM }, (_, i) => `storm-${i}`);
  const stormStart = Date.now();
  await Promise.all(stormIds.map((id, i) => post(id, severities[i % 3], [components[i % components.length], components[(i + 2) % components.length]])));
  const storm = summarize(await alertLatencies(stormIds.map((id) => `incident:generic:${id}`)));
  const stormSeconds = (Date.now() - stormStart) / 1000;
  const rateLimited = slack.requests.filter((r) => r.status === 429).length;

  const result = {
    measuredAt: new Date().toISOString(), cpus: os.cpus().length, node: process.version,
    customers: demo.customers.length, csms: demo.csms.length, slackLimit: '1 chat.postMessage per second per channel',
    single, storm: { incidents: STORM, ...storm, wallSeconds: +stormSeconds.toFixed(1), slack429s: rateLimited },
  };
  await writeResult('awareness', result);
  await replaceReadmeSection('awareness', [
    '## Time to awareness (`bench/awareness.ts`)',
    '',
    `Webhook receipt (generic webhook over HTTP) → each affected CSM's Slack DM (outbox \`sent_at\`), through the real API, worker, workflow, Temporal dev server and embedded Postgres, with the demo customer base (${result.customers} customers, ${result.csms} CSMs) and a fake Slack enforcing ${result.slackLimit} (429 + Retry-After). Measured ${result.measuredAt.slice(0, 10)} on ${result.cpus} CPUs, Node ${result.node}. The product promises 5 minutes.`,
    '',
    '| scenario | DMs | p50 s | p90 s | max s |',
    '|---|---:|---:|---:|---:|',
    `| one P1 | ${single.dms} | ${single.p50} | ${single.p90} | ${single.max} |`,
    `| storm: ${STORM} incidents at once | ${storm.dms} | ${storm.p50} | ${storm.p90} | ${storm.max} |`,
    '',
    `Storm: ${rateLimited} posts answered 429 and retried after Retry-After; all alerts out ${result.storm.wallSeconds} s after the first webhook. Raw numbers: \`bench/results/awareness.json\`. Run: \`npm run bench -- awareness\`.`,
  ].join('\n'));
  console.log(JSON.stringify(result, null, 2));

  await stack.stop();
  await stopTestPostgres();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
