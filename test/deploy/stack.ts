/**
 * Forewarn as it is deployed, on one machine: a production install (`npm run build` output plus
 * `npm ci --omit=dev`, no TypeScript, no dev dependencies) whose API and worker processes run
 * with plain `node` against a Temporal dev server, a Postgres database and a fake Slack.
 * Used by test/deploy/production.test.ts and bench/cluster.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startTemporalDevServer } from '../../scripts/temporal-dev-server';
import { FakeSlack, type FakeSlackUser } from '../fakes/slack';

export const ROOT = path.resolve(__dirname, '../..');

/** Runs a command to completion; throws with its output when it fails. */
function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

export interface ProductionInstall {
  dir: string;
  remove: () => void;
}

/**
 * What the Dockerfile's run stage holds: package.json, package-lock.json and dist/, installed with
 * `npm ci --omit=dev --ignore-scripts` (the postinstall fetches Temporal's development binaries,
 * which production does not run). Packages come from npm's cache when it has them.
 */
export function productionInstall(): ProductionInstall {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'forewarn-production-'));
  run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/build.ts'), '--out-dir', path.join(dir, 'dist')], { cwd: ROOT });
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(path.join(ROOT, file), path.join(dir, file));
  run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, env: { ...process.env, NODE_ENV: 'production' } });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The build output alone (`npm run build --out-dir`), placed under the clone's `.data/` so the clone's
 * own node_modules serve it: the same compiled processes and prebuilt workflow bundle as a production
 * install, without its `npm ci` (for runs that start many processes, such as the chaos suite).
 */
export function localBuild(): ProductionInstall {
  mkdirSync(path.join(ROOT, '.data'), { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, '.data', 'build-'));
  run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/build.ts'), '--out-dir', path.join(dir, 'dist')], { cwd: ROOT });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A Forewarn process (API, worker, or a command) started with `node dist/...`, its output kept. */
export class NodeProcess {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly startedAt = Date.now();

  constructor(readonly name: string, readonly child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => this.output.push(d.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output.join('');
  }

  /** SIGTERM, as an orchestrator stops a container; resolves with the exit. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const at = Date.now();
    if (this.running) this.child.kill('SIGTERM');
    const exit = await this.exited;
    return { ...exit, ms: Date.now() - at };
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

/** The environment a deployment gives the processes: nothing of the test runner's own. */
export function processEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', LOG_LEVEL: 'info', ...vars };
}

export function startNode(install: ProductionInstall, name: string, entry: string, env: NodeJS.ProcessEnv, args: string[] = []): NodeProcess {
  const child = spawn(process.execPath, [path.join(install.dir, entry), ...args], { cwd: install.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new NodeProcess(name, child);
}

/** Runs a command of the install (migrate, import) to its end. */
export async function runNode(install: ProductionInstall, entry: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  const p = startNode(install, entry, entry, env, args);
  const exit = await p.exited;
  return { ...exit, output: p.log };
}

/** Waits until GET url answers 200; throws with the process's output if it exits or time runs out. */
export async function waitHealthy(url: string, proc: NodeProcess, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) throw new Error(`${proc.name} exited before it was healthy:\n${proc.log}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ok) return Date.now() - proc.startedAt;
    if (Date.now() > deadline) throw new Error(`${proc.name} not healthy at ${url} after ${timeoutMs} ms:\n${proc.log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Database {
  url: string;
  drop: () => Promise<void>;
}

/** An empty database (no tables) on the Postgres server of `serverUrl`: the install migrates it itself. */
export async function emptyDatabase(serverUrl: string): Promise<Database> {
  const adminUrl = serverUrl.replace(/\/[^/]*$/, '/postgres');
  const name = `deploy_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  return {
    url: adminUrl.replace(/\/postgres$/, `/${name}`),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

export interface TemporalServer {
  address: string;
  stop: () => Promise<void>;
}

/** The Temporal CLI's dev server (the project's fetched binary) on free ports, its data in a temporary folder. */
export async function startTemporal(): Promise<TemporalServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'forewarn-temporal-'));
  mkdirSync(dataDir, { recursive: true });
  const [port, uiPort] = [await freePort(), await freePort()];
  const child = await startTemporalDevServer({ dataDir, port, uiPort, namespace: 'default' });
  return {
    address: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RestartableTemporal extends TemporalServer {
  /** The dev server's pid while it runs. */
  readonly pid: number | undefined;
  /** kill -9 (default) or another signal; resolves once it exited. */
  kill: (signal?: NodeJS.Signals) => Promise<void>;
  /** Starts it again on the same port and SQLite file: workflows and task queues survive. */
  restart: () => Promise<void>;
}

/** Like startTemporal, but the server can be killed and started again with its state kept. */
export async function startRestartableTemporal(): Promise<RestartableTemporal> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'forewarn-temporal-'));
  const [port, uiPort] = [await freePort(), await freePort()];
  const start = () => startTemporalDevServer({ dataDir, port, uiPort, namespace: 'default', detached: true });
  let child: ChildProcess = await start();
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(late);
  };
  return {
    address: `127.0.0.1:${port}`,
    get pid() { return child.exitCode === null && child.signalCode === null ? child.pid : undefined; },
    kill,
    restart: async () => {
      await kill();
      child = await start();
    },
    stop: async () => {
      await kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const API_TOKEN = 'deploy-api-token-0123456789';

/**
 * A small customer base: 6 CSMs (2 managers), 3 components, 36 customers. Each component is used by
 * the customers of some CSMs only, so each incident alerts a known set of CSMs.
 */
export function customerBase() {
  const csms = ['ana', 'ben', 'cat', 'dan', 'eve', 'fay'].map((n, i) => ({
    email: `${n}@corp.example`, name: n.toUpperCase(), slackUserId: `U${n.toUpperCase()}0000${i}`,
    managerEmail: i < 3 ? 'lee@corp.example' : 'mia@corp.example',
  }));
  const managers = [
    { email: 'lee@corp.example', name: 'LEE', slackUserId: 'ULEE00006' },
    { email: 'mia@corp.example', name: 'MIA', slackUserId: 'UMIA00007' },
  ];
  const components = [
    { key: 'api-gateway', name: 'API Gateway' },
    { key: 'search', name: 'Search' },
    { key: 'billing', name: 'Billing' },
  ];
  // api-gateway: ana, ben, cat, dan; search: cat, dan, eve; billing: eve, fay.
  const usedBy: Record<string, string[]> = { 'api-gateway': ['ana', 'ben', 'cat', 'dan'], search: ['cat', 'dan', 'eve'], billing: ['eve', 'fay'] };
  const customers = Array.from({ length: 36 }, (_, i) => {
    const component = components[i % 3].key;
    const owners = usedBy[component];
    const csm = owners[Math.floor(i / 3) % owners.length];
    return {
      externalId: `acct-${i + 1}`, name: `Customer ${i + 1}`, arr: 50_000 + i * 10_000, segment: i % 4 === 0 ? 'enterprise' : 'smb',
      region: 'us-east', csmEmail: `${csm}@corp.example`, contactName: `Ops ${i + 1}`, contactEmail: `ops@customer${i + 1}.example`,
      components: [{ key: component, usage: (['heavy', 'moderate', 'light'] as const)[i % 3], integrationDependent: i % 5 === 0 }],
    };
  });
  const slackUsers: FakeSlackUser[] = [...csms, ...managers].map((c) => ({ id: c.slackUserId, email: c.email, name: c.name }));
  /** The CSMs whose customers use any of `keys`. */
  const csmsFor = (keys: string[]) => new Set(customers.filter((c) => c.components.some((x) => keys.includes(x.key))).map((c) => c.csmEmail));
  return { data: { csms: [...csms, ...managers], components, customers }, slackUsers, csmsFor };
}

export interface Stack {
  install: ProductionInstall;
  temporal: TemporalServer;
  db: Database;
  slack: FakeSlack;
  taskQueue: string;
  apis: { proc: NodeProcess; url: string }[];
  workers: { proc: NodeProcess; health: string }[];
}

/** The environment every Forewarn process of the stack gets. */
export function stackEnv(s: Pick<Stack, 'db' | 'temporal' | 'slack' | 'taskQueue'>): Record<string, string> {
  return {
    DATABASE_URL: s.db.url, TEMPORAL_ADDRESS: s.temporal.address, TEMPORAL_TASK_QUEUE: s.taskQueue,
    API_TOKENS: API_TOKEN, SLACK_BOT_TOKEN: s.slack.token, SLACK_API_URL: s.slack.apiUrl,
    // Storms of distinct incidents on a few shared components: each stays its own incident here
    // (correlation is tested in test/integration/correlation.test.ts).
    CORRELATION_WINDOW_MINUTES: '0',
  };
}

export async function startApi(s: Stack, index = s.apis.length, env: Record<string, string> = {}): Promise<{ proc: NodeProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startNode(s.install, `api-${index}`, 'dist/api/main.js', processEnv({ ...stackEnv(s), HOST: '127.0.0.1', PORT: String(port), PUBLIC_BASE_URL: url, ...env }));
  await waitHealthy(`${url}/health`, proc);
  const api = { proc, url };
  s.apis.push(api);
  return api;
}

export async function startWorker(s: Stack, index = s.workers.length, env: Record<string, string> = {}): Promise<{ proc: NodeProcess; health: string; healthyMs: number }> {
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const health = `http://127.0.0.1:${healthPort}/health`;
  const proc = startNode(s.install, `worker-${index}`, 'dist/worker/main.js', processEnv({
    ...stackEnv(s), WORKER_HEALTH_PORT: String(healthPort), WORKER_METRICS_PORT: String(metricsPort), ...env,
  }));
  const healthyMs = await waitHealthy(health, proc);
  const worker = { proc, health };
  s.workers.push(worker);
  return { ...worker, healthyMs };
}

/** Polls until `done()` holds; throws `describe()` after the timeout. */
export async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops the stack's processes, its Slack and drops its database (the Temporal server may be shared: stopped apart). */
export async function stopStack(s: Partial<Stack>): Promise<void> {
  await Promise.all([...(s.apis ?? []), ...(s.workers ?? [])].map(async ({ proc }) => {
    const stopped = proc.stop();
    const late = setTimeout(() => proc.kill(), 30_000);
    await stopped;
    clearTimeout(late);
  }));
  await s.slack?.close();
  await s.db?.drop();
}
