import { sql, type Kysely } from 'kysely';

/**
 * Storm digests (db/alert-digests.ts): when a CSM would get more than ALERT_DIGEST_THRESHOLD alerts
 * within ALERT_DIGEST_WINDOW_SECONDS, further alerts are folded into one digest DM. An alert's outbox
 * row names the digest it joined (`digest_key`); the digest's own Slack message is the outbox row with
 * the same key. `version` counts joins and `shown_version` what the Slack message shows, so whoever
 * holds the lease (`lease_owner` until `lease_until`) renders until both agree.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('alert_digests')
    .addColumn('idempotency_key', 'text', (c) => c.primaryKey())
    .addColumn('csm_email', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_joined_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('shown_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'timestamptz')
    .addColumn('channel', 'text')
    .addColumn('ts', 'text')
    .execute();
  await db.schema.createIndex('alert_digests_csm_idx').on('alert_digests').columns(['csm_email', 'last_joined_at']).execute();
  await db.schema.createIndex('alert_digests_message_idx').on('alert_digests').columns(['channel', 'ts']).execute();

  await db.schema.alterTable('notifications').addColumn('digest_key', 'text').execute();
  await db.schema.createIndex('notifications_digest_idx').on('notifications').column('digest_key')
    .where(sql.ref('digest_key'), 'is not', null).execute();
  // The per-CSM count of recent top-level alerts that decides whether the next one joins a digest.
  await db.schema.createIndex('notifications_recent_alerts_idx').on('notifications')
    .expression(sql`lower(recipient), created_at`)
    .where(sql<boolean>`kind = 'alert' and channel = 'slack' and digest_key is null`).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('notifications_recent_alerts_idx').execute();
  await db.schema.dropIndex('notifications_digest_idx').execute();
  await db.schema.alterTable('notifications').dropColumn('digest_key').execute();
  await db.schema.dropTable('alert_digests').execute();
}
