/**
 * Incident storm: 100 incidents arriving within 10 s on the demo base, with Slack's real posting
 * limit (one chat.postMessage per second per channel, 429 + Retry-After) played by the fake Slack.
 * Run twice on fresh databases: storm digests off (every incident its own DM, as before) and on
 * (ALERT_DIGEST_THRESHOLD / ALERT_DIGEST_WINDOW_SECONDS defaults). Everything else is real: the API
 * over HTTP, the worker with the real workflow bundle and activities, the Temporal dev server,
 * embedded Postgres.
 *
 * A CSM "knows" of an incident once a top-level message in their DM names it: its own alert, or
 * the digest (posted or updated) listing it. Measured from the incident's webhook and from the
 * first webhook of the storm; also the most top-level messages any CSM received, and when the last
 * per-incident alert (in a digest's thread) was out.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { buildApp } from '../api/app';
import { createActivities } from '../activities';
import { loadConfig } from '../config';
import { createDb } from '../db/connect';
import { applyImport } from '../db/import';
import { validateImport } from '../domain/import';
import { FakeSlack } from '../test/fakes/slack';
import { createTestDb, stopTestPostgres } from '../test/helpers/db';
import { createDevServerEnv, workflowBundle } from '../test/helpers/temporal';
import { percentile, replaceReadmeSection, writeResult } from './report';

const TOKEN = 'bench-api-token-0123456789';
const INCIDENTS = Number(process.env.BENCH_STORM_INCIDENTS ?? 100);
const SPREAD_MS = Number(process.env.BENCH_STORM_SPREAD_MS ?? 10_000);
const demo = JSON.parse(readFileSync(path.resolve(__dirname, '../demo/demo-data.json'), 'utf8'));
const components: string[] = demo.components.map((c: { key: string }) => c.key);
const severities = ['P1', 'P2', 'P3', 'P3'];

type Env = Awaited<ReturnType<typeof createDevServerEnv>>;

interface RunResult {
  label: string;
  threshold: number;
  windowSeconds: number;
  incidents: number;
  pairs: number;
  /** Seconds from each incident's first webhook attempt until its CSM knew (per incident × CSM pair). */
  awareness: Stats;
  /** The same from the webhook's 202 (a loaded machine answers some webhooks 503 first: see webhook503s). */
  awarenessFromAccepted: Stats;
  /** Seconds from the first webhook until the last incident was accepted (202). */
  lastAcceptedSeconds: number;
  /** Seconds from the storm's first webhook until every affected CSM knew of every incident. */
  allKnownSeconds: number;
  /** Seconds from the first webhook until every incident's full alert was posted (own DM or digest thread). */
  allAlertsOutSeconds: number;
  maxTopLevelPerCsm: number;
  topLevelTotal: number;
  digestUpdates: number;
  slack429s: number;
  /** Webhooks answered 503 (a dependency slow on the loaded machine) and sent again. */
  webhook503s: number;
}

const marker = (id: string) => `[${id}]`;

interface Stats { p50: number; p90: number; max: number }
const stats = (values: number[]): Stats => ({
  p50: +percentile(values, 50).toFixed(1), p90: +percentile(values, 90).toFixed(1), max: +Math.max(...values).toFixed(1),
});

async function run(env: Env, slack: FakeSlack, label: string, digestThreshold: number): Promise<RunResult> {
  const t = await createTestDb();
  slack.reset();
  const imported = await applyImport(t.db, validateImport(demo));
  if (!imported.ok) throw new Error('demo data did not import');
  const config = loadConfig({
    API_TOKENS: TOKEN, SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, TEMPORAL_TASK_QUEUE: `bench-storm-${label}`,
    LOG_LEVEL: 'error', ALERT_DIGEST_THRESHOLD: String(digestThreshold),
    // A storm of unrelated incidents: correlation by component (which would fold these into a few incidents) stays off.
    CORRELATION_WINDOW_MINUTES: '0',
  });
  const worker = await Worker.create({
    connection: env.nativeConnection, taskQueue: config.temporal.taskQueue, workflowBundle: await workflowBundle(),
    activities: createActivities({ config, db: t.db, temporal: env.client }), maxConcurrentActivityTaskExecutions: 100,
  });
  const running = worker.run();
  // The API's own pool, as its own process has in production: the worker's storm of activities does not starve the webhooks.
  const apiDb = createDb(t.url, config.database);
  const app = await buildApp({ config, db: apiDb, temporal: env.client });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });

  const sentAt = new Map<string, number>();
  const acceptedAt = new Map<string, number>();
  let webhook503s = 0;
  async function post(id: string, severity: string, comps: string[]) {
    const body = { id, title: `Storm ${marker(id)} on ${comps.join(' and ')}`, status: 'investigating', severity, affectedComponents: comps, startedAt: new Date().toISOString() };
    sentAt.set(id, Date.now());
    // A 503 (a dependency slow to answer on a loaded machine) is retried, as the sources do; the clock keeps the first try.
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${base}/api/webhooks/incidents`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      if (res.status === 202) {
        acceptedAt.set(id, Date.now());
        return;
      }
      if (res.status !== 503 || attempt >= 120) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      webhook503s += 1;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  // Warm-up on its own component mix, before the clock starts; its alerts are not counted.
  // Ids carry the run's label: both runs share one Temporal server, where the first run's incidents stay open.
  await post(`${label}-warmup`, 'P4', [components[5]!]);
  await waitForAlerts(t.db, [`incident:generic:${label}-warmup`]);
  slack.reset();
  // The warm-up's alerts are no part of the storm: they would count towards the CSMs' digest threshold.
  await t.db.deleteFrom('alert_digests').execute();
  await t.db.deleteFrom('notifications').where('kind', '=', 'alert').execute();

  const ids = Array.from({ length: INCIDENTS }, (_, i) => `${label}-${String(i).padStart(3, '0')}`);
  const start = Date.now();
  const posts: Promise<void>[] = [];
  for (const [i, id] of ids.entries()) {
    const due = start + (i * SPREAD_MS) / INCIDENTS;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    posts.push(post(id, severities[i % severities.length]!, [components[i % components.length]!, components[(i * 7 + 2) % components.length]!]));
  }
  await Promise.all(posts);
  const workflowIds = ids.map((id) => `incident:generic:${id}`);
  const lastAlertAt = await waitForAlerts(t.db, workflowIds);

  // Who should know of what: each incident's CSMs with affected customers.
  const expected = await t.db.selectFrom('incident_customer_impact as ici')
    .innerJoin('product_incidents as i', 'i.id', 'ici.incident_id').innerJoin('customers as c', 'c.id', 'ici.customer_id')
    .innerJoin('csms as m', 'm.id', 'c.csm_id')
    .select(['i.external_id', 'm.slack_user_id']).distinct().where('i.workflow_id', 'in', workflowIds).where('ici.impact_level', '!=', 'none').execute();

  // Top-level messages per DM, as posted or updated (the fake records every request with its time).
  const userOf = new Map([...slack.channels.values()].filter((c) => c.isIm).map((c) => [c.id, c.user!]));
  const topLevel = slack.requests.filter((r) => r.status === 200 && userOf.has(r.params.channel ?? '')
    && ((r.method === 'chat.postMessage' && !r.params.thread_ts) || r.method === 'chat.update'));
  const knownAt = new Map<string, number>();
  for (const r of topLevel) {
    const user = userOf.get(r.params.channel!)!;
    // The blocks: the plain-text fallback of a long digest is cut to Slack's readable length.
    for (const m of `${r.params.text ?? ''} ${r.params.blocks ?? ''}`.matchAll(/\[([a-z-]+-\d{3})\]/g)) {
      const pair = `${m[1]} ${user}`;
      if (!knownAt.has(pair)) knownAt.set(pair, r.at);
    }
  }
  const latencies: number[] = [];
  const sinceAccepted: number[] = [];
  let lastKnown = start;
  for (const e of expected) {
    const at = knownAt.get(`${e.external_id} ${e.slack_user_id}`);
    if (at === undefined) throw new Error(`${e.slack_user_id} never heard of ${e.external_id} (${label})`);
    latencies.push((at - sentAt.get(e.external_id)!) / 1000);
    sinceAccepted.push((at - acceptedAt.get(e.external_id)!) / 1000);
    lastKnown = Math.max(lastKnown, at);
  }
  const perCsm = new Map<string, number>();
  for (const r of topLevel.filter((x) => x.method === 'chat.postMessage')) {
    const user = userOf.get(r.params.channel!)!;
    perCsm.set(user, (perCsm.get(user) ?? 0) + 1);
  }
  const result: RunResult = {
    label, threshold: config.incidents.alertDigest.threshold, windowSeconds: config.incidents.alertDigest.windowSeconds,
    incidents: INCIDENTS, pairs: expected.length,
    awareness: stats(latencies),
    awarenessFromAccepted: stats(sinceAccepted),
    lastAcceptedSeconds: +((Math.max(...acceptedAt.values()) - start) / 1000).toFixed(1),
    allKnownSeconds: +((lastKnown - start) / 1000).toFixed(1),
    allAlertsOutSeconds: +((lastAlertAt - start) / 1000).toFixed(1),
    maxTopLevelPerCsm: Math.max(...perCsm.values()),
    topLevelTotal: [...perCsm.values()].reduce((a, b) => a + b, 0),
    digestUpdates: topLevel.filter((r) => r.method === 'chat.update').length,
    slack429s: slack.requests.filter((r) => r.status === 429).length,
    webhook503s,
  };
  console.log(JSON.stringify(result));

  await app.close();
  await apiDb.destroy();
  worker.shutdown();
  await running;
  await t.close();
  return result;
}

/** Waits until every incident has alerted every CSM with affected customers; answers when the last alert was sent. */
async function waitForAlerts(db: Awaited<ReturnType<typeof createTestDb>>['db'], workflowIds: string[]): Promise<number> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const expected = await db.selectFrom('incident_customer_impact as ici')
      .innerJoin('product_incidents as i', 'i.id', 'ici.incident_id').innerJoin('customers as c', 'c.id', 'ici.customer_id')
      .select(['i.workflow_id', 'c.csm_id']).distinct().where('i.workflow_id', 'in', workflowIds).where('ici.impact_level', '!=', 'none').execute();
    const alerts = await db.selectFrom('notifications as n').innerJoin('product_incidents as i', 'i.id', 'n.incident_id')
      .select(['n.sent_at']).where('n.kind', '=', 'alert').where('n.status', '=', 'sent').where('i.workflow_id', 'in', workflowIds).execute();
    const incidentsSeen = new Set(expected.map((e) => e.workflow_id)).size;
    if (incidentsSeen === workflowIds.length && alerts.length >= expected.length) {
      return Math.max(...alerts.map((a) => a.sent_at!.getTime()));
    }
    if (Date.now() > deadline) throw new Error(`only ${alerts.length}/${expected.length} alerts after 15 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  const [env, slack] = await Promise.all([
    createDevServerEnv(),
    FakeSlack.start({ users: demo.csms.map((c: { slackUserId: string; email: string; name: string }) => ({ id: c.slackUserId, email: c.email, name: c.name })) }),
  ]);
  for (const manager of new Set<string>(demo.csms.map((c: { managerEmail?: string }) => c.managerEmail).filter(Boolean))) {
    slack.addUser({ id: `U${manager.length}${manager.charCodeAt(0)}M`, email: manager, name: manager });
  }
  slack.limitPostsPerChannel(1);
  try {
    await measure(env, slack);
  } finally {
    // Also on failure: the Temporal dev server and Postgres are child processes that would outlive us.
    await slack.close();
    await stopTestPostgres();
    await env.teardown();
  }
}

async function measure(env: Env, slack: FakeSlack) {
  const off = await run(env, slack, 'digest-off', 0);
  const on = await run(env, slack, 'digest-on', loadConfig({}).incidents.alertDigest.threshold);

  const result = {
    measuredAt: new Date().toISOString(), cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg().map((l) => +l.toFixed(1)),
    customers: demo.customers.length, csms: demo.csms.length, slackLimit: '1 chat.postMessage per second per channel (chat.update not limited)',
    spreadSeconds: SPREAD_MS / 1000, runs: [off, on],
  };
  await writeResult('storm', result);
  const row = (r: RunResult, name: string) =>
    `| ${name} | ${r.pairs} | ${r.awareness.p50} / ${r.awareness.p90} / ${r.awareness.max} | ${r.awarenessFromAccepted.p50} / ${r.awarenessFromAccepted.p90} / ${r.awarenessFromAccepted.max} | **${r.allKnownSeconds}** | ${r.allAlertsOutSeconds} | **${r.maxTopLevelPerCsm}** | ${r.lastAcceptedSeconds} (${r.webhook503s}) | ${r.slack429s} |`;
  let before: { storm?: { incidents: number; max: number; wallSeconds: number } } = {};
  try {
    before = JSON.parse(readFileSync(path.join(__dirname, 'results/awareness.json'), 'utf8'));
  } catch { /* no awareness run on this machine */ }
  await replaceReadmeSection('storm', [
    '## Incident storm and digests (`bench/storm.ts`)',
    '',
    `${INCIDENTS} incidents (generic webhook over HTTP, two components each, P1–P3) arriving within ${SPREAD_MS / 1000} s on the demo base (${result.customers} customers, ${result.csms} CSMs), through the real API (its own connection pool, as its own process), worker, workflows, Temporal dev server and embedded Postgres, with a fake Slack enforcing ${result.slackLimit}, 429 + Retry-After. A CSM *knows* of an incident once a top-level message in their DM names it (its own alert, or the storm digest listing it, posted or updated). Correlation by component is off (\`CORRELATION_WINDOW_MINUTES=0\`), so they stay ${INCIDENTS} incidents. Run once with digests off (\`ALERT_DIGEST_THRESHOLD=0\`: every incident its own DM, the behaviour before digests) and once with the defaults (K = ${on.threshold} alerts within S = ${on.windowSeconds} s, then one digest DM). Measured ${result.measuredAt.slice(0, 16).replace('T', ' ')} UTC on ${result.cpus} CPUs shared with other work (load average ${result.loadAverage.join(', ')}), Node ${result.node}.`,
    '',
    '| run | incident × CSM pairs | aware after the webhook, s p50 / p90 / max | aware after its 202, s p50 / p90 / max | every CSM knows every incident, s after the first webhook | every full alert posted, s | most top-level DMs to one CSM | last webhook accepted, s (503s retried) | Slack 429s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    row(off, 'digests off (before)'),
    row(on, `digests on (K = ${on.threshold}, S = ${on.windowSeconds} s)`),
    ...(before.storm ? [`| before, \`bench/awareness.ts\`: ${before.storm.incidents} incidents at once | | max ${before.storm.max} | | ${before.storm.wallSeconds} | | ${before.storm.incidents} | | |`] : []),
    '',
    `With digests on, ${on.digestUpdates} chat.update calls kept the digests current; each incident's full alert went into its digest's thread, which Slack's per-channel limit paces at one a second (the "every full alert posted" column). A webhook answered 503 (the API could not reach Temporal or Postgres in time on the loaded machine) is sent again a second later, as the sources do; "after the webhook" counts from its first try. Target: every CSM aware within 60 s. Raw numbers: \`bench/results/storm.json\`. Run: \`npm run bench -- storm\`.`,
  ].join('\n'));
  console.log(JSON.stringify(result, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
