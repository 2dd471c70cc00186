/**
 * Heartbeats for activities that talk to Slack, Gmail or a status page. With a short heartbeat
 * timeout on the proxy, a worker that dies (kill -9, lost host) stops heartbeating and Temporal
 * hands the attempt to another worker within seconds, instead of after the start-to-close timeout.
 *
 * The activity beats on a timer for as long as it runs, so a long wait (a 429's Retry-After, a
 * slow provider) never looks like a dead worker; `progress()` also records where a batch stands,
 * and the next attempt reads it back (`resumedFrom`). The SDK throttles what reaches the server
 * (at most one heartbeat per 80% of the heartbeat timeout), so beating often costs nothing.
 * Outside an activity (unit tests calling the factory directly) every call is a no-op.
 */
import { Context } from '@temporalio/activity';

export interface Heartbeat<D> {
  /** What the previous attempt of this activity last recorded under this run's key (undefined on a first attempt). */
  readonly resumedFrom: D | undefined;
  /** Records where this run stands (sent with every later beat) and beats now. */
  progress(details: D): void;
  /** Waits `ms`, beating meanwhile; rejects with CancelledFailure when the activity is cancelled. */
  sleep(ms: number): Promise<void>;
}

/** Beats this often (never beyond a quarter of the heartbeat timeout). */
const MAX_TICK_MS = 5_000;
const MIN_TICK_MS = 200;

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function tickMs(heartbeatTimeoutMs: number | undefined): number {
  if (!heartbeatTimeoutMs) return MAX_TICK_MS;
  return Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.floor(heartbeatTimeoutMs / 4)));
}

/**
 * One activity execution may serve several runs at once (a batch of CSMs, each with its own
 * mailbox): the heartbeat details are an object with one entry per run key, so runs never
 * overwrite each other's progress, and one timer beats for all of them.
 */
interface Shared { details: Record<string, unknown>; runs: number; timer?: ReturnType<typeof setInterval> }
const shared = new WeakMap<Context, Shared>();

function previousDetails(ctx: Context): Record<string, unknown> {
  const d: unknown = ctx.info.heartbeatDetails;
  return d && typeof d === 'object' && !Array.isArray(d) ? { ...(d as Record<string, unknown>) } : {};
}

function sharedOf(ctx: Context): Shared {
  let s = shared.get(ctx);
  if (!s) {
    s = { details: previousDetails(ctx), runs: 0 };
    shared.set(ctx, s);
  }
  return s;
}

/**
 * Beats now with every run's progress. Activities that call other heartbeating code (batches)
 * beat through this, never with details of their own, which would replace the runs' progress.
 */
export function beat(): void {
  const ctx = currentContext();
  if (ctx) ctx.heartbeat(sharedOf(ctx).details);
}

/**
 * Runs `work` while heartbeating on a timer. `key` names this run's progress in the heartbeat
 * details (e.g. the outbox key prefix of one CSM's emails); runs without progress need none.
 */
export async function withHeartbeat<T, D = undefined>(work: (hb: Heartbeat<D>) => Promise<T>, key?: string): Promise<T> {
  const ctx = currentContext();
  const s = ctx ? sharedOf(ctx) : undefined;
  const hb: Heartbeat<D> = {
    resumedFrom: key && s ? s.details[key] as D | undefined : undefined,
    progress(details) {
      if (!ctx || !s || !key) return;
      s.details[key] = details;
      ctx.heartbeat(s.details);
    },
    sleep(ms) {
      if (ctx) return ctx.sleep(ms);
      return new Promise((resolve) => setTimeout(resolve, ms));
    },
  };
  if (ctx && s) {
    s.runs += 1;
    s.timer ??= setInterval(() => ctx.heartbeat(s.details), tickMs(ctx.info.heartbeatTimeoutMs));
    ctx.heartbeat(s.details);
  }
  try {
    return await work(hb);
  } finally {
    if (s) {
      s.runs -= 1;
      if (s.runs === 0 && s.timer) {
        clearInterval(s.timer);
        s.timer = undefined;
      }
    }
  }
}

/**
 * Every activity beats on a timer while it runs (the factory wraps them all): with a heartbeat
 * timeout on the proxy, a killed worker's Postgres write or analysis moves to another worker within
 * seconds too, not after its start-to-close timeout. Activities that record progress still do so
 * through `withHeartbeat(work, key)`; the two share one timer.
 */
export function withHeartbeats<T extends object>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = typeof fn === 'function'
      ? (...args: unknown[]) => withHeartbeat(() => (fn as (...a: unknown[]) => Promise<unknown>)(...args))
      : fn;
  }
  return wrapped as T;
}
