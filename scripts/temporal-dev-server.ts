import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/contract';

const ROOT = path.resolve(__dirname, '..');

export function temporalCliPath(): string {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) return explicit;
  const local = path.join(ROOT, '.temporal/bin/temporal');
  if (existsSync(local)) return local;
  throw new Error('Temporal CLI not found: run `npm ci` (it fetches .temporal/bin/temporal) or set TEMPORAL_CLI_PATH');
}

export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port }, () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Nothing answered on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts `temporal server start-dev` with a persistent SQLite file (open incidents survive a
 * restart) and Forewarn's search attributes registered. Its log: <dataDir>/server.log.
 */
export async function startTemporalDevServer(opts: { dataDir: string; port: number; uiPort: number; namespace: string; detached?: boolean }): Promise<ChildProcess> {
  mkdirSync(opts.dataDir, { recursive: true });
  const args = [
    'server', 'start-dev',
    '--db-filename', path.join(opts.dataDir, 'temporal.sqlite'),
    '--ip', '127.0.0.1', '--port', String(opts.port), '--ui-port', String(opts.uiPort),
    '--namespace', opts.namespace, '--log-level', 'error', '--ui-disable-news-fetch',
    ...Object.entries(SEARCH_ATTRIBUTE_TYPES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  // The server is chatty (and noisy while shutting down): its output goes to a log file.
  const log = openSync(path.join(opts.dataDir, 'server.log'), 'a');
  // detached: a process group of its own, so only whoever started it decides when it stops.
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', log, log], detached: opts.detached ?? false });
  await Promise.race([
    waitForPort('127.0.0.1', opts.port, 60_000),
    new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`Temporal dev server exited with code ${code}`)))),
  ]);
  return child;
}
