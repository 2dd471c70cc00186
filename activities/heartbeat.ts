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
  /** What the previous attempt of this activity last recorded (undefined on a first attempt). */
  readonly resumedFrom: D | undefined;
  /** Records where the work stands (sent with every later beat) and beats now. */
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

/** Runs `work` while heartbeating on a timer; `work` may record progress through the handle. */
export async function withHeartbeat<T, D = undefined>(work: (hb: Heartbeat<D>) => Promise<T>): Promise<T> {
  const ctx = currentContext();
  let details: D | undefined = ctx?.info.heartbeatDetails as D | undefined;
  const beat = () => ctx?.heartbeat(details);
  const timer = ctx ? setInterval(beat, tickMs(ctx.info.heartbeatTimeoutMs)) : undefined;
  const hb: Heartbeat<D> = {
    resumedFrom: details,
    progress(next) {
      details = next;
      beat();
    },
    sleep(ms) {
      if (ctx) return ctx.sleep(ms);
      return new Promise((resolve) => setTimeout(resolve, ms));
    },
  };
  beat();
  try {
    return await work(hb);
  } finally {
    clearInterval(timer);
  }
}
