/**
 * The notifications outbox: a row per message, keyed by its idempotency key, written BEFORE the
 * message is sent. A retried activity finds the row and does not send a second copy.
 *
 * status: pending (claimed, not confirmed sent) → sent | drafted | dry_run | failed.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, NotificationRow } from './types';

export const DELIVERED_STATUSES = ['sent', 'drafted', 'dry_run'] as const;

export function isDelivered(row: Pick<NotificationRow, 'status'>): boolean {
  return (DELIVERED_STATUSES as readonly string[]).includes(row.status);
}

export interface OutboxEntry {
  idempotencyKey: string;
  /** product_incidents.id; stored only when that incident row exists. */
  incidentId?: string;
  channel: 'slack' | 'email';
  recipient: string;
  kind: string;
  payload: unknown;
  /** An alert folded into a storm digest (db/alert-digests.ts): the digest's key. */
  digestKey?: string;
  /** The approved template version the message was rendered from (domain/messages/templates.ts templateUsed). */
  template?: { key: string; version: number } | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findOutbox(db: Kysely<Database>, idempotencyKey: string): Promise<NotificationRow | undefined> {
  return db.selectFrom('notifications').selectAll().where('idempotency_key', '=', idempotencyKey).executeTakeFirst();
}

/**
 * Inserts the row (status pending) unless it exists; returns the row either way. A row that is
 * still pending or failed gets the latest rendering, so what is finally sent is what is stored.
 */
export async function claimOutbox(db: Kysely<Database>, entry: OutboxEntry): Promise<NotificationRow> {
  const incidentId = entry.incidentId && UUID.test(entry.incidentId)
    ? sql<string | null>`(select id from product_incidents where id = ${entry.incidentId}::uuid)`
    : null;
  const payload = JSON.stringify(entry.payload);
  const template = { template_key: entry.template?.key ?? null, template_version: entry.template?.version ?? null };
  const inserted = await db.insertInto('notifications')
    .values({
      idempotency_key: entry.idempotencyKey, incident_id: incidentId, channel: entry.channel,
      recipient: entry.recipient, kind: entry.kind, payload, status: 'pending', digest_key: entry.digestKey ?? null, ...template,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  const updated = await db.updateTable('notifications')
    .set({ payload, recipient: entry.recipient, ...template })
    .where('idempotency_key', '=', entry.idempotencyKey)
    .where('status', 'in', ['pending', 'failed'])
    .returningAll()
    .executeTakeFirst();
  return updated ?? (await findOutbox(db, entry.idempotencyKey))!;
}

/** Counts a send attempt just before calling the provider; > 1 means an earlier attempt may have gone out. */
export async function noteAttempt(db: Kysely<Database>, idempotencyKey: string): Promise<number> {
  const row = await db.updateTable('notifications')
    .set({ attempts: sql`attempts + 1`, status: 'pending', error: null })
    .where('idempotency_key', '=', idempotencyKey)
    .returning('attempts')
    .executeTakeFirstOrThrow();
  return row.attempts;
}

export async function markDelivered(
  db: Kysely<Database>, idempotencyKey: string,
  result: { status: 'sent' | 'drafted' | 'dry_run'; ref?: string; channel?: string; at?: Date },
): Promise<void> {
  await db.updateTable('notifications')
    .set({
      status: result.status, provider_ref: result.ref ?? null, provider_channel: result.channel ?? null,
      error: null, sent_at: result.at ?? new Date(),
    })
    .where('idempotency_key', '=', idempotencyKey)
    .execute();
}

/** A permanent failure: nothing was sent and retrying the same request cannot help. */
export async function markFailed(db: Kysely<Database>, idempotencyKey: string, error: string): Promise<void> {
  await db.updateTable('notifications')
    .set({ status: 'failed', error })
    .where('idempotency_key', '=', idempotencyKey)
    .where('status', 'not in', [...DELIVERED_STATUSES])
    .execute();
}

/** A transient failure: the row stays pending (the activity is retried), the error is kept for operators. */
export async function noteTransientError(db: Kysely<Database>, idempotencyKey: string, error: string): Promise<void> {
  await db.updateTable('notifications')
    .set({ error })
    .where('idempotency_key', '=', idempotencyKey)
    .where('status', '=', 'pending')
    .execute();
}

/** The delivered rows among `keys` (one query for a page of customers), by key. */
export async function findDeliveredMany(db: Kysely<Database>, keys: string[]): Promise<Map<string, NotificationRow>> {
  if (keys.length === 0) return new Map();
  const rows = await db.selectFrom('notifications').selectAll()
    .where('idempotency_key', 'in', keys)
    .where('status', 'in', [...DELIVERED_STATUSES])
    .execute();
  return new Map(rows.map((r) => [r.idempotency_key, r]));
}
