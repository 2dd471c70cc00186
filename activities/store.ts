import type { ActivityDeps } from './index';
import type { IncidentActivities } from './types';

type StoreActivities = Pick<IncidentActivities, 'recordIncident' | 'recordTimeline' | 'saveOutreach' | 'markCustomersNotified' | 'recordFollowUp'>;

// Not built yet.
export function createStoreActivities(_deps: ActivityDeps): StoreActivities {
  throw new Error('not built yet');
}
