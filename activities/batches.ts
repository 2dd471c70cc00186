/**
 * Batched messaging and email activities: one activity a batch of CSMs keeps the incident's
 * history small at hundreds of CSMs, while each CSM's message or email run stays the unit of
 * idempotency (its outbox keys). Several CSMs are served at a time; the activity heartbeats after
 * each, so a killed worker's batch is retried elsewhere within the heartbeat timeout and the retry
 * answers 'duplicate' for what was already done.
 */
import type { EmailBatchResult } from '../domain/incident/model';
import { classifyActivityError, isIncidentDataError } from './data-errors';
import { beat } from './heartbeat';
import type { IncidentActivities, NotifyResult } from './types';

/** Slack DMs in flight at once per batch (each DM is its own channel, so Slack's per-channel limit allows it). */
const MESSAGES_AT_ONCE = 10;
/** Mailboxes served at once per batch (Gmail's quota is per mailbox). */
const MAILBOXES_AT_ONCE = 4;

/** Runs `fn` over `items`, `limit` at a time; results in the order of `items`. Every item runs even when one throws. */
async function eachLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]!) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
      // Through the shared details: each CSM's own resume point (heartbeat.ts) is kept.
      beat();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * Postgres refusing one CSM's data (an IncidentDataError: the same on every attempt) is that CSM's
 * result (`dataError`), like a permanent provider error, so the others' results stand; the first
 * transient failure fails the attempt, once every other CSM has been served.
 */
function valuesOrThrow<R>(settled: PromiseSettledResult<R>[], what: string, refused: (message: string) => R, activity: string): R[] {
  const values = settled.map((r) => {
    if (r.status === 'fulfilled') return r;
    const classified = classifyActivityError(activity, r.reason);
    return isIncidentDataError(classified) ? { status: 'fulfilled' as const, value: refused((classified as Error).message) } : r;
  });
  const failures = values.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length) {
    const first = failures[0]!.reason as Error;
    // Keep a cancellation a cancellation (worker shutdown): Temporal hands the batch to another worker.
    if (first?.name === 'CancelledFailure') throw first;
    throw new Error(`${failures.length} ${what} hit a temporary error: ${first?.message ?? String(first)}`, { cause: first });
  }
  return values.map((r) => (r as PromiseFulfilledResult<R>).value);
}

type Singles = Pick<IncidentActivities, 'sendCsmMessage' | 'prepareCustomerEmails'>;

export function createBatchActivities(singles: Singles): Pick<IncidentActivities, 'sendCsmMessages' | 'prepareEmailsForCsms'> {
  return {
    async sendCsmMessages({ recipients, ...message }): Promise<NotifyResult[]> {
      const settled = await eachLimited(recipients, MESSAGES_AT_ONCE, (r) => singles.sendCsmMessage({
        ...message, csmEmail: r.csmEmail, idempotencyKey: r.idempotencyKey, thread: r.thread,
      }));
      return valuesOrThrow(settled, 'CSM message(s)',
        (dataError): NotifyResult => ({ status: 'failed', error: dataError, dataError, sentAt: new Date().toISOString() }), 'sendCsmMessage');
    },

    async prepareEmailsForCsms({ csms, ...run }): Promise<(EmailBatchResult & { error?: string; dataError?: string })[]> {
      const settled = await eachLimited(csms, MAILBOXES_AT_ONCE, (c) => singles.prepareCustomerEmails({
        ...run, csmEmail: c.csmEmail, idempotencyPrefix: c.idempotencyPrefix,
      }));
      return valuesOrThrow(settled, 'mailbox(es)', (dataError) => ({ done: 0, failed: 0, error: dataError, dataError }), 'prepareCustomerEmails');
    },
  };
}
