import { sql, type Kysely } from 'kysely';

/**
 * The success metrics Forewarn measures itself:
 * - support_tickets: every ticket the support webhook receives, with its customer and when it was
 *   opened, so escalations from affected customers during an incident can be counted (before and
 *   after their CSM's first contact);
 * - csat_ratings: one rating (1–5) per customer and incident from the resolution email's signed
 *   link; the unique pair is what makes a link single-use.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('support_tickets')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('ticket_id', 'text', (c) => c.notNull().unique())
    .addColumn('customer_external_id', 'text', (c) => c.notNull())
    // Resolved when the ticket arrives; null for a customer Forewarn does not know (yet).
    .addColumn('customer_id', 'uuid', (c) => c.references('customers.id').onDelete('set null'))
    .addColumn('subject', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    // The helpdesk's own creation time: when the customer escalated.
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('support_tickets_customer_opened_idx').on('support_tickets').columns(['customer_id', 'opened_at']).execute();

  await db.schema
    .createTable('csat_ratings')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('product_incidents.id').onDelete('cascade'))
    .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('rating', 'smallint', (c) => c.notNull().check(sql`rating between 1 and 5`))
    .addColumn('rated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('csat_ratings_incident_customer_key', ['incident_id', 'customer_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('csat_ratings').execute();
  await db.schema.dropTable('support_tickets').execute();
}
