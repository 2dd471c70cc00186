/** The incidents page: open incidents and recently resolved ones, with what an empty page needs. */
import { sql, type Kysely } from 'kysely';
import { CLOSED_STATUS_LIST } from '../incident-queries';
import type { Database } from '../types';
import { incidentColumns, outreachLateral, toSummary, type IncidentRow, type IncidentSummary } from './incident-summary';

export interface IncidentsOverview {
  incidents: IncidentSummary[];
  /** So an empty page can tell a new user what to do first. */
  counts: { customers: number; csms: number; openIncidents: number };
}

/**
 * Open incidents (most severe, then newest first), then incidents resolved (or merged into another) within
 * `resolvedDays` (most recent first).
 */
export async function listIncidentsOverview(db: Kysely<Database>, opts: { resolvedDays: number; limit: number }): Promise<IncidentsOverview> {
  const rows = await sql<IncidentRow>`
    select ${incidentColumns}
    from product_incidents i ${outreachLateral}
    where (i.status not in ${CLOSED_STATUS_LIST} and i.merged_into is null)
      or coalesce(i.merged_at, i.resolved_at, i.updated_at) > now() - make_interval(days => ${opts.resolvedDays})
    order by (i.status in ${CLOSED_STATUS_LIST} or i.merged_into is not null),
      case when i.status not in ${CLOSED_STATUS_LIST} then i.severity end, coalesce(i.merged_at, i.resolved_at, i.started_at) desc, i.id
    limit ${opts.limit}`.execute(db);
  const counts = await sql<{ customers: number; csms: number; open_incidents: number }>`
    select (select count(*) from customers)::int as customers, (select count(*) from csms)::int as csms,
           (select count(*) from product_incidents where status not in ${CLOSED_STATUS_LIST} and merged_into is null)::int as open_incidents`.execute(db);
  const c = counts.rows[0]!;
  return { incidents: rows.rows.map(toSummary), counts: { customers: c.customers, csms: c.csms, openIncidents: c.open_incidents } };
}
