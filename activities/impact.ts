import { ApplicationFailure } from '@temporalio/activity';
import type { Incident } from '../domain/types';
import { assessImpact, readAffectedCustomers, refreshBusinessImpact } from '../db/impact-analysis';
import { ensureIncident } from '../db/incident-writes';
import type { Database } from '../db/types';
import type { Kysely } from 'kysely';
import type { ActivityDeps } from './index';
import type { IncidentActivities } from './types';

/**
 * Impact analysis, set-based in Postgres (db/impact-analysis.ts): scoring, ranking, the writes to
 * incident_customer_impact and the per-CSM aggregates in one statement, after making sure the
 * incident row exists. Safe to re-run at any time: the same incident and data give the same rows,
 * and the CSMs' outreach progress is never touched.
 */
export function createImpactActivities(deps: Pick<ActivityDeps, 'db'>): Pick<IncidentActivities, 'assessImpact' | 'refreshBusinessImpact' | 'analyzeImpact'> {
  return {
    async assessImpact({ incident, now, revision }) {
      await ensureIncidentRow(deps.db, incident);
      const { totals, csms } = await assessImpact(deps.db, { incident, now, revision });
      return { totals, csms };
    },

    async refreshBusinessImpact({ incident, now }) {
      return refreshBusinessImpact(deps.db, { incident, now });
    },

    // Incidents started on the v1 workflow (workflows/incident-v1/) carry every affected customer:
    // the same analysis (revision 0), then the affected rows read back in priority order.
    async analyzeImpact({ incident, now }) {
      await ensureIncidentRow(deps.db, incident);
      await assessImpact(deps.db, { incident, now, revision: 0 });
      return readAffectedCustomers(deps.db, incident);
    },
  };
}

/** Impact rows must reference the incident; a second id for the same source incident is a bug upstream. */
async function ensureIncidentRow(db: Kysely<Database>, incident: Incident): Promise<void> {
  const storedId = await ensureIncident(db, incident);
  if (storedId !== incident.id) {
    throw ApplicationFailure.nonRetryable(
      `Incident ${incident.source}:${incident.externalId} is already stored under id ${storedId}, not ${incident.id}`, 'IncidentIdConflict');
  }
}
