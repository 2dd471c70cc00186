import { type Kysely } from 'kysely';

/**
 * What the incident workflow could not process (Postgres refused the data: workflows/incident-problems.ts),
 * on the incident itself, so the API, the dashboard and the /metrics gauge show it. `problem_count` is
 * the workflow's own count, which makes a retried write a no-op.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('product_incidents')
    .addColumn('last_problem', 'text')
    .addColumn('last_problem_step', 'text')
    .addColumn('last_problem_at', 'timestamptz')
    .addColumn('problem_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('product_incidents')
    .dropColumn('problem_count')
    .dropColumn('last_problem_at')
    .dropColumn('last_problem_step')
    .dropColumn('last_problem')
    .execute();
}
