/**
 * The one protocol by which Forewarn sends a notification (Slack message, Gmail draft or email):
 *
 *   claim the outbox row (keyed by the idempotency key) → a row already delivered answers
 *   'duplicate' → dry-run: mark it dry_run → an earlier attempt that counted a send may have gone
 *   out: look for its copy at the provider → count the attempt → send → mark it delivered.
 *
 * A permanent provider error marks the row failed and answers 'failed' (never thrown: one
 * recipient must not hold up the others); anything else (network, 5xx, cancellation) is noted on
 * the row, which stays pending, and thrown for Temporal to retry the activity.
 */
import { CancelledFailure } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import {
  claimOutbox, findOutbox, isDelivered, markDelivered, markFailed, noteAttempt, noteTransientError, type OutboxEntry,
} from '../db/outbox';
import type { Database, NotificationRow } from '../db/types';
import { warn } from './activity-context';

/** What the provider answered for a message it holds. */
export interface Delivery { status: 'sent' | 'drafted'; ref?: string; channel?: string }

export interface SendOutcome {
  status: 'sent' | 'drafted' | 'dry_run' | 'duplicate' | 'failed';
  ref?: string;
  channel?: string;
  /** When it was delivered (for a duplicate: the first delivery), or when it failed. */
  at: Date;
  error?: string;
}

export interface Provider {
  /** No provider configured: the message is rendered into the outbox and nothing is sent. */
  dryRun?: { channel?: string } | false;
  /** An earlier attempt counted a send for this row and may have reached the provider: its copy, if any. */
  findEarlier?(row: NotificationRow): Promise<Delivery | undefined>;
  send(row: NotificationRow): Promise<Delivery>;
  /** Trying the same request again cannot succeed (unknown user, refused address...). */
  isPermanent(err: unknown): boolean;
  describe(err: unknown): string;
}

export function isDeliveredOutcome(o: Pick<SendOutcome, 'status'>): boolean {
  return o.status !== 'failed';
}

/** A delivered row as the answer to a repeated request. */
export function duplicateOf(row: NotificationRow): SendOutcome {
  return {
    status: 'duplicate', ref: row.provider_ref ?? undefined, channel: row.provider_channel ?? undefined,
    at: row.sent_at ?? row.created_at,
  };
}

/** 'duplicate' when the key was delivered already: lets a caller skip loading and rendering. */
export async function findDelivered(db: Kysely<Database>, idempotencyKey: string): Promise<SendOutcome | undefined> {
  const row = await findOutbox(db, idempotencyKey);
  return row && isDelivered(row) ? duplicateOf(row) : undefined;
}

/** Records a failure decided before any send (no address, no manager...): the row says why. */
export async function failOnce(db: Kysely<Database>, entry: OutboxEntry, error: string): Promise<SendOutcome> {
  const row = await claimOutbox(db, entry);
  if (isDelivered(row)) return duplicateOf(row);
  await markFailed(db, entry.idempotencyKey, error);
  warn('notification not delivered', { idempotencyKey: entry.idempotencyKey, channel: entry.channel, recipient: entry.recipient, error });
  return { status: 'failed', error, at: new Date() };
}

/** Notes a transient error on a claimed row (it stays pending) and rethrows it. */
export async function noteAndRethrow(db: Kysely<Database>, idempotencyKey: string, err: unknown, describe: (err: unknown) => string): Promise<never> {
  const why = err instanceof CancelledFailure ? `cancelled (${err.message || 'worker shutdown'})` : describe(err);
  await noteTransientError(db, idempotencyKey, why);
  throw err;
}

/** Sends `entry` at most once for its key (see the protocol above). */
export async function sendOnce(db: Kysely<Database>, entry: OutboxEntry, provider: Provider): Promise<SendOutcome> {
  const key = entry.idempotencyKey;
  const row = await claimOutbox(db, entry);
  if (isDelivered(row)) return duplicateOf(row);
  if (provider.dryRun) {
    const at = new Date();
    await markDelivered(db, key, { status: 'dry_run', channel: provider.dryRun.channel, at });
    return { status: 'dry_run', channel: provider.dryRun.channel, at };
  }
  try {
    let delivery = row.attempts > 0 && provider.findEarlier ? await provider.findEarlier(row) : undefined;
    if (!delivery) {
      await noteAttempt(db, key);
      delivery = await provider.send(row);
    }
    const at = new Date();
    await markDelivered(db, key, { status: delivery.status, ref: delivery.ref, channel: delivery.channel, at });
    return { status: delivery.status, ref: delivery.ref, channel: delivery.channel, at };
  } catch (err) {
    if (err instanceof CancelledFailure || !provider.isPermanent(err)) return noteAndRethrow(db, key, err, provider.describe);
    const error = provider.describe(err);
    await markFailed(db, key, error);
    warn('notification not delivered', { idempotencyKey: key, channel: entry.channel, recipient: entry.recipient, error });
    return { status: 'failed', error, at: new Date() };
  }
}
