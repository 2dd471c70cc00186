/**
 * The incident workflow's activity proxies, grouped by what they talk to, each with its timeouts
 * and retry policy. Nothing passed here grows with the number of affected customers: activities
 * read their own slice from Postgres.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/types';

type Pick2<K extends keyof IncidentActivities> = Pick<IncidentActivities, K>;

/**
 * Every activity turns Postgres refusing the data (SQLSTATE class 22 or 23) into a non-retryable
 * IncidentDataError (activities/data-errors.ts): the same write fails the same way on every
 * attempt. The workflow records it on the incident and carries on (incident-problems.ts).
 */
const DATA_ERROR = 'IncidentDataError';

/**
 * Postgres: one query or a small transaction each (the analysis a few statements). Retried until
 * the database is back (an incident must never be lost to a database restart), backoff capped at
 * a minute. Every activity heartbeats while it runs, so one held by a killed worker is retried
 * elsewhere within the heartbeat timeout; a large analysis may take its two minutes.
 */
export const store = proxyActivities<Pick2<'recordIncident' | 'recordTimeline' | 'recordFollowUps' | 'assessImpact' | 'refreshBusinessImpact'
  | 'recordIncidentProblem' | 'restoreIncident'>>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    // Invariant violations the store reports: retrying writes the same wrong thing.
    nonRetryableErrorTypes: ['IncidentIdConflict', DATA_ERROR],
  },
});

/**
 * Slack: batches of CSMs, several messages at a time; rate limits (429 + Retry-After) are waited
 * out inside the activity while it heartbeats, so a killed worker's batch moves to another worker
 * within the heartbeat timeout. Transient failures (Slack or Postgres down) are retried for up to
 * three hours; permanent Slack errors come back as 'failed' results, not exceptions.
 */
export const slack = proxyActivities<Pick2<'sendCsmMessages' | 'ensureWarRoom' | 'postToWarRoom' | 'inviteToWarRoom'>>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '10 seconds',
  scheduleToCloseTimeout: '3 hours',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['SlackPermanentError', DATA_ERROR],
  },
});

/** Gmail drafts and sends, page by page per CSM, heartbeating; as for Slack. */
export const gmail = proxyActivities<Pick2<'prepareEmailsForCsms'>>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '10 seconds',
  scheduleToCloseTimeout: '6 hours',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [DATA_ERROR],
  },
});
