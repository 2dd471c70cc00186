/**
 * A connection the server ends while it is checked out (Postgres shutting down, a backend terminated)
 * between two queries must not crash the process: the next query fails, the pool replaces the connection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createDb } from '../../db/connect';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';

let t: TestDb;
before(async () => { t = await createTestDb(); });
after(async () => { await t?.close(); await stopTestPostgres(); });

test('a checked-out connection terminated by the server fails its next query and leaves the process running', async () => {
  const db = createDb(t.url, 2);
  try {
    const failure = await db.connection().execute(async (conn) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
      // Ended from another session while this one holds the connection and runs nothing.
      await sql`select pg_terminate_backend(${rows[0].pid})`.execute(t.db);
      await new Promise((r) => setTimeout(r, 300));
      return sql`select 1`.execute(conn).then(() => undefined, (err: Error) => err);
    });
    assert.ok(failure instanceof Error, 'the query on the ended connection fails');
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    assert.equal(rows[0].one, 1, 'the pool opens a new connection');
  } finally {
    await db.destroy();
  }
});
