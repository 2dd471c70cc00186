import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { createDb } from '../../db/connect';
import { migrateToLatest } from '../../db/migrate';
import { startEmbeddedPostgres, ensureDatabase, type EmbeddedDatabase } from '../../db/embedded';
import type { Database } from '../../db/types';

/**
 * Isolated databases for tests. `npm test` starts one embedded Postgres and a migrated template
 * database and passes them in TEST_PG_ADMIN_URL / TEST_PG_TEMPLATE; a test file run on its own
 * starts its own Postgres instead.
 */
let server: Promise<{ adminUrl: string; template: string; stop?: () => Promise<void> }> | undefined;

function sharedServer() {
  server ??= (async () => {
    if (process.env.TEST_PG_ADMIN_URL && process.env.TEST_PG_TEMPLATE) {
      return { adminUrl: process.env.TEST_PG_ADMIN_URL, template: process.env.TEST_PG_TEMPLATE };
    }
    const port = 56000 + Math.floor(Math.random() * 4000);
    const embedded: EmbeddedDatabase = await startEmbeddedPostgres({
      dataDir: path.resolve(__dirname, `../../.data/test-pg-${process.pid}/data`), port, persistent: false,
    });
    const adminUrl = embedded.url('postgres');
    await prepareTemplate(adminUrl, 'forewarn_template');
    return { adminUrl, template: 'forewarn_template', stop: embedded.stop };
  })();
  return server;
}

export async function prepareTemplate(adminUrl: string, template: string): Promise<void> {
  await ensureDatabase(adminUrl, template);
  const db = createDb(adminUrl.replace(/\/[^/]*$/, `/${template}`), 2);
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}

export interface TestDb {
  db: Kysely<Database>;
  url: string;
  close: () => Promise<void>;
}

/** A fresh, migrated, empty database of its own. */
export async function createTestDb(): Promise<TestDb> {
  const { adminUrl, template } = await sharedServer();
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${name}" template "${template}"`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  // Like the worker's pool: activities under load wait for a connection instead of failing.
  const db = createDb(url, { max: 10, connectTimeoutMs: 15_000 });
  return {
    db,
    url,
    close: async () => {
      await db.destroy();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

/** Stops the Postgres this process started (no-op under `npm test`). */
export async function stopTestPostgres(): Promise<void> {
  const s = await server;
  await s?.stop?.();
  server = undefined;
}
