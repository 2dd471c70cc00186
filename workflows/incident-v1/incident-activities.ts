/**
 * The incident workflow's activity proxies, grouped by what they talk to, each with its timeouts
 * and retry policy.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/types';

type Pick2<K extends keyof IncidentActivities> = Pick<IncidentActivities, K>;

/**
 * Postgres: one query or a small transaction each. Retried until the database is back (an
 * incident must never be lost to a database restart), with backoff capped at a minute.
 */
export const store = proxyActivities<Pick2<'recordIncident' | 'recordTimeline' | 'saveOutreach' | 'markCustomersNotified' | 'recordFollowUp' | 'analyzeImpact'>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    // Invariant violations the store reports: retrying writes the same wrong thing.
    nonRetryableErrorTypes: ['IncidentIdConflict', 'UnknownCustomer'],
  },
});

/**
 * Slack: rate limits (429 + Retry-After) are waited out inside the activity, so an attempt may
 * take a while; transient failures are retried with backoff for about half an hour, then the
 * workflow records the CSM as not notified and carries on with the others. Permanent Slack errors
 * come back as a 'failed' result (recorded on the outbox row) rather than as exceptions.
 */
export const slack = proxyActivities<Pick2<'notifyCsm' | 'ensureWarRoom' | 'postToWarRoom' | 'inviteToWarRoom'>>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['SlackPermanentError'],
  },
});

/** Gmail drafts and sends (one call handles a CSM's customers): as for Slack. */
export const gmail = proxyActivities<Pick2<'draftCustomerEmails'>>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 10,
  },
});
