import { sql, type Kysely } from 'kysely';

/**
 * Deliveries are claimed before they are forwarded ('forwarding' with the claim time), so one delivery
 * id signals its workflow at most once even when it is in flight twice; a stale claim is taken over.
 * The status-page sync looks deliveries up by Statuspage incident id (`split_part(delivery_id, '@', 1)`):
 * an expression index keeps that lookup off a scan of every delivery.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_deliveries').addColumn('claimed_at', 'timestamptz').execute();
  await sql`create index webhook_deliveries_statuspage_incident_idx on webhook_deliveries (source, (split_part(delivery_id, '@', 1)))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_statuspage_incident_idx').ifExists().execute();
  await db.schema.alterTable('webhook_deliveries').dropColumn('claimed_at').execute();
}
