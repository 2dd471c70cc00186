/**
 * `npm run dev`: the whole system on one machine with no external services — embedded Postgres,
 * the Temporal dev server (persistent SQLite, Web UI), migrations, demo data on an empty
 * database, the worker and the API as separate processes. Honors the same variables as production
 * (.env / environment): set DATABASE_URL or TEMPORAL_ADDRESS to use external services instead.
 *
 * Stopping: SIGINT or SIGTERM, to the launcher or to its whole process group (Ctrl-C), stops the API
 * and the worker, then Temporal, then Postgres, and only then exits. Everything it starts runs in a
 * process group of its own, so a Ctrl-C reaches the launcher alone and the order holds. A worker or
 * API that crashes is started again (after 1 s, 2 s, 4 s … up to 30 s) instead of taking the stack down.
 *
 * Options (for running a second stack beside the first, as the tests do):
 *   --data-dir <dir>       where Postgres and Temporal keep their data (default .data/)
 *   --postgres-port <n>    the embedded Postgres (default 5433)
 *   --temporal-port <n>    the Temporal dev server (default 7233; its UI port comes from TEMPORAL_UI_URL)
 *   --no-demo              do not load the demo customer base into an empty database
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, readEnvironment } from '../config';
import { createDb } from '../db/connect';
import { DEV_DATABASE_PORT, ensureDatabase } from '../db/embedded';
import { migrateToLatest } from '../db/migrate';
import { loadDemoDataIfEmpty } from './demo-data';
import { startDevPostgres, type DevPostgres } from './dev-postgres';
import { describeTakenPort, portTaken } from './ports';
import { startTemporalDevServer, waitForPort } from './temporal-dev-server';

const ROOT = path.resolve(__dirname, '..');

interface Options { dataDir: string; postgresPort: number; temporalPort: number; demo: boolean }

function parseArgs(argv: string[]): Options {
  const opts: Options = { dataDir: path.join(ROOT, '.data'), postgresPort: DEV_DATABASE_PORT, temporalPort: 7233, demo: true };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    const port = (name: string) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a port number`);
      return n;
    };
    switch (argv[i]) {
      case '--data-dir': opts.dataDir = path.resolve(value()); break;
      case '--postgres-port': opts.postgresPort = port('--postgres-port'); break;
      case '--temporal-port': opts.temporalPort = port('--temporal-port'); break;
      case '--no-demo': opts.demo = false; break;
      default: throw new Error(`Unknown option ${argv[i]} (see the top of scripts/dev.ts)`);
    }
  }
  return opts;
}

/** A dev secret kept in the data folder, so it stays the same across restarts (the sign-in token, the rating links). */
function devSecret(dataDir: string, name: string, prefix = ''): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = `${prefix}${randomBytes(16).toString('hex')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

const ended = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

/** Signals a child's whole process group (it was started detached), or the child alone if that fails. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

/** SIGTERM, then SIGKILL if it has not ended within `graceMs`. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await ended(child);
  clearTimeout(timer);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const env = readEnvironment();
  env.API_TOKENS ||= devSecret(opts.dataDir, 'dev-api-token', 'dev-');
  // Resolution emails carry working rating links in dev too (rendered into the outbox in dry-run).
  env.CSAT_SIGNING_SECRET ||= devSecret(opts.dataDir, 'dev-csat-secret');
  const startTemporal = !env.TEMPORAL_ADDRESS;
  if (startTemporal) env.TEMPORAL_ADDRESS = `127.0.0.1:${opts.temporalPort}`;
  const config = loadConfig(env);
  const embeddedPostgres = !config.databaseUrl;

  const apps = new Map<string, ChildProcess>();
  const timers = new Set<NodeJS.Timeout>();
  let temporal: ChildProcess | undefined;
  let postgres: DevPostgres | undefined;
  let stopping = false;

  // In order: the processes using Temporal and Postgres first, then Temporal, then Postgres.
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (apps.size === 0 && !temporal && !postgres) process.exit(code);
    console.log('\nStopping Forewarn...');
    for (const t of timers) clearTimeout(t);
    await Promise.all([...apps.values()].map((c) => stopChild(c, 30_000)));
    if (temporal) await stopChild(temporal, 10_000);
    await postgres?.stop().catch((err) => console.error(`Postgres did not stop cleanly: ${(err as Error).message}`));
    console.log(`Stopped. Data kept in ${postgres && !postgres.dataDir.startsWith(opts.dataDir) ? `${opts.dataDir} and ${path.dirname(postgres.dataDir)}` : opts.dataDir} for the next start.`);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGHUP', () => void stop(0));
  // Should the launcher itself fail, it must not leave its processes behind.
  process.on('exit', () => {
    for (const c of [...apps.values(), ...(temporal ? [temporal] : [])]) signalGroup(c, 'SIGTERM');
    try { if (postgres) process.kill(postgres.pid, 'SIGINT'); } catch { /* already stopped */ }
  });

  try {
    const uiPort = Number(new URL(config.temporal.uiUrl).port || 8233);
    const needed: [number, string][] = [
      ...(embeddedPostgres ? [[opts.postgresPort, 'embedded Postgres'] as [number, string]] : []),
      ...(startTemporal ? [[opts.temporalPort, 'Temporal dev server'], [uiPort, 'Temporal UI']] as [number, string][] : []),
      [config.api.port, 'API'], [config.worker.healthPort, 'worker health'], [config.worker.metricsPort, 'worker metrics'],
    ];
    const taken: string[] = [];
    for (const [port, purpose] of needed) {
      if (await portTaken('127.0.0.1', port)) taken.push(describeTakenPort(port, purpose));
    }
    if (taken.length) {
      throw new Error([
        ...taken,
        'Stop what holds it (a Forewarn stack left running stops with: kill <pid>), or choose other ports '
        + '(PORT, WORKER_HEALTH_PORT, WORKER_METRICS_PORT, TEMPORAL_UI_URL; --postgres-port, --temporal-port).',
      ].join('\n'));
    }

    let url = config.databaseUrl;
    if (embeddedPostgres) {
      postgres = await startDevPostgres({
        root: ROOT, dataDir: path.join(opts.dataDir, 'postgres/data'), port: opts.postgresPort, notice: (line) => console.log(line),
      });
      await ensureDatabase(postgres.url('postgres'), 'forewarn');
      url = postgres.url('forewarn');
      console.log(`Postgres (embedded)   ${url}`);
    }
    const db = createDb(url, 2);
    try {
      await migrateToLatest(db);
      const demo = opts.demo ? await loadDemoDataIfEmpty(db) : undefined;
      if (demo) console.log(`Demo data loaded      ${demo}`);
    } finally {
      await db.destroy();
    }

    if (startTemporal) {
      temporal = await startTemporalDevServer({
        dataDir: path.join(opts.dataDir, 'temporal'), port: opts.temporalPort, uiPort, namespace: config.temporal.namespace, detached: true,
      });
      await waitForPort('127.0.0.1', opts.temporalPort, 30_000);
      temporal.once('exit', (code, signal) => {
        if (!stopping) {
          console.error(`The Temporal dev server exited (${signal ?? `code ${code}`}); see ${path.join(opts.dataDir, 'temporal/server.log')}. Stopping.`);
          void stop(1);
        }
      });
    }
    if (stopping) return;

    const childEnv = { ...process.env, ...env, DATABASE_URL: url } as NodeJS.ProcessEnv;
    const supervise = (entry: string) => {
      let failures = 0;
      const launch = () => {
        const startedAt = Date.now();
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
          cwd: ROOT, env: childEnv, stdio: ['ignore', 'inherit', 'inherit'], detached: true,
        });
        apps.set(entry, child);
        child.once('exit', (code, signal) => {
          if (stopping) return;
          // A process that ran a while before failing starts over with a short wait.
          if (Date.now() - startedAt > 60_000) failures = 0;
          const delay = Math.min(30_000, 1000 * 2 ** failures);
          failures += 1;
          console.error(`${entry} exited (${signal ?? `code ${code}`}); starting it again in ${delay / 1000} s`);
          const timer = setTimeout(() => { timers.delete(timer); if (!stopping) launch(); }, delay);
          timers.add(timer);
        });
      };
      launch();
    };
    supervise('worker/main.ts');
    supervise('api/main.ts');
    await waitForPort(config.api.host, config.api.port, 90_000);
    if (stopping) return;
    const api = config.api.publicBaseUrl;
    console.log([
      '',
      'Forewarn is running:',
      `  API            ${api}/api`,
      `  API docs       ${api}/docs`,
      `  Dashboard      ${api}/dashboard   (sign in with the token below)`,
      `  Temporal UI    ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`,
      `  Health         ${api}/health`,
      `  API token      ${config.api.tokens[0]}`,
      '',
      'Try:  curl -H "Authorization: Bearer <token>" -H "content-type: application/json" \\',
      `        -d '{"id":"INC-1","title":"API latency","status":"investigating","severity":"P1","affectedComponents":["api-gateway"],"startedAt":"${new Date().toISOString()}"}' \\`,
      `        ${api}/api/webhooks/incidents`,
      'Ctrl-C stops everything.',
    ].join('\n'));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    await stop(1);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
