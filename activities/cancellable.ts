import { Context } from '@temporalio/activity';

/**
 * Lets a slow provider call give way when the activity is cancelled, notably when the worker
 * shuts down: the attempt then fails at once and Temporal retries it on another worker (the
 * outbox makes sure that retry does not send a second copy), instead of waiting for the
 * start-to-close timeout. Outside an activity (unit tests) the call runs as is.
 */
export function cancellable<T>(call: Promise<T>): Promise<T> {
  let cancelled: Promise<never>;
  try {
    cancelled = Context.current().cancelled;
  } catch {
    return call;
  }
  return Promise.race([call, cancelled]);
}
