import { ApplicationFailure } from '@temporalio/activity';
import { analyzeCandidates, NO_LONGER_AFFECTED_REASON } from '../domain/impact';
import type { Csm } from '../domain/types';
import { findImpactCandidates } from '../db/impact-queries';
import { ensureIncident, markNoLongerAffected, upsertCustomerImpacts } from '../db/incident-writes';
import type { ActivityDeps } from './index';
import type { IncidentActivities } from './types';

/**
 * Impact analysis: one read (db/impact-queries.ts), scoring in domain/impact.ts, then the result
 * written to incident_customer_impact in one transaction. Safe to re-run at any time: the same
 * incident and data give the same rows, and the CSMs' outreach progress is never touched.
 */
export function createImpactActivities(deps: Pick<ActivityDeps, 'db'>): Pick<IncidentActivities, 'analyzeImpact'> {
  return {
    async analyzeImpact({ incident, now }) {
      const candidates = await findImpactCandidates(deps.db, {
        components: incident.components,
        regions: incident.regions,
        windowStart: incident.startedAt,
        windowEnd: incident.resolvedAt ?? now,
      });
      const { customers } = analyzeCandidates(candidates.map(({ csm: _csm, ...candidate }) => candidate), incident, now);

      await deps.db.transaction().execute(async (trx) => {
        const storedId = await ensureIncident(trx, incident);
        if (storedId !== incident.id) {
          throw ApplicationFailure.nonRetryable(
            `Incident ${incident.source}:${incident.externalId} is already stored under id ${storedId}, not ${incident.id}`, 'IncidentIdConflict');
        }
        await upsertCustomerImpacts(trx, incident.id, customers);
        await markNoLongerAffected(trx, incident.id, customers.map((c) => c.id), NO_LONGER_AFFECTED_REASON);
      });

      // CSMs in the order of their most important customer, each once.
      const csmByEmail = new Map(candidates.flatMap((c) => (c.csm ? [[c.csm.email, c.csm] as const] : [])));
      const csms: Csm[] = [];
      const seen = new Set<string>();
      for (const customer of customers) {
        const csm = csmByEmail.get(customer.csmEmail);
        if (!csm || seen.has(csm.email)) continue;
        seen.add(csm.email);
        csms.push(csm);
      }
      return { customers, csms };
    },
  };
}
