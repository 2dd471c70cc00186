/**
 * People as Slack knows them: their user id (stored in csms, else looked up by email and
 * remembered there) and time zone, and the DM with them.
 */
import { findCsm, rememberSlackIdentity } from '../db/message-data';
import { warn } from './activity-context';
import { describeSlackError, isPermanentSlackError, SlackPermanentError } from './slack-client';
import type { LiveSlack } from './slack-workspace';

export interface Recipient { email: string; name: string; slackUserId?: string; timeZone?: string }

/** The Slack user with this email, remembered in csms; a permanent error when Slack has none. */
async function lookUpSlackUser(slack: LiveSlack, email: string): Promise<string> {
  const found = await slack.client.users.lookupByEmail({ email });
  const userId = found.user?.id;
  if (!userId) throw new SlackPermanentError('users_not_found', `no Slack user for ${email}`);
  await rememberSlackIdentity(slack.db, email, { slackUserId: userId });
  return userId;
}

/** Slack user id (stored, or by email) and time zone (for the start time), remembered in csms. */
export async function resolveSlackUser(slack: LiveSlack, recipient: Recipient): Promise<{ userId: string; timeZone?: string }> {
  const userId = recipient.slackUserId || (await lookUpSlackUser(slack, recipient.email));
  let timeZone = recipient.timeZone;
  if (!timeZone) {
    try {
      const info = await slack.client.users.info({ user: userId });
      timeZone = info.user?.tz ?? undefined;
      if (timeZone) await rememberSlackIdentity(slack.db, recipient.email, { timeZone });
    } catch (err) {
      // Without a zone the time is shown in UTC; only an outage is worth a retry.
      if (!isPermanentSlackError(err)) throw err;
    }
  }
  return { userId, timeZone };
}

/** The Slack user ids of these people; those Slack does not know are left out (and logged). */
export async function slackUserIds(slack: LiveSlack, emails: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const email of new Set(emails.filter(Boolean))) {
    const stored = await findCsm(slack.db, email);
    try {
      ids.push(stored?.slackUserId || (await lookUpSlackUser(slack, email)));
    } catch (err) {
      if (!isPermanentSlackError(err)) throw err;
      warn('war-room member not found in Slack', { email, error: describeSlackError(err) });
    }
  }
  return ids;
}

/** The DM channel with this user (opened, or the existing one). */
export async function openDm(slack: LiveSlack, userId: string): Promise<string> {
  return String((await slack.client.conversations.open({ users: userId })).channel?.id);
}
