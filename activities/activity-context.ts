/**
 * What code running in an activity reads from its context. Activities' helpers are also called
 * outside an activity (unit tests call the factories directly): there these are harmless defaults.
 */
import { Context, log as activityLog } from '@temporalio/activity';

export function warn(message: string, attrs: Record<string, unknown>): void {
  try {
    activityLog.warn(message, attrs);
  } catch {
    // Outside an activity: nothing to log to.
  }
}

/** This activity's attempt (1 outside an activity). */
export function activityAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}
