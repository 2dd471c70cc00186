import { ApplicationFailure } from '@temporalio/activity';
import { insertTimelineEntries, stampCustomers, upsertFollowUps, upsertIncident } from '../db/incident-writes';
import { recordAudit } from '../db/audit';
import { restoreIncidentState } from '../db/incident-restore';
import { SYSTEM_ACTOR } from '../domain/actor';
import { saveOutreachChange } from '../db/outreach';
import type { ActivityDeps } from './index';
import type { IncidentActivities } from './types';

type StoreActivities = Pick<IncidentActivities, 'recordIncident' | 'recordTimeline' | 'saveOutreach' | 'markCustomersNotified' | 'recordFollowUp' | 'recordFollowUps'
  | 'restoreIncident'>;

/**
 * The incident read model in Postgres (what the API and the dashboard show). Every write is an
 * idempotent upsert, so a retried activity leaves the same rows behind.
 */
export function createStoreActivities(deps: Pick<ActivityDeps, 'db'>): StoreActivities {
  const { db } = deps;
  return {
    async recordIncident(input) {
      const result = await upsertIncident(db, input);
      if (result.conflictingId) {
        // Retrying cannot help: impact rows and the timeline would point at two different ids.
        throw ApplicationFailure.nonRetryable(
          `Incident ${input.incident.source}:${input.incident.externalId} is already stored under id ${result.conflictingId}, `
          + `not ${input.incident.id}; the workflow must reuse the stored id`,
          'IncidentIdConflict',
        );
      }
    },

    async restoreIncident({ workflowId, now }) {
      return restoreIncidentState(db, workflowId, now);
    },

    async recordTimeline({ incidentId, entries }) {
      await db.transaction().execute(async (trx) => {
        const inserted = new Set(await insertTimelineEntries(trx, incidentId, entries));
        // A quiet suspected incident closed by the workflow itself is a change nobody made: the audit log names Forewarn
        // (once, with the entry, however often this is retried).
        for (const e of entries.filter((x) => inserted.has(x.dedupeKey) && x.details?.dismissed === true && x.details.automatic === true)) {
          await recordAudit(trx, { actor: SYSTEM_ACTOR, action: 'incident.auto_closed', incidentId, detail: { reason: e.details?.reason ?? null, csmsTold: e.details?.csmsTold ?? null } });
        }
      });
    },

    async saveOutreach(input) {
      await db.transaction().execute(async (trx) => {
        if (!await saveOutreachChange(trx, input)) {
          throw ApplicationFailure.nonRetryable(
            `Customer ${input.customerId} has no impact record for incident ${input.incidentId}`, 'UnknownCustomer');
        }
      });
    },

    async markCustomersNotified({ incidentId, customerIds, field, at }) {
      await stampCustomers(db, incidentId, customerIds, field, at);
    },

    async recordFollowUp(input) {
      await upsertFollowUps(db, { ...input, csmEmails: [input.csmEmail ?? null] });
    },

    async recordFollowUps(input) {
      await upsertFollowUps(db, input);
    },
  };
}
