import type { ActivityDeps } from './index';
import type { IncidentActivities } from './types';

// Not built yet.
export function createGmailActivities(_deps: ActivityDeps): Pick<IncidentActivities, 'draftCustomerEmails'> {
  throw new Error('not built yet');
}
