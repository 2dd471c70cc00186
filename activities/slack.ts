/**
 * Slack side effects: CSM DMs (and thread replies), the coordination channel, posts in it.
 *
 * Exactly once for people: every message is claimed in the outbox (notifications, keyed by the
 * idempotency key) BEFORE it is sent, and carries the key in Slack message metadata. A key already
 * sent answers 'duplicate'. A key claimed by an attempt that died mid-send is first looked up in
 * the conversation (by that metadata) before anything is posted again.
 *
 * Without SLACK_BOT_TOKEN (dry-run) messages are rendered and stored with status dry_run; the war
 * room then gets the pseudo id "dry-run:<name>" so the workflow behaves the same.
 */
import type { WebClient } from '@slack/web-api';
import { log as activityLog } from '@temporalio/activity';
import { claimOutbox, findOutbox, isDelivered, markDelivered, markFailed, noteAttempt, noteTransientError } from '../db/outbox';
import { findCsm, loadApprovedTemplates, loadComponentNames, rememberSlackIdentity } from '../db/message-data';
import type { NotificationRow } from '../db/types';
import { renderCsmMessage, renderWarRoomPost, renderWarRoomSummary, warRoomChannelName, warRoomPurpose, type SlackMessage } from '../domain/messages';
import { approvedMessage } from '../domain/messages/templates';
import type { Incident } from '../domain/types';
import { cancellable } from './cancellable';
import type { ActivityDeps } from './index';
import {
  createSlackClient, describeSlackError, isPermanentSlackError, SlackPermanentError, slackErrorCode,
} from './slack-client';
import type { IncidentActivities, NotifyResult } from './types';

type SlackActivities = Pick<IncidentActivities, 'notifyCsm' | 'ensureWarRoom' | 'postToWarRoom' | 'inviteToWarRoom'>;

/** Slack message metadata event that carries the outbox key (found again after a crash). */
export const NOTIFICATION_EVENT = 'forewarn_notification';
export const DRY_RUN_CHANNEL_PREFIX = 'dry-run:';

const IGNORED_INVITE_ERRORS = new Set(['already_in_channel', 'cant_invite_self']);
const PER_USER_INVITE_ERRORS = new Set([
  ...IGNORED_INVITE_ERRORS, 'user_not_found', 'user_disabled', 'cant_invite', 'user_is_restricted', 'user_is_ultra_restricted',
  'user_team_not_in_channel', 'not_allowed_token_type_for_user',
]);

function warn(message: string, attrs: Record<string, unknown>): void {
  try {
    activityLog.warn(message, attrs);
  } catch {
    // Called outside an activity (unit tests): nothing to log to.
  }
}

function duplicateResult(row: NotificationRow): NotifyResult {
  return {
    status: 'duplicate',
    channel: row.provider_channel ?? undefined,
    ts: row.provider_ref ?? undefined,
    sentAt: (row.sent_at ?? row.created_at).toISOString(),
  };
}

interface Recipient { email: string; name: string; slackUserId?: string; timeZone?: string }

export function createSlackActivities(deps: Pick<ActivityDeps, 'config' | 'db'>): SlackActivities {
  const { config, db } = deps;
  const client: WebClient | undefined = config.slack.dryRun ? undefined : createSlackClient(config);
  let botUser: Promise<string> | undefined;

  function botUserId(): Promise<string> {
    botUser ??= client!.auth.test().then((r) => String(r.user_id ?? '')).catch((err) => {
      botUser = undefined;
      throw err;
    });
    return botUser;
  }

  /** Who gets the DM: the CSM, or for an escalation the CSM's manager. */
  async function recipientFor(input: Parameters<SlackActivities['notifyCsm']>[0]): Promise<Recipient | { error: string }> {
    if (input.kind === 'escalation') {
      const managerEmail = input.csm.managerEmail ?? (await findCsm(db, input.csm.email))?.managerEmail;
      if (!managerEmail) return { error: 'no_manager' };
      const manager = await findCsm(db, managerEmail);
      return {
        email: managerEmail, name: manager?.name ?? managerEmail,
        slackUserId: manager?.slackUserId ?? undefined, timeZone: manager?.timeZone ?? undefined,
      };
    }
    const stored = await findCsm(db, input.csm.email);
    return {
      email: input.csm.email, name: input.csm.name,
      slackUserId: input.csm.slackUserId ?? stored?.slackUserId ?? undefined,
      timeZone: input.csm.timeZone ?? stored?.timeZone ?? undefined,
    };
  }

  /** Slack user id (stored, or by email) and time zone (for the start time), remembered in csms. */
  async function resolveSlackUser(recipient: Recipient): Promise<{ userId: string; timeZone?: string }> {
    let userId = recipient.slackUserId;
    if (!userId) {
      const found = await client!.users.lookupByEmail({ email: recipient.email });
      userId = found.user?.id;
      if (!userId) throw new SlackPermanentError('users_not_found', `no Slack user for ${recipient.email}`);
      await rememberSlackIdentity(db, recipient.email, { slackUserId: userId });
    }
    let timeZone = recipient.timeZone;
    if (!timeZone) {
      try {
        const info = await client!.users.info({ user: userId });
        timeZone = info.user?.tz ?? undefined;
        if (timeZone) await rememberSlackIdentity(db, recipient.email, { timeZone });
      } catch (err) {
        // Without a zone the time is shown in UTC; only an outage is worth a retry.
        if (!isPermanentSlackError(err)) throw err;
      }
    }
    return { userId, timeZone };
  }

  /** The ts of a message already posted with this key (an earlier attempt that died before recording it). */
  async function findPosted(channel: string, threadTs: string | undefined, key: string, since: Date): Promise<string | undefined> {
    const oldest = String(Math.floor(since.getTime() / 1000) - 60);
    const res = threadTs
      ? await client!.conversations.replies({ channel, ts: threadTs, oldest, include_all_metadata: true, limit: 200 })
      : await client!.conversations.history({ channel, oldest, include_all_metadata: true, limit: 200 });
    const hit = (res.messages ?? []).find((m) => {
      const meta = (m as { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }).metadata;
      return meta?.event_type === NOTIFICATION_EVENT && meta.event_payload?.idempotency_key === key;
    });
    return hit?.ts;
  }

  /**
   * Sends `message` once for `key`. `row` is the claimed outbox row; `where` gives the channel
   * (opening the DM only when needed).
   */
  async function postOnce(
    row: NotificationRow, message: SlackMessage, where: { channel: () => Promise<string>; threadTs?: string },
  ): Promise<NotifyResult> {
    const key = row.idempotency_key;
    const channel = await where.channel();
    if (row.attempts > 0) {
      const ts = await findPosted(channel, where.threadTs, key, row.created_at);
      if (ts) {
        const at = new Date();
        await markDelivered(db, key, { status: 'sent', ref: ts, channel, at });
        return { status: 'sent', channel, ts, sentAt: at.toISOString() };
      }
    }
    await noteAttempt(db, key);
    const res = await cancellable(client!.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks as never,
      thread_ts: where.threadTs,
      unfurl_links: false,
      unfurl_media: false,
      metadata: { event_type: NOTIFICATION_EVENT, event_payload: { idempotency_key: key } },
    }));
    const at = new Date();
    const posted = { channel: String(res.channel ?? channel), ts: String(res.ts) };
    await markDelivered(db, key, { status: 'sent', ref: posted.ts, channel: posted.channel, at });
    return { status: 'sent', ...posted, sentAt: at.toISOString() };
  }

  /** Records a permanent failure on the row (claiming it first if needed) and answers 'failed'. */
  async function fail(entry: Parameters<typeof claimOutbox>[1], error: string): Promise<NotifyResult> {
    await claimOutbox(db, entry);
    await markFailed(db, entry.idempotencyKey, error);
    warn('Slack message not delivered', { idempotencyKey: entry.idempotencyKey, recipient: entry.recipient, error });
    return { status: 'failed', error, sentAt: new Date().toISOString() };
  }

  async function dryRun(entry: Parameters<typeof claimOutbox>[1], channel?: string): Promise<NotifyResult> {
    const row = await claimOutbox(db, entry);
    if (isDelivered(row)) return duplicateResult(row);
    const at = new Date();
    await markDelivered(db, entry.idempotencyKey, { status: 'dry_run', channel, at });
    return { status: 'dry_run', sentAt: at.toISOString() };
  }

  async function inviteUsers(channel: string, ids: string[]): Promise<void> {
    const bot = await botUserId();
    const users = [...new Set(ids.filter((id) => id && id !== bot))];
    if (users.length === 0) return;
    try {
      await client!.conversations.invite({ channel, users: users.join(',') });
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
        await client!.conversations.invite({ channel, users: user });
      } catch (err) {
        const code = slackErrorCode(err);
        if (!code || !PER_USER_INVITE_ERRORS.has(code)) throw err;
        if (!IGNORED_INVITE_ERRORS.has(code)) warn('could not invite to the war room', { channel, user, error: code });
      }
    }
  }

  async function findChannelByName(name: string) {
    let cursor: string | undefined;
    do {
      const page = await client!.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 1000, cursor });
      const hit = (page.channels ?? []).find((c) => c.name === name);
      if (hit) return hit;
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return undefined;
  }

  /** Creates the channel, or finds the one an earlier attempt created (its purpose names the workflow). */
  async function createOrFindWarRoom(incident: Incident): Promise<{ id: string; name: string }> {
    const bot = await botUserId();
    const purpose = warRoomPurpose(incident);
    for (const name of [warRoomChannelName(incident), warRoomChannelName(incident, true)]) {
      try {
        const created = await client!.conversations.create({ name, is_private: true });
        const id = String(created.channel?.id);
        await client!.conversations.setPurpose({ channel: id, purpose });
        return { id, name };
      } catch (err) {
        if (slackErrorCode(err) !== 'name_taken') throw err;
        const found = await findChannelByName(name);
        const currentPurpose = found?.purpose?.value ?? '';
        // Ours: it names this workflow, or our bot created it and died before setting the purpose.
        if (found?.id && (currentPurpose.includes(incident.workflowId) || (found.creator === bot && !currentPurpose))) {
          if (!currentPurpose) await client!.conversations.setPurpose({ channel: found.id, purpose });
          return { id: found.id, name };
        }
      }
    }
    throw new SlackPermanentError('name_taken', `no free coordination channel name for ${incident.workflowId}`);
  }

  async function lookupIds(emails: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const email of new Set(emails.filter(Boolean))) {
      const stored = await findCsm(db, email);
      if (stored?.slackUserId) {
        ids.push(stored.slackUserId);
        continue;
      }
      try {
        const res = await client!.users.lookupByEmail({ email });
        if (res.user?.id) {
          ids.push(res.user.id);
          await rememberSlackIdentity(db, email, { slackUserId: res.user.id });
        }
      } catch (err) {
        if (!isPermanentSlackError(err)) throw err;
        warn('war-room member not found in Slack', { email, error: describeSlackError(err) });
      }
    }
    return ids;
  }

  const notifyCsm: SlackActivities['notifyCsm'] = async (input) => {
    const key = input.idempotencyKey;
    const existing = await findOutbox(db, key);
    if (existing && isDelivered(existing)) return duplicateResult(existing);

    const recipient = await recipientFor(input);
    const base = { idempotencyKey: key, incidentId: input.incident.id, channel: 'slack' as const, kind: input.kind };
    if ('error' in recipient) {
      return fail({ ...base, recipient: `manager of ${input.csm.email}`, payload: { error: recipient.error } }, recipient.error);
    }
    const [templates, componentNames] = await Promise.all([loadApprovedTemplates(db), loadComponentNames(db, input.incident.components)]);
    const render = (timeZone: string | undefined): SlackMessage => renderCsmMessage(input.kind, {
      incident: input.incident,
      recipient: { name: recipient.name, email: recipient.email },
      silentCsm: input.kind === 'escalation' ? { name: input.csm.name, email: input.csm.email } : undefined,
      customers: input.customers,
      totals: input.totals,
      dashboardUrl: input.dashboardUrl,
      approved: approvedMessage(templates, {
        incident: input.incident, componentNames,
        csm: input.kind === 'escalation' ? undefined : { name: input.csm.name, email: input.csm.email },
      }, { audience: 'csm' }),
      componentNames,
      timeZone,
      changes: input.changes,
      customerLimit: config.incidents.alertCustomerLimit,
      now: new Date().toISOString(),
    });
    const entry = (message: SlackMessage, slackUserId?: string) => ({
      ...base, recipient: recipient.email, payload: { ...message, slackUserId, thread: input.thread },
    });

    if (!client) return dryRun(entry(render(recipient.timeZone)));

    try {
      const user = await resolveSlackUser(recipient);
      const message = render(user.timeZone);
      const row = await claimOutbox(db, entry(message, user.userId));
      if (isDelivered(row)) return duplicateResult(row);
      return await postOnce(row, message, {
        channel: async () => {
          if (input.thread) return input.thread.channel;
          const opened = await client.conversations.open({ users: user.userId });
          return String(opened.channel?.id);
        },
        threadTs: input.thread?.ts,
      });
    } catch (err) {
      if (!isPermanentSlackError(err)) {
        await noteTransientError(db, key, describeSlackError(err));
        throw err;
      }
      // The alert's thread is gone (deleted message): the change still deserves a DM of its own.
      if (slackErrorCode(err) === 'thread_not_found' && input.thread) {
        return notifyCsm({ ...input, thread: undefined });
      }
      return fail(entry(render(recipient.timeZone)), describeSlackError(err));
    }
  };

  return {
    notifyCsm,

    async ensureWarRoom(input) {
      const { incident } = input;
      const componentNames = await loadComponentNames(db, incident.components);
      const summary = renderWarRoomSummary({ incident, totals: input.totals, dashboardUrl: input.dashboardUrl, componentNames });
      const name = warRoomChannelName(incident);
      const entry = (channelName: string) => ({
        idempotencyKey: input.idempotencyKey, incidentId: incident.id, channel: 'slack' as const, kind: 'war_room',
        recipient: `#${channelName}`, payload: { ...summary, channelName },
      });
      if (!client) {
        await dryRun(entry(name), `${DRY_RUN_CHANNEL_PREFIX}${name}`);
        return { channelId: `${DRY_RUN_CHANNEL_PREFIX}${name}`, name };
      }
      try {
        const done = await findOutbox(db, input.idempotencyKey);
        const room = done && isDelivered(done) && done.provider_channel
          ? { id: done.provider_channel, name: done.recipient.replace(/^#/, '') }
          : await createOrFindWarRoom(incident);
        await inviteUsers(room.id, [...input.memberSlackIds, ...(await lookupIds(input.memberEmails))]);
        const row = await claimOutbox(db, entry(room.name));
        if (!isDelivered(row)) await postOnce(row, summary, { channel: async () => room.id });
        return { channelId: room.id, name: room.name };
      } catch (err) {
        if (!isPermanentSlackError(err)) {
          await noteTransientError(db, input.idempotencyKey, describeSlackError(err));
          throw err;
        }
        // The incident goes on without a coordination channel; CSMs still get their DMs.
        await fail(entry(name), describeSlackError(err));
        return null;
      }
    },

    async postToWarRoom(input) {
      const message = renderWarRoomPost({ incident: input.incident, text: input.text });
      const entry = {
        idempotencyKey: input.idempotencyKey, incidentId: input.incident.id, channel: 'slack' as const, kind: 'war_room_post',
        recipient: input.channelId, payload: message,
      };
      const existing = await findOutbox(db, input.idempotencyKey);
      if (existing && isDelivered(existing)) return duplicateResult(existing);
      if (!client || input.channelId.startsWith(DRY_RUN_CHANNEL_PREFIX)) return dryRun(entry, input.channelId);
      try {
        const row = await claimOutbox(db, entry);
        if (isDelivered(row)) return duplicateResult(row);
        return await postOnce(row, message, { channel: async () => input.channelId });
      } catch (err) {
        if (!isPermanentSlackError(err)) {
          await noteTransientError(db, input.idempotencyKey, describeSlackError(err));
          throw err;
        }
        return fail(entry, describeSlackError(err));
      }
    },

    async inviteToWarRoom(input) {
      if (!client || input.channelId.startsWith(DRY_RUN_CHANNEL_PREFIX)) return;
      try {
        await inviteUsers(input.channelId, input.slackUserIds);
      } catch (err) {
        if (!isPermanentSlackError(err)) throw err;
        // An archived or deleted channel: inviting again cannot help, and must not fail the incident.
        warn('could not invite to the war room', { channel: input.channelId, error: describeSlackError(err) });
      }
    },
  };
}
