import { sql, type Kysely } from 'kysely';

/**
 * The audit log is filtered by an actor's id, name or email: the email gets a column of its own
 * (it was only inside "Name <email>"), and name and email get indexes, so the filter does not read
 * the whole log.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('actor_email', 'text').execute();
  await sql`update audit_log set actor_email = substring(actor_name from '<([^<>]+)>$') where actor_name like '%>'`.execute(db);
  await db.schema.createIndex('audit_log_actor_name_idx').on('audit_log').columns(['actor_name', 'id']).execute();
  await sql`create index audit_log_actor_email_idx on audit_log (lower(actor_email), id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_log_actor_email_idx').execute();
  await db.schema.dropIndex('audit_log_actor_name_idx').execute();
  await db.schema.alterTable('audit_log').dropColumn('actor_email').execute();
}
