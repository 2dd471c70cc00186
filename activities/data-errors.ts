/**
 * Postgres refusing the data itself (SQLSTATE class 22 "data exception": a NUL byte, JSON it cannot
 * parse, a numeric overflow; class 23 "integrity constraint violation") fails the same way on every
 * attempt. Such an error becomes a non-retryable `IncidentDataError`, so the workflow hears about it
 * at once and records it on the incident, instead of the activity being retried for ever unseen.
 * Violations the code expects (a unique key taken, handled with ON CONFLICT or caught where they
 * happen) never reach here.
 */
import { ApplicationFailure } from '@temporalio/activity';

export const DATA_ERROR_TYPE = 'IncidentDataError';

interface Chained { code?: unknown; message?: unknown; cause?: unknown; name?: unknown }

/** The SQLSTATE of a data or integrity error anywhere in the cause chain, or undefined. */
export function dataErrorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e = err as Chained | undefined, depth = 0; e && typeof e === 'object' && depth < 6 && !seen.has(e); e = e.cause as Chained, depth++) {
    seen.add(e);
    const code = typeof e.code === 'string' ? e.code : '';
    if (/^2[23][0-9A-Z]{3}$/.test(code)) return code;
  }
  return undefined;
}

/** Whether `err` already is (or wraps) an IncidentDataError. */
export function isIncidentDataError(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err as Chained | undefined, depth = 0; e && typeof e === 'object' && depth < 6 && !seen.has(e); e = e.cause as Chained, depth++) {
    seen.add(e);
    if (e instanceof ApplicationFailure && e.type === DATA_ERROR_TYPE) return true;
  }
  return false;
}

function postgresMessage(err: unknown, code: string): string {
  for (let e = err as Chained | undefined, depth = 0; e && typeof e === 'object' && depth < 6; e = e.cause as Chained, depth++) {
    if (e.code === code && typeof e.message === 'string') return e.message;
  }
  return String((err as Chained)?.message ?? err);
}

/**
 * `err` as an IncidentDataError naming the activity and Postgres' message when Postgres refused the
 * data; any other error (connection lost, timeout, cancellation, an ApplicationFailure the activity
 * chose) is returned unchanged.
 */
export function classifyActivityError(activity: string, err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const code = dataErrorCode(err);
  if (!code) return err;
  return ApplicationFailure.create({
    type: DATA_ERROR_TYPE,
    nonRetryable: true,
    message: `${activity}: Postgres refused the incident's data (SQLSTATE ${code}): ${postgresMessage(err, code)}`,
    details: [{ activity, sqlstate: code }],
  });
}

/** Every function of `activities`, wrapped so a data error thrown by it becomes an IncidentDataError. */
export function withDataErrors<T extends object>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') {
      wrapped[name] = fn;
      continue;
    }
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        throw classifyActivityError(name, err);
      }
    };
  }
  return wrapped as T;
}
