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
