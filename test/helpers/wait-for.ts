/** What `waitFor` polls: a value once it is there; anything falsy (undefined, null, false, 0, '') while it is not. */
export type Probe<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

const POLL_MS = 200;

/**
 * Polls `probe` until it returns a value and returns it; after `timeoutMs` fails naming `what`.
 * For tests against the real stack, where a worker, Slack or Postgres answers in its own time.
 */
export async function waitFor<T>(what: string, probe: Probe<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** `waitFor` with a default timeout, for a test file whose waits share one (each call may still give its own). */
export function waitingUpTo(defaultTimeoutMs: number) {
  return <T>(what: string, probe: Probe<T>, timeoutMs = defaultTimeoutMs): Promise<T> => waitFor(what, probe, timeoutMs);
}

/**
 * `waitFor` for a probe that throws while what it reads is not there yet (a workflow not started, a
 * query before its handler runs): an error counts as not yet, and the last one is named if time runs out.
 */
export async function waitThroughErrors<T>(what: string, probe: Probe<T>, timeoutMs: number): Promise<T> {
  let last: unknown;
  const tolerant = async () => {
    try {
      return await probe();
    } catch (err) {
      last = err;
      return undefined;
    }
  };
  try {
    return await waitFor(what, tolerant, timeoutMs);
  } catch (err) {
    throw last === undefined ? err : new Error(`${(err as Error).message}: ${String(last)}`);
  }
}
