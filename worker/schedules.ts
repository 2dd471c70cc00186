/**
 * Temporal Schedules the worker keeps in place at start. Creating them is idempotent: a schedule that
 * already exists is left alone when it matches the config, and updated (interval, task queue) when not;
 * a schedule whose feature is not configured is removed, so it does not keep starting runs that do nothing.
 */
import {
  ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription,
} from '@temporalio/client';
import type { Config } from '../config';
import {
  OUTREACH_TRACKING_SCHEDULE_ID, OUTREACH_TRACKING_WORKFLOW_ID, STATUSPAGE_SYNC_SCHEDULE_ID, STATUSPAGE_SYNC_WORKFLOW_ID, WORKFLOW_TYPES,
} from '../workflows/contract';

export type ScheduleOutcome = 'created' | 'updated' | 'unchanged' | 'not_configured' | 'removed';

/** A page to read: its URL, a Status API URL, or a management API key and page id. */
export function statuspageSyncConfigured(config: Config): boolean {
  const s = config.statuspage;
  return Boolean(s.pageUrl || s.apiUrl || (s.apiKey && s.pageId));
}

/** One workflow started every `everySeconds`, never two at once (overlap SKIP). */
interface IntervalSchedule {
  scheduleId: string;
  workflowType: string;
  /** Temporal appends the scheduled time to this id for each run. */
  workflowId: string;
  everySeconds: number;
  configured: boolean;
  purpose: string;
}

function action(config: Config, s: IntervalSchedule) {
  return {
    type: 'startWorkflow' as const,
    workflowType: s.workflowType,
    workflowId: s.workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [{}],
    // A run that cannot finish within a few periods is stale: the next one starts afresh.
    workflowExecutionTimeout: `${Math.max(s.everySeconds * 5, 60)}s`,
  };
}

function matches(description: ScheduleDescription, config: Config, s: IntervalSchedule): boolean {
  const intervals = description.spec.intervals ?? [];
  const current = description.action;
  return intervals.length === 1
    && intervals[0].every === s.everySeconds * 1000
    && (description.spec.calendars ?? []).length === 0
    && current.type === 'startWorkflow'
    && current.workflowType === s.workflowType
    && current.taskQueue === config.temporal.taskQueue
    && description.policies.overlap === ScheduleOverlapPolicy.SKIP;
}

async function ensureIntervalSchedule(client: Client, config: Config, s: IntervalSchedule): Promise<ScheduleOutcome> {
  if (!s.configured) {
    try {
      await client.schedule.getHandle(s.scheduleId).delete();
      return 'removed';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'not_configured';
      throw err;
    }
  }
  const spec = { intervals: [{ every: `${s.everySeconds}s` }] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: `${s.everySeconds}s` };
  try {
    await client.schedule.create({ scheduleId: s.scheduleId, spec, action: action(config, s), policies, memo: { purpose: s.purpose } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(s.scheduleId);
  if (matches(await handle.describe(), config, s)) return 'unchanged';
  await handle.update((previous) => ({ ...previous, spec, action: action(config, s), policies: { ...previous.policies, ...policies } }));
  return 'updated';
}

/**
 * The status-page sync runs every `STATUSPAGE_SYNC_SECONDS` (default 60), and only when a status page
 * is configured. Safe to call from every worker at every start.
 */
export function ensureStatuspageSchedule(client: Client, config: Config): Promise<ScheduleOutcome> {
  return ensureIntervalSchedule(client, config, {
    scheduleId: STATUSPAGE_SYNC_SCHEDULE_ID, workflowType: WORKFLOW_TYPES.statuspageSync, workflowId: STATUSPAGE_SYNC_WORKFLOW_ID,
    everySeconds: config.statuspage.syncEverySeconds, configured: statuspageSyncConfigured(config),
    purpose: 'Forewarn: forward new or changed Statuspage incidents',
  });
}

/**
 * The outreach tracking reads the CSMs' Gmail every `GMAIL_TRACK_SECONDS` (default 60), when a Google
 * service-account key is configured and `GMAIL_TRACK_OUTREACH` is not false.
 */
export function ensureOutreachTrackingSchedule(client: Client, config: Config): Promise<ScheduleOutcome> {
  return ensureIntervalSchedule(client, config, {
    scheduleId: OUTREACH_TRACKING_SCHEDULE_ID, workflowType: WORKFLOW_TYPES.outreachTracking, workflowId: OUTREACH_TRACKING_WORKFLOW_ID,
    everySeconds: config.outreachTracking.everySeconds, configured: config.outreachTracking.enabled,
    purpose: 'Forewarn: notice sent Forewarn drafts and customer replies in the CSMs\' Gmail',
  });
}
