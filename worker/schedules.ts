/**
 * Temporal Schedules the worker keeps in place at start. Creating them is idempotent: a schedule that
 * already exists is left alone when it matches the config, and updated (interval, task queue) when not.
 */
import {
  ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription,
} from '@temporalio/client';
import type { Config } from '../config';
import { STATUSPAGE_SYNC_SCHEDULE_ID, STATUSPAGE_SYNC_WORKFLOW_ID, WORKFLOW_TYPES } from '../workflows/contract';

export type ScheduleOutcome = 'created' | 'updated' | 'unchanged' | 'not_configured' | 'removed';

/** A page to read: its URL, a Status API URL, or a management API key and page id. */
export function statuspageSyncConfigured(config: Config): boolean {
  const s = config.statuspage;
  return Boolean(s.pageUrl || s.apiUrl || (s.apiKey && s.pageId));
}

function statuspageAction(config: Config) {
  return {
    type: 'startWorkflow' as const,
    workflowType: WORKFLOW_TYPES.statuspageSync,
    // Temporal appends the scheduled time to this id for each run.
    workflowId: STATUSPAGE_SYNC_WORKFLOW_ID,
    taskQueue: config.temporal.taskQueue,
    args: [{}],
    // A tick that cannot finish within a few periods is stale: the next one reads the page afresh.
    workflowExecutionTimeout: `${Math.max(config.statuspage.syncEverySeconds * 5, 60)}s`,
  };
}

function matches(description: ScheduleDescription, config: Config): boolean {
  const intervals = description.spec.intervals ?? [];
  const action = description.action;
  return intervals.length === 1
    && intervals[0].every === config.statuspage.syncEverySeconds * 1000
    && (description.spec.calendars ?? []).length === 0
    && action.type === 'startWorkflow'
    && action.workflowType === WORKFLOW_TYPES.statuspageSync
    && action.taskQueue === config.temporal.taskQueue
    && description.policies.overlap === ScheduleOverlapPolicy.SKIP;
}

/**
 * The status-page sync runs every `STATUSPAGE_SYNC_SECONDS` (default 60), never two at once (overlap SKIP),
 * and only when a status page is configured: a schedule left from a start when one was is removed, so it
 * does not keep starting syncs that read nothing. Safe to call from every worker at every start.
 */
export async function ensureStatuspageSchedule(client: Client, config: Config): Promise<ScheduleOutcome> {
  if (!statuspageSyncConfigured(config)) {
    try {
      await client.schedule.getHandle(STATUSPAGE_SYNC_SCHEDULE_ID).delete();
      return 'removed';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'not_configured';
      throw err;
    }
  }
  const spec = { intervals: [{ every: `${config.statuspage.syncEverySeconds}s` }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: `${config.statuspage.syncEverySeconds}s` };
  try {
    await client.schedule.create({
      scheduleId: STATUSPAGE_SYNC_SCHEDULE_ID,
      spec,
      action: statuspageAction(config),
      policies,
      memo: { purpose: 'Forewarn: forward new or changed Statuspage incidents' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(STATUSPAGE_SYNC_SCHEDULE_ID);
  if (matches(await handle.describe(), config)) return 'unchanged';
  await handle.update((previous) => ({ ...previous, spec, action: statuspageAction(config), policies: { ...previous.policies, ...policies } }));
  return 'updated';
}
