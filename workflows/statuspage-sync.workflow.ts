/**
 * One run per tick of the status-page sync schedule (STATUSPAGE_SYNC_SCHEDULE_ID, overlap SKIP):
 * read the page, forward every incident version that Forewarn has not received yet.
 *
 * Last-seen state lives in Postgres, not in the schedule: every version the webhook or the sync forwarded
 * is a webhook_deliveries row (source 'statuspage', delivery id `<incident id>@<updated_at>`). So the state
 * survives a recreated schedule, is shared with the webhook path (an update the webhook delivered is not
 * sent again by the sync, and the reverse), and a webhook delivery that failed while Temporal was down is
 * healed by the next tick.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { DetectionActivities } from '../activities/detection';
import type { StatuspageSyncResult } from './contract';

// Reading the page: a failed tick is retried a little, then left to the next tick a minute later.
// It heartbeats, so a killed worker's read moves on within seconds.
const { fetchStatuspageChanges } = proxyActivities<DetectionActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: ['StatuspageConfigError', 'StatuspagePayloadError'] },
});

// Forwarding is idempotent (webhook_deliveries + the workflow's delivery ids), so it may retry longer.
const { forwardIncidentEvents } = proxyActivities<DetectionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 6 },
});

export async function statuspageSyncWorkflow(_input: Record<string, never> = {}): Promise<StatuspageSyncResult> {
  const { fetched, changes } = await fetchStatuspageChanges({});
  if (changes.length === 0) return { fetched, forwarded: 0, duplicates: 0, workflowIds: [] };
  const { forwarded, duplicates, workflowIds } = await forwardIncidentEvents({ source: 'statuspage', deliveries: changes });
  return { fetched, forwarded, duplicates, workflowIds };
}
