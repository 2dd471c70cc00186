import { sql, type Kysely } from 'kysely';

/**
 * The incident lifecycle by hand: an incident can end `dismissed` (a suspected incident closed as a
 * false alarm, by a person or after its quiet period), and `suspected` marks an incident the
 * support-spike detector opened that nobody has confirmed yet (the dashboard offers "Dismiss" on those).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table product_incidents drop constraint if exists product_incidents_status_check`.execute(db);
  await sql`alter table product_incidents add constraint product_incidents_status_check
    check (status in ('investigating','identified','monitoring','resolved','dismissed'))`.execute(db);
  await db.schema.alterTable('product_incidents')
    .addColumn('suspected', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('product_incidents').dropColumn('suspected').execute();
  await sql`update product_incidents set status = 'resolved' where status = 'dismissed'`.execute(db);
  await sql`alter table product_incidents drop constraint if exists product_incidents_status_check`.execute(db);
  await sql`alter table product_incidents add constraint product_incidents_status_check
    check (status in ('investigating','identified','monitoring','resolved'))`.execute(db);
}
