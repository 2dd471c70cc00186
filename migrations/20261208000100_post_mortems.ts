import type { Kysely } from 'kysely';

/**
 * An incident's post-mortem link (from Statuspage's published post-mortem, or set by a person through
 * the API, the dashboard or Slack), who set it and when, and the incident's owner at the source (asked
 * for the post-mortem when it is missing).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('product_incidents')
    .addColumn('post_mortem_url', 'text')
    .addColumn('post_mortem_set_by', 'text')
    .addColumn('post_mortem_set_at', 'timestamptz')
    .addColumn('owner_email', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('product_incidents')
    .dropColumn('post_mortem_url').dropColumn('post_mortem_set_by').dropColumn('post_mortem_set_at').dropColumn('owner_email')
    .execute();
}
