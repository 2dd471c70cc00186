import type { Provider } from './outbox-send';

/** No provider configured: sendOnce renders the message into the outbox (dry_run) and sends nothing. */
export function dryRunProvider(describe: (err: unknown) => string, channel?: string): Provider {
  return {
    dryRun: { channel },
    send: () => Promise.reject(new Error('dry-run sends nothing')),
    isPermanent: () => false,
    describe,
  };
}
