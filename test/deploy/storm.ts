/**
 * Traffic through a deployed stack (stack.ts) and what Slack received: webhooks sent as a sender would
 * (retried under one delivery id), each CSM message counted by its idempotency key (lost, duplicated,
 * repeated), and the storm that test/deploy/production.test.ts and bench/cluster.ts run.
 */
import pg from 'pg';
import type { FakeSlack } from '../fakes/slack';
import { API_TOKEN, customerBase, startWorker, waitFor, type Stack } from './stack';

/** Posts one generic webhook; the Idempotency-Key names the delivery, as a sender's retry would repeat it. */
export async function postIncident(apiUrl: string, deliveryId: string, body: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${apiUrl}/api/webhooks/incidents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': deliveryId },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Posts until the API accepts (202), as a webhook sender retries: after Retry-After (or 1 s) when the
 * API answers 503 or cannot be reached. Resolves with the number of retries.
 */
export async function deliver(apiUrl: string, deliveryId: string, body: Record<string, unknown>, attempts = 10): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${apiUrl}/api/webhooks/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': deliveryId },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    }).catch(() => undefined);
    await res?.arrayBuffer();
    if (res?.status === 202) return attempt - 1;
    if (attempt >= attempts || (res && res.status !== 503)) throw new Error(`${deliveryId}: ${apiUrl} answered ${res?.status ?? 'nothing'} (attempt ${attempt})`);
    const retryAfter = Number(res?.headers.get('retry-after'));
    await new Promise((r) => setTimeout(r, (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1) * 1000));
  }
}

/** `<workflow id>:<kind>:<recipient>:<version>`, carried by every message in its Slack metadata. */
export function messageKeys(slack: FakeSlack): { key: string; workflowId: string; kind: string; recipient: string }[] {
  return slack.messages.flatMap((m) => {
    const key = m.metadata?.event_payload?.idempotency_key;
    const match = typeof key === 'string' ? /^(incident:[^:]+:[^:]+):([a-z_]+):([^:]+):/.exec(key) : null;
    return match ? [{ key: key as string, workflowId: match[1], kind: match[2], recipient: match[3] }] : [];
  });
}

export interface Tally {
  expected: number;
  delivered: number;
  lost: string[];
  /** Idempotency keys posted to Slack more than once. */
  duplicated: string[];
  /** (incident, CSM) pairs that got more than one message of the kind (a second key: an event applied twice). */
  repeated: string[];
}

/** Counts one kind of CSM message (alert, resolution) against the CSMs each incident should reach. */
export function tally(slack: FakeSlack, kind: string, expected: Map<string, Set<string>>): Tally {
  const keys = messageKeys(slack);
  const postedKeys = new Map<string, number>();
  for (const k of keys) postedKeys.set(k.key, (postedKeys.get(k.key) ?? 0) + 1);
  const perPair = new Map<string, Set<string>>();
  for (const k of keys.filter((k) => k.kind === kind)) {
    const pair = `${k.workflowId} → ${k.recipient}`;
    perPair.set(pair, (perPair.get(pair) ?? new Set()).add(k.key));
  }
  const lost: string[] = [];
  let total = 0;
  for (const [workflowId, csms] of expected) {
    for (const csm of csms) {
      total += 1;
      if (!perPair.has(`${workflowId} → ${csm}`)) lost.push(`${workflowId} → ${csm}`);
    }
  }
  return {
    expected: total,
    delivered: total - lost.length,
    lost,
    duplicated: [...postedKeys].filter(([, n]) => n > 1).map(([k]) => k),
    repeated: [...perPair].filter(([, ks]) => ks.size > 1).map(([pair]) => pair),
  };
}

/** Waits until Slack has had no new message for `quietMs` (late duplicates would show by then). */
export async function settle(slack: FakeSlack, quietMs = 3000): Promise<void> {
  let count = slack.messages.length;
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    if (slack.messages.length !== count) {
      count = slack.messages.length;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

export interface StormResult {
  incidents: number;
  webhookPosts: number;
  /** Answers other than 202 (503 while busy), each retried as a sender would until accepted. */
  webhookRetries: number;
  alerts: Tally;
  resolutions: Tally;
  deliveries: { rows: number; distinct: number; statuses: Record<string, number> };
  restarts: { worker: string; exit: number | null; signal: string | null; drainMs: number; replacementHealthyMs: number }[];
  seconds: number;
  /** What did not complete in time, if anything. */
  error?: string;
}

const STORM_COMPONENTS = [['api-gateway'], ['search'], ['billing'], ['api-gateway', 'billing']];
const STORM_SEVERITIES = ['P3', 'P4', 'P2', 'P3'];

/**
 * A storm through every API: each incident's opening and its resolution are each sent to two APIs
 * at once under one delivery id (a sender's retry reaching another replica). While it runs, the
 * workers are restarted one at a time with SIGTERM (`restartWorkers`). Resolves once every
 * expected alert and resolution reached Slack (or `timeoutMs` passed) and Slack went quiet.
 */
export async function runStorm(s: Stack, opts: { incidents: number; restartWorkers: boolean; timeoutMs: number }): Promise<StormResult> {
  const { csmsFor } = customerBase();
  const started = Date.now();
  let posts = 0;
  let retries = 0;
  const toBoth = async (deliveryId: string, body: Record<string, unknown>, i: number) => {
    await Promise.all([s.apis[i % s.apis.length], s.apis[(i + 1) % s.apis.length]].map(async (api) => {
      const retried = await deliver(api.url, deliveryId, body);
      posts += 1 + retried;
      retries += retried;
    }));
  };
  const incidents = Array.from({ length: opts.incidents }, (_, i) => ({
    id: `storm-${i}`, workflowId: `incident:generic:storm-${i}`,
    components: STORM_COMPONENTS[i % STORM_COMPONENTS.length], severity: STORM_SEVERITIES[i % STORM_SEVERITIES.length],
  }));
  const expected = new Map(incidents.map((inc) => [inc.workflowId, csmsFor(inc.components)]));
  const startedAt = new Date(Date.now() - 5 * 60_000).toISOString();
  const base = (inc: (typeof incidents)[number]) => ({ id: inc.id, title: `Storm incident ${inc.id}`, severity: inc.severity, affectedComponents: inc.components, startedAt });
  const alertsOf = (workflowId: string) => new Set(messageKeys(s.slack).filter((k) => k.kind === 'alert' && k.workflowId === workflowId).map((k) => k.recipient));

  const restarts: StormResult['restarts'] = [];
  let firstRestartDone: Promise<void> = Promise.resolve();
  let rolling: Promise<void> = Promise.resolve();
  const opening = Promise.all(incidents.map((inc, i) => toBoth(`${inc.id}-open`, { ...base(inc), status: 'investigating' }, i)));
  if (opts.restartWorkers) {
    let markFirst!: () => void;
    firstRestartDone = new Promise((r) => { markFirst = r; });
    rolling = (async () => {
      const count = s.workers.length;
      for (let w = 0; w < count; w++) {
        const old = s.workers.shift()!;
        const exit = await old.proc.stop();
        const replacement = await startWorker(s, count + w);
        restarts.push({ worker: old.proc.name, exit: exit.code, signal: exit.signal, drainMs: exit.ms, replacementHealthyMs: replacement.healthyMs });
        if (w === 0) markFirst();
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
  }
  await opening;
  // Each incident resolves once its alerts are out (so the expected resolutions are known), and not
  // before the first worker restart: resolutions too are sent while workers come and go.
  await firstRestartDone;
  const resolving = Promise.all(incidents.map(async (inc, i) => {
    const want = expected.get(inc.workflowId)!;
    await waitFor(() => [...want].every((c) => alertsOf(inc.workflowId).has(c)), opts.timeoutMs, () => `${inc.workflowId}: alerts to ${[...alertsOf(inc.workflowId)].join(', ') || 'nobody'} of ${[...want].join(', ')}`);
    await toBoth(`${inc.id}-resolved`, { ...base(inc), status: 'resolved', resolvedAt: new Date().toISOString() }, i + 1);
  }));
  const outcome = await Promise.allSettled([resolving, rolling]);
  const failed = outcome.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  let error = failed ? String(failed.reason instanceof Error ? failed.reason.message : failed.reason) : undefined;
  if (!failed) {
    await waitFor(() => tally(s.slack, 'resolution', expected).lost.length === 0, opts.timeoutMs, () => `resolutions lost: ${tally(s.slack, 'resolution', expected).lost.slice(0, 10).join('; ')}`)
      .catch((err: Error) => { error = err.message; });
  }
  await settle(s.slack);
  const client = new pg.Client({ connectionString: s.db.url });
  await client.connect();
  const rows = await client.query<{ delivery_id: string; status: string }>(`select delivery_id, status from webhook_deliveries where delivery_id like 'storm-%'`);
  await client.end();
  const statuses: Record<string, number> = {};
  for (const r of rows.rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    incidents: opts.incidents, webhookPosts: posts, webhookRetries: retries,
    alerts: tally(s.slack, 'alert', expected), resolutions: tally(s.slack, 'resolution', expected),
    deliveries: { rows: rows.rows.length, distinct: new Set(rows.rows.map((r) => r.delivery_id)).size, statuses },
    restarts, seconds: (Date.now() - started) / 1000, error,
  };
}
