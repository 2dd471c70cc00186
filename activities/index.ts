import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from '../config';
import type { Database } from '../db/types';
import type { IncidentActivities } from './types';
import { createStoreActivities } from './store';
import { createProblemActivities } from './problems';
import { createImpactActivities } from './impact';
import { createSlackActivities } from './slack';
import { createGmailActivities } from './gmail';
import { createDetectionActivities, type DetectionActivities } from './detection';
import { createOutreachTrackingActivities, type OutreachTrackingActivities } from './outreach-tracking';
import { createBatchActivities } from './batches';
import { withDataErrors } from './data-errors';
import { withHeartbeats } from './heartbeat';

export interface ActivityDeps {
  config: Config;
  db: Kysely<Database>;
  /** For activities that signal other workflows (status-page sync). */
  temporal: Client;
}

/**
 * Every activity the worker registers, built from small per-integration factories. Each is wrapped
 * (data-errors.ts) so Postgres refusing the data fails it for good as an IncidentDataError, which
 * the incident workflow records on the incident, rather than being retried for ever; and each
 * heartbeats while it runs (heartbeat.ts), so a killed worker's work moves on within seconds.
 */
export function createActivities(deps: ActivityDeps): IncidentActivities & DetectionActivities & OutreachTrackingActivities {
  const slack = createSlackActivities(deps);
  const gmail = createGmailActivities(deps);
  return withHeartbeats(withDataErrors({
    ...createStoreActivities(deps),
    ...createProblemActivities(deps),
    ...createImpactActivities(deps),
    ...slack,
    ...gmail,
    ...createBatchActivities({ ...slack, ...gmail }),
    ...createDetectionActivities(deps),
    ...createOutreachTrackingActivities(deps),
  }));
}
