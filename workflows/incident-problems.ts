/**
 * Postgres refusing the incident's data (an IncidentDataError, activities/data-errors.ts) fails the
 * same way on every attempt, so it is not retried: the event or the deadline work that hit it is
 * skipped, recorded as a problem on the incident (the state, the incident row the API and the
 * dashboard show, an "incident data error" log line), and the incident carries on with what comes
 * next. Any other error is not handled here. Nothing here runs unless such an error happens, so
 * the commands of every history without one stay the same.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { IncidentRun } from './incident-run';

export const DATA_ERROR_TYPE = 'IncidentDataError';

/** The message of an IncidentDataError (an activity failure caused by one, or one itself); undefined for any other error. */
export function dataErrorMessage(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ApplicationFailure && e.type === DATA_ERROR_TYPE) return e.message;
  }
  return undefined;
}

/** Runs `work`; an IncidentDataError ends it there and is recorded as a problem of `step`. False when it was cut short. */
export async function skipOnDataError(run: IncidentRun, step: string, work: () => Promise<void>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (err) {
    const message = dataErrorMessage(err);
    if (message === undefined || !run.state) throw err;
    await run.problem(step, message);
    return false;
  }
}
