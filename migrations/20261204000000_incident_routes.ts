import { sql, type Kysely } from 'kysely';

/**
 * Correlation (db/incident-routing.ts): every source incident Forewarn has heard of, and the Forewarn
 * incident (workflow) it feeds. Written at ingest under per-component advisory locks, so two sources
 * arriving in the same second for one component end in one incident. `refs` holds the source's own
 * reference (`<source>:<external id>`) and the references it names (a Statuspage incident linked from an
 * Opsgenie alert); two sources sharing one are the same outage. A merged incident keeps its row in
 * product_incidents with `merged_into` naming the incident that absorbed it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('incident_routes')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('investigating'))
    .addColumn('suspected', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('components', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('refs', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('how', 'text', (c) => c.notNull())
    .addColumn('last_activity_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('incident_routes_pkey', ['source', 'external_id'])
    .execute();
  await db.schema.createIndex('incident_routes_workflow_idx').on('incident_routes').column('workflow_id').execute();
  await sql`create index incident_routes_components_idx on incident_routes using gin (components)`.execute(db);
  await sql`create index incident_routes_refs_idx on incident_routes using gin (refs)`.execute(db);

  await db.schema.alterTable('product_incidents')
    .addColumn('merged_into', 'text')
    .addColumn('merged_at', 'timestamptz')
    .addColumn('linked_sources', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('product_incidents').dropColumn('linked_sources').dropColumn('merged_at').dropColumn('merged_into').execute();
  await db.schema.dropTable('incident_routes').execute();
}
