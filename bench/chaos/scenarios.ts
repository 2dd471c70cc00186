/**
 * The faults, one function each. Every scenario gets a fresh database, task queue and fake Slack,
 * sends its incidents through the generic webhook as a retrying sender, injects its fault, waits until
 * every expected alert is out (or its time is up) and counts: exactly one alert DM per (incident, CSM
 * whose customers it affects).
 */
import { percentile } from '../report';
import {
  Sender, activityTimeouts, awaitAlerts, alertMessages, countAlerts, expectedAlerts, incidentBody, incidents, scenarioStack, sleep, startApi, startWorker,
  stopStack, superviseWorkers, type AlertCount, type Shared,
} from './harness';
import { poisonRoutes } from './poison';

export interface ScenarioResult {
  name: string;
  title: string;
  incidents: number;
  /** Every webhook attempt of the scenario. */
  webhooks: ReturnType<Sender['figures']>;
  /** The attempts made while the fault lasted. */
  duringFault?: ReturnType<Sender['figures']>;
  alerts: AlertCount;
  /** Milliseconds, named. */
  recovery: Record<string, number | null>;
  details: Record<string, unknown>;
  /** Processes that exited on their own, and anything else worth knowing. */
  notes: string[];
  seconds: number;
  measuredAt?: string;
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export const SIZES = {
  killIncidents: env('CHAOS_KILL_INCIDENTS', 50),
  kills: env('CHAOS_KILLS', 20),
  workers: env('CHAOS_WORKERS', 2),
  killEveryMs: env('CHAOS_KILL_EVERY_MS', 3000),
  postEveryMs: env('CHAOS_POST_EVERY_MS', 2000),
  trafficIncidents: env('CHAOS_TRAFFIC_INCIDENTS', 20),
  trafficEveryMs: env('CHAOS_TRAFFIC_EVERY_MS', 2500),
  temporalDownMs: env('CHAOS_TEMPORAL_DOWN_MS', 20_000),
  postgresDownMs: env('CHAOS_POSTGRES_DOWN_MS', 30_000),
  postgresFrozenMs: env('CHAOS_POSTGRES_FROZEN_MS', 20_000),
  slackIncidents: env('CHAOS_SLACK_INCIDENTS', 20),
  slackStormMs: env('CHAOS_SLACK_STORM_MS', 30_000),
  settleMs: env('CHAOS_SETTLE_TIMEOUT_MS', 240_000),
};

const round = (ms: number | undefined | null) => (ms === undefined || ms === null || !Number.isFinite(ms) ? null : Math.round(ms));

/** 1. kill -9 of a worker, `kills` times, while a storm of incidents comes in; a replacement is started after each. */
export async function workerKills(shared: Shared, size = SIZES): Promise<ScenarioResult> {
  const started = Date.now();
  const s = await scenarioStack(shared, 'kills');
  try {
    for (let i = 0; i < size.workers; i++) await startWorker(s);
    const api = await startApi(s);
    const specs = incidents('kill', size.killIncidents, shared.base.componentKeys);
    const expected = expectedAlerts(shared.base, specs);
    const sender = new Sender();
    const stormStart = Date.now();
    const posting = Promise.all(specs.map(async (inc, i) => {
      await sleep(i * size.postEveryMs);
      await sender.deliver(api.url, `${inc.id}-open`, incidentBody(inc));
    }));
    const kills: { killedAt: number; worker: string; replacementStartedAt: number; replacementHealthyMs: number }[] = [];
    const killing = (async () => {
      for (let k = 0; k < size.kills; k++) {
        await sleep(size.killEveryMs);
        // The longest-running worker: the one most likely to hold work.
        const victim = s.workers.shift()!;
        victim.proc.kill();
        await victim.proc.exited;
        const killedAt = Date.now();
        const replacement = await startWorker(s);
        kills.push({ killedAt, worker: victim.proc.name, replacementStartedAt: replacement.proc.startedAt, replacementHealthyMs: replacement.healthyMs });
      }
    })();
    await Promise.all([posting, killing]);
    const lastKillAt = Date.now();
    const lastAlertAt = await awaitAlerts(s.slack, expected, size.settleMs);

    // Per alert: webhook accepted → DM, and how long after the latest replacement worker's start it went out.
    const acceptedAt = new Map(specs.map((inc) => [inc.workflowId, sender.accepted.get(`${inc.id}-open`)]));
    const starts = kills.map((k) => k.replacementStartedAt).sort((a, b) => a - b);
    const latencies: number[] = [];
    const afterReplacement: number[] = [];
    const late: { workflowId: string; afterReplacementMs: number; latencyMs: number }[] = [];
    const firstPerPair = new Map<string, number>();
    for (const m of alertMessages(s.slack)) {
      const pair = `${m.workflowId} → ${m.recipient}`;
      if (!firstPerPair.has(pair) || firstPerPair.get(pair)! > m.at) firstPerPair.set(pair, m.at);
    }
    for (const [pair, at] of firstPerPair) {
      const accepted = acceptedAt.get(pair.split(' → ')[0]);
      if (accepted === undefined) continue;
      latencies.push(at - accepted);
      const lastStart = starts.filter((t) => t <= at).pop();
      afterReplacement.push(at - Math.max(accepted, lastStart ?? accepted));
      if (afterReplacement.at(-1)! > 30_000) late.push({ workflowId: pair.split(' → ')[0], afterReplacementMs: afterReplacement.at(-1)!, latencyMs: at - accepted });
    }
    const lateIncidents = [...new Map(late.sort((a, b) => b.afterReplacementMs - a.afterReplacementMs).map((l) => [l.workflowId, l])).values()];
    const timeouts = await activityTimeouts(shared.temporal.address, specs.map((inc) => inc.workflowId));
    return {
      name: 'worker-kills', title: `worker kill -9 ×${size.kills} during a ${size.killIncidents}-incident storm (${size.workers} workers)`,
      incidents: specs.length, webhooks: sender.figures(), alerts: countAlerts(s.slack, expected),
      recovery: {
        worstAfterReplacementStartMs: round(Math.max(0, ...afterReplacement)),
        lastAlertAfterLastReplacementMs: lastAlertAt ? round(lastAlertAt - Math.max(...starts)) : null,
      },
      details: {
        kills: kills.length,
        alertsOver30sAfterReplacementStart: afterReplacement.filter((ms) => ms > 30_000).length,
        latencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), max: round(Math.max(0, ...latencies)) },
        replacementHealthyMs: { p50: round(percentile(kills.map((k) => k.replacementHealthyMs), 50)), max: round(Math.max(0, ...kills.map((k) => k.replacementHealthyMs))) },
        stormSeconds: +((lastKillAt - stormStart) / 1000).toFixed(1),
        activityTimeouts: timeouts,
        lateIncidents: lateIncidents.slice(0, 10),
      },
      notes: [], seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await stopStack(s);
  }
}

/**
 * Traffic through the generic webhook (one incident every `trafficEveryMs`) while `fault` runs after
 * a quarter of the incidents went in; `fault` resolves with [fault start, recovered at].
 */
async function underTraffic(
  shared: Shared, name: string, title: string, fault: () => Promise<[number, number]>, size = SIZES, workers = 1,
): Promise<ScenarioResult> {
  const started = Date.now();
  const s = await scenarioStack(shared, name);
  const supervisor = superviseWorkers(s);
  try {
    for (let i = 0; i < workers; i++) await startWorker(s);
    const api = await startApi(s);
    const specs = incidents(name, size.trafficIncidents, shared.base.componentKeys);
    const expected = expectedAlerts(shared.base, specs);
    const sender = new Sender();
    const posting = Promise.all(specs.map(async (inc, i) => {
      await sleep(i * size.trafficEveryMs);
      await sender.deliver(api.url, `${inc.id}-open`, incidentBody(inc));
    }));
    await sleep(Math.floor(size.trafficIncidents / 4) * size.trafficEveryMs + 500);
    const [faultAt, recoveredAt] = await fault();
    await posting;
    const lastAlertAt = await awaitAlerts(s.slack, expected, size.settleMs);
    const firstAccept = sender.attempts.filter((a) => a.status === 202 && a.at >= recoveredAt).map((a) => a.at + a.ms).sort((a, b) => a - b)[0];
    return {
      name, title, incidents: specs.length, webhooks: sender.figures(), duringFault: sender.figures(faultAt, recoveredAt),
      alerts: countAlerts(s.slack, expected),
      recovery: {
        faultMs: recoveredAt - faultAt,
        firstAcceptedAfterRecoveryMs: round(firstAccept !== undefined ? firstAccept - recoveredAt : null),
        allAlertsOutAfterRecoveryMs: lastAlertAt ? round(Math.max(0, lastAlertAt - recoveredAt)) : null,
      },
      details: { refused: Object.fromEntries(sender.refused) },
      notes: supervisor.exits, seconds: (Date.now() - started) / 1000,
    };
  } finally {
    supervisor.stop();
    await stopStack(s);
  }
}

/** 2. The Temporal dev server killed (-9) during traffic, started again on its SQLite file after `temporalDownMs`. */
export function temporalRestart(shared: Shared, size = SIZES): Promise<ScenarioResult> {
  return underTraffic(shared, 'temporal', `Temporal killed (-9) for ${size.temporalDownMs / 1000} s during traffic, restarted on its SQLite file`, async () => {
    await shared.temporal.kill('SIGKILL');
    const at = Date.now();
    await sleep(size.temporalDownMs);
    await shared.temporal.restart();
    return [at, Date.now()];
  }, size);
}

/** 3a. Postgres stopped (fast shutdown) during traffic, started again after `postgresDownMs`. */
export function postgresStop(shared: Shared, size = SIZES): Promise<ScenarioResult> {
  return underTraffic(shared, 'pg-stop', `Postgres stopped for ${size.postgresDownMs / 1000} s during traffic`, async () => {
    await shared.postgres.stop();
    const at = Date.now();
    await sleep(size.postgresDownMs);
    await shared.postgres.start();
    return [at, Date.now()];
  }, size);
}

/** 3b. Postgres frozen (SIGSTOP to the server and its backends) during traffic, thawed after `postgresFrozenMs`. */
export function postgresFreeze(shared: Shared, size = SIZES): Promise<ScenarioResult> {
  return underTraffic(shared, 'pg-freeze', `Postgres frozen (SIGSTOP) for ${size.postgresFrozenMs / 1000} s during traffic`, async () => {
    shared.postgres.freeze();
    const at = Date.now();
    try {
      await sleep(size.postgresFrozenMs);
    } finally {
      shared.postgres.thaw();
    }
    return [at, Date.now()];
  }, size);
}

/**
 * 4. Slack at its per-channel limit (1 post a second) and, for `slackStormMs`, in waves: 429s with
 * Retry-After, HTTP 500s, and posts carried out whose answer is lost (500 after posting).
 */
export async function slackStorm(shared: Shared, size = SIZES): Promise<ScenarioResult> {
  const started = Date.now();
  const s = await scenarioStack(shared, 'slack');
  const supervisor = superviseWorkers(s);
  try {
    for (let i = 0; i < 2; i++) await startWorker(s);
    const api = await startApi(s);
    s.slack.limitPostsPerChannel(1);
    const specs = incidents('slack', size.slackIncidents, shared.base.componentKeys);
    const expected = expectedAlerts(shared.base, specs);
    const sender = new Sender();
    const stormAt = Date.now();
    let storming = true;
    const storm = (async () => {
      for (let wave = 0; storming; wave++) {
        if (wave % 3 === 0) { s.slack.rateLimit('chat.postMessage', 2, 20); s.slack.rateLimit('conversations.open', 1, 5); }
        if (wave % 3 === 1) { s.slack.failNext('chat.postMessage', 'internal_error', 20, 500); s.slack.failNext('conversations.open', 'internal_error', 5, 500); }
        if (wave % 3 === 2) s.slack.loseAnswers('chat.postMessage', 5);
        await sleep(1500);
      }
    })();
    await Promise.all(specs.map(async (inc, i) => {
      await sleep(i * 500);
      await sender.deliver(api.url, `${inc.id}-open`, incidentBody(inc));
    }));
    await sleep(Math.max(0, stormAt + size.slackStormMs - Date.now()));
    storming = false;
    await storm;
    const stormEnd = Date.now();
    const lastAlertAt = await awaitAlerts(s.slack, expected, size.settleMs);
    const posts = s.slack.calls('chat.postMessage');
    return {
      name: 'slack-storm', title: `Slack 429/500 storm for ${size.slackStormMs / 1000} s (and 1 post a second per channel)`,
      incidents: specs.length, webhooks: sender.figures(), alerts: countAlerts(s.slack, expected),
      recovery: { allAlertsOutAfterStormMs: lastAlertAt ? round(Math.max(0, lastAlertAt - stormEnd)) : null },
      details: {
        slackCalls: s.slack.requests.length,
        postMessage429s: posts.filter((r) => r.status === 429).length,
        postMessage500s: posts.filter((r) => r.status === 500).length,
        postedButAnswerLost: s.slack.messages.length - posts.filter((r) => r.status === 200 && !r.error).length,
        otherCalls429or500: s.slack.requests.filter((r) => r.method !== 'chat.postMessage' && (r.status === 429 || r.status === 500)).length,
      },
      notes: supervisor.exits, seconds: (Date.now() - started) / 1000,
    };
  } finally {
    supervisor.stop();
    await stopStack(s);
  }
}

/**
 * 5. A NUL and an unpaired surrogate in a text field of every webhook (and the import and Slack routes):
 * each must be a 400 naming the field, and nothing recorded. One clean incident beside them proves the
 * stack alerts.
 */
export async function poisonedInputs(shared: Shared, size = SIZES): Promise<ScenarioResult> {
  const started = Date.now();
  const s = await scenarioStack(shared, 'poison');
  const { env: apiEnv, routes } = poisonRoutes();
  try {
    await startWorker(s);
    const api = await startApi(s, 0, apiEnv);
    const sender = new Sender();
    const rows: { route: string; bad: string; status: number | string; namesField: boolean }[] = [];
    for (const r of routes) {
      for (const bad of [{ name: 'NUL', text: 'Checkout \u0000 errors' }, { name: 'unpaired surrogate', text: 'Checkout \ud800 errors' }]) {
        if (bad.name !== 'NUL' && r.nulOnly) continue;
        const req = r.request(bad.text);
        const at = Date.now();
        const res = await fetch(`${api.url}${req.path}`, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        const answer = (await res?.text()) ?? '';
        sender.attempts.push({ at, ms: Date.now() - at, status: res?.status ?? 'timeout', retryAfter: res?.headers.get('retry-after') ?? null, deliveryId: `${r.route}:${bad.name}` });
        const namesField = res?.status === 400 && answer.includes(`"${r.field}"`);
        rows.push({ route: r.route, bad: bad.name, status: res?.status ?? 'timeout', namesField });
      }
    }
    // A clean incident: the stack alerts, so a poisoned one accepted would have shown.
    const clean = incidents('poison-clean', 1, shared.base.componentKeys);
    const expected = expectedAlerts(shared.base, clean);
    await sender.deliver(api.url, 'poison-clean-open', incidentBody(clean[0]));
    await awaitAlerts(s.slack, expected, size.settleMs, 2000);
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: s.db.url });
    await client.connect();
    const recorded = await client.query<{ n: string }>(`select count(*) as n from webhook_deliveries where delivery_id not like 'poison-clean%'`);
    const incidentsRecorded = await client.query<{ n: string }>(`select count(*) as n from product_incidents where workflow_id not like '%poison-clean%'`);
    await client.end();
    const poisoned = rows.filter((r) => r.status !== 'timeout');
    const accepted = poisoned.filter((r) => typeof r.status === 'number' && r.status >= 200 && r.status < 300);
    return {
      name: 'poison', title: 'NUL and unpaired surrogate in every webhook, the import and the Slack routes',
      incidents: 1, webhooks: sender.figures(), alerts: countAlerts(s.slack, expected),
      recovery: {},
      details: {
        poisonedRequests: rows.length,
        refused400NamingField: rows.filter((r) => r.status === 400 && r.namesField).length,
        poisonedAccepted: accepted.length,
        poisonedDeliveriesRecorded: Number(recorded.rows[0].n),
        poisonedIncidentsRecorded: Number(incidentsRecorded.rows[0].n),
        wrong: rows.filter((r) => r.status !== 400 || !r.namesField),
        routes: [...new Set(rows.map((r) => r.route))],
      },
      notes: [], seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await stopStack(s);
  }
}

export const SCENARIOS = {
  'worker-kills': workerKills,
  temporal: temporalRestart,
  'pg-stop': postgresStop,
  'pg-freeze': postgresFreeze,
  'slack-storm': slackStorm,
  poison: poisonedInputs,
} as const;
