/** Small helpers shared by the dashboard read queries. */
import { sql } from 'kysely';

export const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());
export const num = (v: unknown): number => (v == null ? 0 : Number(v));

/**
 * An acknowledgement names the CSM by email or Slack user id, in the actor or in the details;
 * this matches any of them against the CSM row `cs`.
 */
export const acknowledgedBy = sql`(u.actor in (cs.email, cs.slack_user_id)
  or u.details->>'csmEmail' = cs.email or u.details->>'slackUserId' = cs.slack_user_id or u.details->>'email' = cs.email)`;
