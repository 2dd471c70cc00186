/**
 * The dependency probes behind both /health endpoints (API and worker): Postgres and Temporal, each
 * reported on its own and each given a bounded time, so a stopped or frozen dependency makes the
 * answer say so within a second instead of hanging it.
 */
import { sql, type Kysely } from 'kysely';
import type { Client } from '@temporalio/client';
import type { Database } from './types';

export type DependencyState = 'ok' | 'unreachable';

export interface DependencyHealth {
  status: 'ok' | 'degraded';
  database: DependencyState;
  temporal: DependencyState;
}

/** Each probe's share of the 1-second answer. */
export const PROBE_TIMEOUT_MS = 800;

async function within(probe: () => Promise<unknown>, ms: number, track?: (call: Promise<unknown>) => void): Promise<DependencyState> {
  let timer: NodeJS.Timeout | undefined;
  const call = probe().then((): DependencyState => 'ok', (): DependencyState => 'unreachable');
  const late = new Promise<DependencyState>((resolve) => {
    timer = setTimeout(() => { track?.(call); resolve('unreachable'); }, ms);
  });
  try {
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Both probes at once; `degraded` when either dependency is unreachable. */
export async function probeDependencies(deps: {
  db: Kysely<Database>;
  temporal: Pick<Client, 'connection' | 'workflowService'>;
  timeoutMs?: number;
  /** Receives a probe given up at its timeout but still settling, so a server can wait for it before closing. */
  track?: (call: Promise<unknown>) => void;
}): Promise<DependencyHealth> {
  const ms = deps.timeoutMs ?? PROBE_TIMEOUT_MS;
  const [database, temporal] = await Promise.all([
    within(() => sql`select 1`.execute(deps.db), ms, deps.track),
    // The abort signal also stops the client's own retries of an unreachable server.
    within(() => deps.temporal.connection.withAbortSignal(AbortSignal.timeout(ms),
      () => deps.temporal.connection.withDeadline(Date.now() + ms, () => deps.temporal.workflowService.getSystemInfo({}))), ms, deps.track),
  ]);
  return { status: database === 'ok' && temporal === 'ok' ? 'ok' : 'degraded', database, temporal };
}
