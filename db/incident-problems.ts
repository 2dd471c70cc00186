/**
 * What the incident workflow could not process, on the incident row (migrations/…_incident_problems.ts),
 * and the count of incidents carrying such a problem (the /metrics gauge).
 */
import { sql, type Kysely } from 'kysely';
import type { IncidentProblem } from '../domain/incident/model';
import { storableText, storableValue } from '../domain/text';
import type { Incident } from '../domain/types';
import { ensureIncident } from './incident-writes';
import { CLOSED_STATUS_LIST } from './incident-queries';
import type { Database } from './types';

export interface IncidentProblemView { at: string; step: string; message: string; count: number }

/**
 * Sets the incident's last problem when `count` is newer than the one stored (a retry, or a write
 * overtaken by a later problem, changes nothing). Every text is made storable first: the problem is
 * usually about text Postgres refused. An incident whose row could not be written yet (its very
 * first write was refused) gets one, from the incident made storable; if even that is refused, the
 * problem goes on whatever row the workflow has.
 */
export async function recordIncidentProblem(db: Kysely<Database>, input: { incident: Incident; problem: IncidentProblem; count: number }): Promise<void> {
  const incident = storableValue(input.incident);
  let id: string | undefined;
  try {
    id = await ensureIncident(db, incident);
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (typeof code !== 'string' || !/^2[23]/.test(code)) throw err;
  }
  const at = Number.isNaN(Date.parse(input.problem.at)) ? new Date() : new Date(input.problem.at);
  await db.updateTable('product_incidents')
    .set({
      last_problem: storableText(input.problem.message),
      last_problem_step: storableText(input.problem.step),
      last_problem_at: at,
      problem_count: input.count,
      updated_at: sql`now()`,
    })
    .where((eb) => (id ? eb('id', '=', id) : eb('workflow_id', '=', incident.workflowId)))
    .where('problem_count', '<', input.count)
    .execute();
}

/** Incidents whose workflow recorded a data problem, open (not resolved) and resolved, and their problems in all. */
export async function countIncidentProblems(db: Kysely<Database>): Promise<{ open: number; resolved: number; problems: number }> {
  const row = await db.selectFrom('product_incidents')
    .select([
      sql<string>`count(*) filter (where status not in ${CLOSED_STATUS_LIST})`.as('open'),
      sql<string>`count(*) filter (where status in ${CLOSED_STATUS_LIST})`.as('resolved'),
      sql<string>`coalesce(sum(problem_count), 0)`.as('problems'),
    ])
    .where('problem_count', '>', 0)
    .executeTakeFirstOrThrow();
  return { open: Number(row.open), resolved: Number(row.resolved), problems: Number(row.problems) };
}

/** The last problem as the API and the dashboard show it (null: none). */
export function problemView(r: { last_problem: string | null; last_problem_step: string | null; last_problem_at: Date | string | null; problem_count: number }): IncidentProblemView | null {
  if (!r.problem_count || r.last_problem === null) return null;
  return {
    at: r.last_problem_at === null ? '' : new Date(r.last_problem_at).toISOString(),
    step: r.last_problem_step ?? '',
    message: r.last_problem,
    count: r.problem_count,
  };
}
