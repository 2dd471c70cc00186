import type { ActivityDeps } from './index';
import type { IncidentActivities } from './types';

// Not built yet.
export function createImpactActivities(_deps: ActivityDeps): Pick<IncidentActivities, 'analyzeImpact'> {
  throw new Error('not built yet');
}
