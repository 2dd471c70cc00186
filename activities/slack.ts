import type { ActivityDeps } from './index';
import type { IncidentActivities } from './types';

type SlackActivities = Pick<IncidentActivities, 'notifyCsm' | 'ensureWarRoom' | 'postToWarRoom' | 'inviteToWarRoom'>;

// Not built yet.
export function createSlackActivities(_deps: ActivityDeps): SlackActivities {
  throw new Error('not built yet');
}
