import { recordIncidentProblem } from '../db/incident-problems';
import type { ActivityDeps } from './index';
import type { IncidentActivities } from './types';

/** What the incident workflow could not process, on the incident (db/incident-problems.ts). */
export function createProblemActivities(deps: Pick<ActivityDeps, 'db'>): Pick<IncidentActivities, 'recordIncidentProblem'> {
  return {
    async recordIncidentProblem(input) {
      await recordIncidentProblem(deps.db, input);
    },
  };
}
