import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseTimeouts } from '../config';
import type { Database } from './types';

export interface DbOptions extends Partial<DatabaseTimeouts> {
  max?: number;
}

/** Used when a caller passes none: a stopped or frozen Postgres fails a query instead of hanging it. */
export const DEFAULT_DB_TIMEOUTS: DatabaseTimeouts = { connectTimeoutMs: 2000, statementTimeoutMs: 30_000, queryTimeoutMs: 35_000 };

// Return numeric/bigint as strings (kysely types say so) but timestamps as Date.
export function createDb(connectionString: string, options: number | DbOptions = {}): Kysely<Database> {
  const opts: DbOptions = typeof options === 'number' ? { max: options } : options;
  const t = { ...DEFAULT_DB_TIMEOUTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as DatabaseTimeouts;
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    connectionTimeoutMillis: t.connectTimeoutMs,
    statement_timeout: t.statementTimeoutMs,
    query_timeout: t.queryTimeoutMs,
    // A transaction left open by a crashed request must not hold its locks for ever.
    idle_in_transaction_session_timeout: Math.max(t.statementTimeoutMs, 60_000),
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process:
  // the pool discards it and the next query opens a new one.
  pool.on('error', (err) => console.warn(`Postgres connection lost: ${err.message}`));
  // The pool listens only while a connection is idle. One checked out between two queries (inside a
  // transaction, or acquired and not yet used) that the server ends (shutdown: 57P01) emits 'error' on
  // the client itself, which with no listener would crash the process; its next query fails instead.
  pool.on('connect', (client) => {
    client.on('error', (err) => console.warn(`Postgres connection lost while in use: ${err.message}`));
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Connection-level failures (Postgres stopped, frozen, restarting, out of connections), as opposed to a bad query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
    // 08: connection exception; 53300: too many connections; 57P01-03: shutting down or starting up;
    // 57014: query cancelled (statement_timeout).
    if (/^08/.test(code) || ['53300', '57P01', '57P02', '57P03', '57014'].includes(code)) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (/Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection timeout|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(message)) {
      return true;
    }
  }
  return false;
}
