/**
 * What every chaos scenario stands on: one Postgres server that can be stopped, started again and
 * frozen (the dev launcher's Postgres binaries, a process group of its own), one Temporal dev server
 * that can be killed and restarted on its SQLite file, and per scenario a fresh database, task queue
 * and fake Slack with the compiled API and workers as separate processes (test/deploy/stack.ts).
 * Also the sender (retries 503s and unanswered posts, as PagerDuty does) and the count of alerts.
 */
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevPostgres, type DevPostgres } from '../../scripts/dev-postgres';
import { FakeSlack, type FakeSlackUser } from '../../test/fakes/slack';
import {
  API_TOKEN, emptyDatabase, freePort, processEnv, runNode, stackEnv, startApi, startNode, startWorker, stopStack,
  type NodeProcess, type ProductionInstall, type RestartableTemporal, type Stack,
} from '../../test/deploy/stack';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Postgres server of the suite's own, which the scenarios stop, restart and freeze. */
export class ChaosPostgres {
  private constructor(private readonly dir: string, private readonly port: number, private server: DevPostgres) {}

  static async start(): Promise<ChaosPostgres> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'forewarn-chaos-pg-'));
    // Started by root, Postgres runs as the postgres user, which must reach the data folder.
    chmodSync(dir, 0o755);
    const port = await freePort();
    const server = await startDevPostgres({ root: dir, dataDir: path.join(dir, 'data'), port, notice: () => {} });
    return new ChaosPostgres(dir, port, server);
  }

  url(database: string): string {
    return this.server.url(database);
  }

  /** Fast shutdown (sessions ended, data safe), as an operator or a crash-restart loop would. */
  async stop(): Promise<void> {
    await this.server.stop();
  }

  async start(): Promise<void> {
    this.server = await startDevPostgres({ root: this.dir, dataDir: path.join(this.dir, 'data'), port: this.port, notice: () => {} });
  }

  /**
   * SIGSTOP to the whole server: the postmaster first (it forks nothing more), then every backend and
   * helper (each is a session of its own, so not reached through the postmaster's group). Connections
   * stay open; nothing answers.
   */
  freeze(): void {
    process.kill(this.server.pid, 'SIGSTOP');
    for (const pid of childrenOf(this.server.pid)) signal(pid, 'SIGSTOP');
  }

  thaw(): void {
    for (const pid of childrenOf(this.server.pid)) signal(pid, 'SIGCONT');
    process.kill(this.server.pid, 'SIGCONT');
  }

  async remove(): Promise<void> {
    await this.server.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      // Field 4 of /proc/<pid>/stat, after the command name in parentheses.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig); } catch { /* ended meanwhile */ }
}

/**
 * The customer base: `csms` CSMs (2 managers), 4 components, each used by the customers of half the
 * CSMs (overlapping windows), 3 customers per CSM and component. An incident on one component alerts
 * half the CSMs, on two about three quarters.
 */
export function chaosBase(csms = 12) {
  const people = Array.from({ length: csms }, (_, i) => ({
    email: `csm-${i}@corp.example`, name: `CSM ${i}`, slackUserId: `UCSM${String(i).padStart(5, '0')}`,
    managerEmail: i % 2 ? 'lee@corp.example' : 'mia@corp.example',
  }));
  const managers = [
    { email: 'lee@corp.example', name: 'LEE', slackUserId: 'ULEE00001' },
    { email: 'mia@corp.example', name: 'MIA', slackUserId: 'UMIA00002' },
  ];
  const components = [
    { key: 'api-gateway', name: 'API Gateway' }, { key: 'search', name: 'Search' },
    { key: 'billing', name: 'Billing' }, { key: 'reports', name: 'Reports' },
  ];
  const half = Math.max(1, Math.floor(csms / 2));
  const usedBy = new Map(components.map((c, j) => [c.key, Array.from({ length: half }, (_, k) => people[(j * Math.ceil(csms / 4) + k) % csms])]));
  let n = 0;
  const customers = components.flatMap((c) => usedBy.get(c.key)!.flatMap((csm) => Array.from({ length: 3 }, (_, k) => {
    n += 1;
    return {
      externalId: `acct-${n}`, name: `Customer ${n}`, arr: 40_000 + n * 1_000, segment: n % 4 === 0 ? 'enterprise' : 'smb', region: 'us-east',
      csmEmail: csm.email, contactName: `Ops ${n}`, contactEmail: `ops@customer${n}.example`,
      components: [{ key: c.key, usage: (['heavy', 'moderate', 'light'] as const)[k], integrationDependent: n % 5 === 0 }],
    };
  })));
  const slackUsers: FakeSlackUser[] = [...people, ...managers].map((p) => ({ id: p.slackUserId, email: p.email, name: p.name }));
  const csmsFor = (keys: string[]) => new Set(keys.flatMap((k) => usedBy.get(k)!.map((p) => p.email)));
  return { data: { csms: [...people, ...managers], components, customers }, slackUsers, csmsFor, componentKeys: components.map((c) => c.key) };
}

export type ChaosBase = ReturnType<typeof chaosBase>;

export interface Shared {
  install: ProductionInstall;
  postgres: ChaosPostgres;
  temporal: RestartableTemporal;
  base: ChaosBase;
}

/** A scenario's own stack: a fresh database (migrated, imported), task queue and fake Slack; no processes yet. */
export async function scenarioStack(shared: Shared, name: string): Promise<Stack> {
  const s: Stack = {
    install: shared.install, temporal: shared.temporal, db: await emptyDatabase(shared.postgres.url('postgres')),
    slack: await FakeSlack.start({ users: shared.base.slackUsers }), taskQueue: `chaos-${name}-${process.pid}`, apis: [], workers: [],
  };
  const env = processEnv(stackEnv(s));
  const file = path.join(shared.install.dir, `customers-${name}.json`);
  writeFileSync(file, JSON.stringify(shared.base.data));
  for (const [entry, args] of [['dist/scripts/migrate.js', []], ['dist/scripts/import.js', [file]]] as const) {
    const r = await runNode(shared.install, entry, env, [...args]);
    if (r.code !== 0) throw new Error(`${entry} failed:\n${r.output}`);
  }
  return s;
}

export { startApi, startWorker, stopStack };

export interface Attempt { at: number; ms: number; status: number | 'timeout' | 'refused'; retryAfter: string | null; deliveryId: string }

/** How long the sender waits for an answer: past the API's own 3 s deadline, so a hang shows as one. */
const CLIENT_TIMEOUT_MS = 10_000;
/** The API's promise: an answer within 3 s, whatever is down. */
export const DEADLINE_MS = 3000;

/**
 * A webhook sender that behaves like PagerDuty: retries a 503 after its Retry-After (at most 5 s), a
 * post without an answer after 1 s, and gives up only after `giveUpMs`. Records every attempt.
 */
export class Sender {
  readonly attempts: Attempt[] = [];
  /** delivery id → when it was first answered 202. */
  readonly accepted = new Map<string, number>();
  readonly refused = new Map<string, number | string>();

  constructor(private readonly giveUpMs = 10 * 60_000) {}

  async post(url: string, deliveryId: string, body: string, headers: Record<string, string>): Promise<Attempt> {
    const at = Date.now();
    let attempt: Attempt;
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
      await res.arrayBuffer();
      attempt = { at, ms: Date.now() - at, status: res.status, retryAfter: res.headers.get('retry-after'), deliveryId };
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError';
      attempt = { at, ms: Date.now() - at, status: timeout ? 'timeout' : 'refused', retryAfter: null, deliveryId };
    }
    this.attempts.push(attempt);
    return attempt;
  }

  /** Posts a generic incident webhook until 202 (or a refusal that is not worth retrying). */
  async deliver(apiUrl: string, deliveryId: string, body: Record<string, unknown>): Promise<boolean> {
    const until = Date.now() + this.giveUpMs;
    const headers = { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': deliveryId };
    for (;;) {
      const a = await this.post(`${apiUrl}/api/webhooks/incidents`, deliveryId, JSON.stringify(body), headers);
      if (a.status === 202) {
        this.accepted.set(deliveryId, Date.now());
        return true;
      }
      const retryable = a.status === 503 || a.status === 'timeout' || a.status === 'refused' || a.status === 429;
      if (!retryable || Date.now() > until) {
        this.refused.set(deliveryId, a.status);
        return false;
      }
      const retryAfter = Number(a.retryAfter);
      await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 5) * 1000 : 1000);
    }
  }

  /** Counts of the attempts made within [from, to) (all by default). */
  figures(from = 0, to = Infinity) {
    const within = this.attempts.filter((a) => a.at >= from && a.at < to);
    const other: Record<string, number> = {};
    for (const a of within) if (a.status !== 202 && a.status !== 503) other[String(a.status)] = (other[String(a.status)] ?? 0) + 1;
    const unavailable = within.filter((a) => a.status === 503);
    return {
      sent: within.length,
      accepted: within.filter((a) => a.status === 202).length,
      unavailable: unavailable.length,
      unavailableWithoutRetryAfter: unavailable.filter((a) => !a.retryAfter).length,
      other,
      overDeadline: within.filter((a) => a.ms > DEADLINE_MS).length,
      slowestMs: within.reduce((m, a) => Math.max(m, a.ms), 0),
    };
  }
}

export interface IncidentSpec { id: string; workflowId: string; components: string[]; severity: string }

const SEVERITIES = ['P3', 'P4', 'P2', 'P3', 'P4'];

/** `count` incidents named `<prefix>-<n>`, on one or two components each, mostly P3/P4 with some P2. */
export function incidents(prefix: string, count: number, componentKeys: string[]): IncidentSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const first = componentKeys[i % componentKeys.length];
    const second = componentKeys[(i + 1) % componentKeys.length];
    const id = `${prefix}-${i}`;
    return { id, workflowId: `incident:generic:${id}`, components: i % 3 === 2 ? [first, second] : [first], severity: SEVERITIES[i % SEVERITIES.length] };
  });
}

export function incidentBody(inc: IncidentSpec): Record<string, unknown> {
  return {
    id: inc.id, title: `Chaos incident ${inc.id}`, status: 'investigating', severity: inc.severity,
    affectedComponents: inc.components, startedAt: new Date(Date.now() - 60_000).toISOString(),
  };
}

/** Every alert DM Slack holds: workflow id, CSM email, when it was posted. */
export function alertMessages(slack: FakeSlack): { workflowId: string; recipient: string; key: string; at: number }[] {
  return slack.messages.flatMap((m) => {
    const key = m.metadata?.event_payload?.idempotency_key;
    const match = typeof key === 'string' ? /^(incident:[^:]+:[^:]+):alert:([^:]+):/.exec(key) : null;
    return match ? [{ workflowId: match[1], recipient: match[2], key: key as string, at: m.postedAt ?? 0 }] : [];
  });
}

export interface AlertCount {
  expected: number;
  deliveredOnce: number;
  duplicated: number;
  lost: number;
  /** Alerts to a CSM the incident does not concern. */
  unexpected: number;
  lostPairs: string[];
  duplicatedPairs: string[];
}

/** Exactly one alert DM expected per (incident, CSM whose customers it affects). */
export function countAlerts(slack: FakeSlack, expected: Map<string, Set<string>>): AlertCount {
  const perPair = new Map<string, number>();
  for (const m of alertMessages(slack)) perPair.set(`${m.workflowId} → ${m.recipient}`, (perPair.get(`${m.workflowId} → ${m.recipient}`) ?? 0) + 1);
  const wanted = new Set([...expected].flatMap(([wf, csms]) => [...csms].map((c) => `${wf} → ${c}`)));
  const lostPairs = [...wanted].filter((p) => !perPair.has(p));
  const duplicatedPairs = [...perPair].filter(([p, n]) => wanted.has(p) && n > 1).map(([p]) => p);
  return {
    expected: wanted.size,
    deliveredOnce: [...wanted].filter((p) => perPair.get(p) === 1).length,
    duplicated: duplicatedPairs.length,
    lost: lostPairs.length,
    unexpected: [...perPair.keys()].filter((p) => !wanted.has(p)).length,
    lostPairs: lostPairs.slice(0, 10),
    duplicatedPairs: duplicatedPairs.slice(0, 10),
  };
}

export function expectedAlerts(base: ChaosBase, specs: IncidentSpec[]): Map<string, Set<string>> {
  return new Map(specs.map((s) => [s.workflowId, base.csmsFor(s.components)]));
}

/**
 * Waits until every expected alert is out (or `timeoutMs` passed), then until Slack has been quiet for
 * `quietMs` so late duplicates show. Resolves with when the last expected alert went out (or undefined).
 */
export async function awaitAlerts(slack: FakeSlack, expected: Map<string, Set<string>>, timeoutMs: number, quietMs = 5000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let complete = false;
  while (Date.now() < deadline) {
    if (countAlerts(slack, expected).lost === 0) { complete = true; break; }
    await sleep(250);
  }
  let count = slack.messages.length;
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await sleep(250);
    if (slack.messages.length !== count) { count = slack.messages.length; since = Date.now(); }
  }
  if (!complete) return undefined;
  const wanted = new Set([...expected].flatMap(([wf, csms]) => [...csms].map((c) => `${wf} → ${c}`)));
  return alertMessages(slack).filter((m) => wanted.has(`${m.workflowId} → ${m.recipient}`)).reduce((max, m) => Math.max(max, m.at), 0);
}

/** Starts a worker process without waiting for it to be healthy (its dependencies may be down). */
export async function spawnWorker(s: Stack): Promise<NodeProcess> {
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const proc = startNode(s.install, `worker-${s.workers.length + Date.now() % 100_000}`, 'dist/worker/main.js', processEnv({
    ...stackEnv(s), WORKER_HEALTH_PORT: String(healthPort), WORKER_METRICS_PORT: String(metricsPort),
  }));
  s.workers.push({ proc, health: `http://127.0.0.1:${healthPort}/health` });
  return proc;
}

/**
 * Keeps the stack's processes running: a worker or API that exits on its own is noted (with its last
 * log lines) and a worker is replaced, as an orchestrator would. Returns what it saw.
 */
export function superviseWorkers(s: Stack): { exits: string[]; stop: () => void } {
  const exits: string[] = [];
  let stopped = false;
  const seen = new Set<NodeProcess>();
  const watch = setInterval(() => {
    if (stopped) return;
    for (const { proc } of s.apis) {
      if (proc.running || seen.has(proc)) continue;
      seen.add(proc);
      exits.push(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}): ${lastLines(proc.log)}`);
    }
    for (const w of [...s.workers]) {
      if (w.proc.running) continue;
      s.workers.splice(s.workers.indexOf(w), 1);
      exits.push(`${w.proc.name} exited (${w.proc.child.exitCode ?? w.proc.child.signalCode}), replaced: ${lastLines(w.proc.log)}`);
      void spawnWorker(s);
    }
  }, 500);
  return { exits, stop: () => { stopped = true; clearInterval(watch); } };
}

/** The first error line of a process's output (and where the whole output was kept). */
function lastLines(log: string): string {
  const file = path.join(os.tmpdir(), `forewarn-chaos-exit-${Date.now()}.log`);
  writeFileSync(file, log);
  const lines = log.trim().split('\n');
  const error = lines.find((l) => /^\s*(\w*Error|error:)|uncaught|unhandled/i.test(l)) ?? lines.at(-1) ?? '';
  return `${error.slice(0, 400)} (output: ${file})`;
}

const TIMEOUT_TYPES: Record<number, string> = { 1: 'start-to-close', 2: 'schedule-to-start', 3: 'schedule-to-close', 4: 'heartbeat' };

/**
 * Where work held by a killed worker waited in the workflows' histories: activities whose recorded
 * attempt followed a timed-out one (by activity and timeout kind), and workflow tasks that timed out.
 */
export async function activityTimeouts(address: string, workflowIds: string[]): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address });
  const counts: Record<string, number> = {};
  const add = (key: string) => { counts[key] = (counts[key] ?? 0) + 1; };
  try {
    const client = new Client({ connection });
    for (const id of workflowIds) {
      const history = await client.workflow.getHandle(id).fetchHistory().catch(() => undefined);
      const types = new Map<string, string>();
      for (const e of history?.events ?? []) {
        if (e.activityTaskScheduledEventAttributes) types.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
        const started = e.activityTaskStartedEventAttributes;
        const timeout = started?.lastFailure?.timeoutFailureInfo?.timeoutType;
        if (started && Number(started.attempt) > 1 && timeout) add(`${types.get(String(started.scheduledEventId)) ?? '?'} (${TIMEOUT_TYPES[Number(timeout)] ?? 'timeout'})`);
        if (e.workflowTaskTimedOutEventAttributes) add('workflow task (timeout)');
      }
    }
  } finally {
    await connection.close();
  }
  return counts;
}
