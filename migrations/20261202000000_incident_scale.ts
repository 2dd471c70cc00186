import { sql, type Kysely } from 'kysely';

/**
 * Incidents of any size: the per-customer list lives only in incident_customer_impact, so it
 * carries what the workflow used to hold per customer, and activities read their own slice.
 * Frozen once landed: change the schema with a new, later migration.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('incident_customer_impact')
    // The analysis revision that found the customer affected (again) / no longer affected:
    // an update message lists exactly the customers that revision changed for its CSM.
    .addColumn('affected_revision', 'integer')
    .addColumn('unaffected_revision', 'integer')
    // Why the last automatic email for this customer failed (no contact, invalid address...);
    // automatic drafts skip such customers, the "Draft Customer Emails" button tries again.
    .addColumn('outreach_error', 'text')
    .execute();
  // Alert slices ("top N customers of this CSM by priority") and batched email runs.
  await db.schema.createIndex('incident_customer_impact_rank_idx').on('incident_customer_impact')
    .columns(['incident_id', 'priority_rank']).execute();
  await sql`analyze incident_customer_impact`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('incident_customer_impact_rank_idx').ifExists().execute();
  await db.schema.alterTable('incident_customer_impact')
    .dropColumn('affected_revision').dropColumn('unaffected_revision').dropColumn('outreach_error').execute();
}
