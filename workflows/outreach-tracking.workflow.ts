/**
 * One run per tick of the outreach-tracking schedule (OUTREACH_TRACKING_SCHEDULE_ID, overlap SKIP):
 * read the CSMs' Gmail for Forewarn drafts they sent and customers' replies, and move outreach to
 * sent / responded (activities/outreach-tracking.ts). What was seen lives in Postgres (the outreach
 * status), so a recreated schedule or a missed tick loses nothing: the next run looks again.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { OutreachTrackingActivities } from '../activities/outreach-tracking';
import type { OutreachTrackingResult } from './contract';

// A failed run is retried a little, then left to the next tick. It heartbeats (Gmail's quota is
// waited out inside), so a killed worker's run moves on within seconds.
const { trackOutreachInGmail } = proxyActivities<OutreachTrackingActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

export async function outreachTrackingWorkflow(_input: Record<string, never> = {}): Promise<OutreachTrackingResult> {
  return trackOutreachInGmail({});
}
