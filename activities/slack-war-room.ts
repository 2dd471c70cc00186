/**
 * The coordination channel of a P1/P2 incident: created (or found again after a crash) with the
 * CSMs and their managers invited and the incident's summary posted, later posts and invitations.
 * In dry-run the channel is the pseudo id "dry-run:<name>", so the workflow behaves the same.
 */
import { withManagers, loadComponentNames } from '../db/message-data';
import { findOutbox, isDelivered as isRowDelivered, type OutboxEntry } from '../db/outbox';
import { renderWarRoomPost, renderWarRoomSummary, warRoomChannelName, warRoomPurpose } from '../domain/messages';
import type { Incident } from '../domain/types';
import { warn } from './activity-context';
import { failOnce, findDelivered, noteAndRethrow, sendOnce } from './outbox-send';
import { describeSlackError, isPermanentSlackError, SlackPermanentError, slackErrorCode } from './slack-client';
import { notifyResult, slackDryRun, slackPost } from './slack-post';
import { slackUserIds } from './slack-users';
import { isLive, type LiveSlack, type SlackWorkspace } from './slack-workspace';
import type { IncidentActivities } from './types';

type WarRoomActivities = Pick<IncidentActivities, 'ensureWarRoom' | 'postToWarRoom' | 'inviteToWarRoom'>;

const DRY_RUN_CHANNEL_PREFIX = 'dry-run:';

const IGNORED_INVITE_ERRORS = new Set(['already_in_channel', 'cant_invite_self']);
const PER_USER_INVITE_ERRORS = new Set([
  ...IGNORED_INVITE_ERRORS, 'user_not_found', 'user_disabled', 'cant_invite', 'user_is_restricted', 'user_is_ultra_restricted',
  'user_team_not_in_channel', 'not_allowed_token_type_for_user',
]);

/** A real channel to talk to Slack about (not one the workflow got in dry-run). */
function isLiveChannel(slack: SlackWorkspace, channelId: string): slack is LiveSlack {
  return isLive(slack) && !channelId.startsWith(DRY_RUN_CHANNEL_PREFIX);
}

async function inviteUsers(slack: LiveSlack, channel: string, ids: string[]): Promise<void> {
  const bot = await slack.botUserId();
  const users = [...new Set(ids.filter((id) => id && id !== bot))];
  if (users.length === 0) return;
  try {
    await slack.client.conversations.invite({ channel, users: users.join(',') });
    return;
  } catch (err) {
    const code = slackErrorCode(err);
    if (!code || !PER_USER_INVITE_ERRORS.has(code)) throw err;
    if (users.length === 1) {
      if (!IGNORED_INVITE_ERRORS.has(code)) warn('could not invite to the war room', { channel, user: users[0], error: code });
      return;
    }
  }
  // One user made the batch fail (typically someone already in the channel): invite one by one.
  for (const user of users) {
    try {
      await slack.client.conversations.invite({ channel, users: user });
    } catch (err) {
      const code = slackErrorCode(err);
      if (!code || !PER_USER_INVITE_ERRORS.has(code)) throw err;
      if (!IGNORED_INVITE_ERRORS.has(code)) warn('could not invite to the war room', { channel, user, error: code });
    }
  }
}

async function findChannelByName(slack: LiveSlack, name: string) {
  let cursor: string | undefined;
  do {
    const page = await slack.client.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 1000, cursor });
    const hit = (page.channels ?? []).find((c) => c.name === name);
    if (hit) return hit;
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return undefined;
}

/** Creates the channel, or finds the one an earlier attempt created (its purpose names the workflow). */
async function createOrFindWarRoom(slack: LiveSlack, incident: Incident): Promise<{ id: string; name: string }> {
  const { client } = slack;
  const bot = await slack.botUserId();
  const purpose = warRoomPurpose(incident);
  for (const name of [warRoomChannelName(incident), warRoomChannelName(incident, true)]) {
    try {
      const created = await client.conversations.create({ name, is_private: true });
      const id = String(created.channel?.id);
      await client.conversations.setPurpose({ channel: id, purpose });
      return { id, name };
    } catch (err) {
      if (slackErrorCode(err) !== 'name_taken') throw err;
      const found = await findChannelByName(slack, name);
      const currentPurpose = found?.purpose?.value ?? '';
      // Ours: it names this workflow, or our bot created it and died before setting the purpose.
      if (found?.id && (currentPurpose.includes(incident.workflowId) || (found.creator === bot && !currentPurpose))) {
        if (!currentPurpose) await client.conversations.setPurpose({ channel: found.id, purpose });
        return { id: found.id, name };
      }
    }
  }
  throw new SlackPermanentError('name_taken', `no free coordination channel name for ${incident.workflowId}`);
}

export function createWarRoomActivities(slack: SlackWorkspace): WarRoomActivities {
  const { db } = slack;
  return {
    async ensureWarRoom(input) {
      const { incident } = input;
      const key = input.idempotencyKey;
      const componentNames = await loadComponentNames(db, incident.components);
      const summary = renderWarRoomSummary({ incident, totals: input.totals, dashboardUrl: input.dashboardUrl, componentNames });
      const name = warRoomChannelName(incident);
      const entry = (channelName: string): OutboxEntry => ({
        idempotencyKey: key, incidentId: incident.id, channel: 'slack', kind: 'war_room',
        recipient: `#${channelName}`, payload: { ...summary, channelName },
      });
      if (!isLive(slack)) {
        await sendOnce(db, entry(name), slackDryRun(`${DRY_RUN_CHANNEL_PREFIX}${name}`));
        return { channelId: `${DRY_RUN_CHANNEL_PREFIX}${name}`, name };
      }
      try {
        const done = await findOutbox(db, key);
        const room = done && isRowDelivered(done) && done.provider_channel
          ? { id: done.provider_channel, name: done.recipient.replace(/^#/, '') }
          : await createOrFindWarRoom(slack, incident);
        // The CSMs' managers join too (looked up here, so the workflow carries only the CSMs).
        await inviteUsers(slack, room.id, [...input.memberSlackIds, ...(await slackUserIds(slack, await withManagers(db, input.memberEmails)))]);
        const posted = await sendOnce(db, entry(room.name), slackPost(slack.client, key, summary, { channel: async () => room.id }));
        // The incident goes on without a coordination channel; CSMs still get their DMs.
        return posted.status === 'failed' ? null : { channelId: room.id, name: room.name };
      } catch (err) {
        if (!isPermanentSlackError(err)) return noteAndRethrow(db, key, err, describeSlackError);
        await failOnce(db, entry(name), describeSlackError(err));
        return null;
      }
    },

    async postToWarRoom(input) {
      const message = renderWarRoomPost({ incident: input.incident, text: input.text });
      const entry: OutboxEntry = {
        idempotencyKey: input.idempotencyKey, incidentId: input.incident.id, channel: 'slack', kind: 'war_room_post',
        recipient: input.channelId, payload: message,
      };
      const done = await findDelivered(db, input.idempotencyKey);
      if (done) return notifyResult(done);
      const provider = isLiveChannel(slack, input.channelId)
        ? slackPost(slack.client, input.idempotencyKey, message, { channel: async () => input.channelId })
        : slackDryRun(input.channelId);
      return notifyResult(await sendOnce(db, entry, provider));
    },

    async inviteToWarRoom(input) {
      if (!isLiveChannel(slack, input.channelId)) return;
      try {
        await inviteUsers(slack, input.channelId, input.slackUserIds);
      } catch (err) {
        if (!isPermanentSlackError(err)) throw err;
        // An archived or deleted channel: inviting again cannot help, and must not fail the incident.
        warn('could not invite to the war room', { channel: input.channelId, error: describeSlackError(err) });
      }
    },
  };
}
