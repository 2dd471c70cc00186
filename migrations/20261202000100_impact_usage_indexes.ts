import { sql, type Kysely } from 'kysely';

/**
 * Impact analysis in SQL (db/impact-analysis.ts) asks two things of customer_usage for every
 * customer using an affected component, and the primary key (customer_id, component_id, hour)
 * answers neither cheaply at 100k customers (docs/impact.md, bench/README.md):
 * - requests during the incident window, per component: one range per affected component in a
 *   covering index read without visiting the table, instead of one probe per customer;
 * - whether usage is tracked at all for a (customer, component): a probe of an index with one
 *   deduplicated entry list per pair — about a tenth of the primary key's size, so it stays in
 *   memory — instead of the primary key, whose random probes miss the cache.
 * Frozen once landed: change the schema with a new, later migration.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index customer_usage_window_idx on customer_usage (component_id, hour) include (customer_id, request_count)`.execute(db);
  await db.schema.createIndex('customer_usage_pair_idx').on('customer_usage').columns(['customer_id', 'component_id']).execute();
  await sql`analyze customer_usage`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('customer_usage_pair_idx').ifExists().execute();
  await db.schema.dropIndex('customer_usage_window_idx').ifExists().execute();
}
