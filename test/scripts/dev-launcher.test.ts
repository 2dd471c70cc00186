/**
 * The dev launcher as a person uses it, on ports and a data folder of its own: started, then stopped by
 * SIGTERM to its pid or SIGINT to its process group (Ctrl-C); every port it used is free afterwards. A
 * crashed worker is started again; a start with a port taken names the port and who holds it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fallbackDir, reachable } from '../../scripts/dev-postgres';
import { portHolders, portTaken } from '../../scripts/ports';
import { waitingUpTo } from '../helpers/wait-for';

const ROOT = path.resolve(__dirname, '../..');

/** Six consecutive free ports: API, worker health, worker metrics, Temporal UI, Postgres, Temporal. */
async function freePorts(): Promise<number[]> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const ports = Array.from({ length: 6 }, (_, i) => base + i);
    const taken = await Promise.all(ports.map((p) => portTaken('127.0.0.1', p)));
    if (!taken.some(Boolean)) return ports;
  }
}

interface Launcher { child: ChildProcess; output: () => string; exit: Promise<number | null> }

function launch(dataDir: string, ports: number[]): Launcher {
  const [api, health, metrics, ui, postgres, temporal] = ports;
  const child = spawn(process.execPath, [
    '--import', 'tsx', path.join(ROOT, 'scripts/dev.ts'),
    '--data-dir', dataDir, '--postgres-port', String(postgres), '--temporal-port', String(temporal), '--no-demo',
  ], {
    cwd: ROOT,
    // Its own process group, as in a terminal: the test can signal the group like a Ctrl-C does.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: '', TEMPORAL_ADDRESS: '',
      PORT: String(api), WORKER_HEALTH_PORT: String(health), WORKER_METRICS_PORT: String(metrics), TEMPORAL_UI_URL: `http://127.0.0.1:${ui}`,
    },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exit };
}

const waitFor = waitingUpTo(120_000);

const healthy = async (port: number) => {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200 ? true : undefined;
  } catch {
    return undefined;
  }
};

async function allFree(ports: number[]): Promise<number[]> {
  const taken = await Promise.all(ports.map((p) => portTaken('127.0.0.1', p)));
  return ports.filter((_, i) => taken[i]);
}

describe('dev launcher', () => {
  let dataDir: string;
  let ports: number[];
  let running: Launcher | undefined;
  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'forewarn-dev-'));
    // mkdtemp makes it private; as root the postgres user must reach it (the closed case has its own test).
    chmodSync(dataDir, 0o755);
    ports = await freePorts();
  });
  after(async () => {
    if (running && running.child.exitCode === null) {
      try { process.kill(-running.child.pid!, 'SIGTERM'); } catch { /* gone */ }
      await running.exit;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('SIGTERM to its pid stops everything it started; a crashed worker is started again meanwhile', async () => {
    running = launch(dataDir, ports);
    await waitFor('the API and the worker to be healthy', async () => (await healthy(ports[0])) && (await healthy(ports[1])));
    assert.match(running.output(), /Forewarn is running/);

    // The worker dies: the launcher starts it again, and the rest of the stack stays up.
    const [worker] = portHolders(ports[1]);
    assert.ok(worker, 'the worker holds its health port');
    process.kill(worker.pid, 'SIGKILL');
    await waitFor('the worker to be restarted', () => (/worker\/main\.ts exited .* starting it again/.test(running!.output()) ? true : undefined));
    await waitFor('the restarted worker to be healthy', () => healthy(ports[1]));
    assert.equal(await healthy(ports[0]), true, 'the API stayed up');

    process.kill(running.child.pid!, 'SIGTERM');
    assert.equal(await running.exit, 0, running.output());
    assert.match(running.output(), /Stopped\./);
    assert.deepEqual(await allFree(ports), [], 'every port is free again');
  });

  test('SIGINT to its process group (Ctrl-C) stops everything too, and the data is kept for the next start', async () => {
    running = launch(dataDir, ports);
    await waitFor('the API to be healthy', () => healthy(ports[0]));
    process.kill(-running.child.pid!, 'SIGINT');
    assert.equal(await running.exit, 0, running.output());
    assert.deepEqual(await allFree(ports), [], 'every port is free again');
    assert.ok(existsSync(path.join(dataDir, 'postgres/data/PG_VERSION')), 'the database stays for the next start');
  });

  test('a port already taken is named with what holds it, and nothing is left running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(ports[0], '127.0.0.1', r));
    try {
      running = launch(dataDir, ports);
      assert.equal(await running.exit, 1);
      assert.match(running.output(), new RegExp(`Port ${ports[0]} \\(API\\) is already in use by pid ${process.pid} \\(`));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    assert.deepEqual(await allFree(ports), []);
  });
});

describe('the postgres user and a clone it cannot reach (started by root)', () => {
  test('a folder closed to other users on the way makes the data unreachable; the fallback is stable and outside', () => {
    const top = mkdtempSync(path.join(os.tmpdir(), 'forewarn-reach-'));
    try {
      const data = path.join(top, 'clone/.data/postgres/data');
      mkdirSync(data, { recursive: true });
      const someoneElse = { uid: 65534, gid: 65534 };
      chmodSync(top, 0o700);
      assert.equal(reachable(data, someoneElse), false, 'like a clone under /root');
      chmodSync(top, 0o755);
      assert.equal(reachable(data, someoneElse), true);
      assert.equal(reachable(path.dirname(data), someoneElse, true), false, 'traversable is not writable');
      assert.equal(fallbackDir(data), fallbackDir(`${data}/`));
      assert.match(fallbackDir(data), /^\/var\/tmp\/forewarn-[0-9a-f]{10}$/);
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });
});
