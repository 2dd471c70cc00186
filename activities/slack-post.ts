/**
 * One Slack message posted through the outbox protocol (outbox-send.ts), and its outcome as the
 * Slack activities answer it.
 *
 * Every message carries its idempotency key in Slack message metadata, so a key claimed by an
 * attempt that died mid-send is first looked up in the conversation before anything is posted again.
 */
import type { WebClient } from '@slack/web-api';
import type { SlackMessage } from '../domain/messages';
import { cancellable } from './cancellable';
import { dryRunProvider } from './dry-run';
import type { Provider, SendOutcome } from './outbox-send';
import { describeSlackError, isPermanentSlackError } from './slack-client';
import type { NotifyResult } from './types';

/** Slack message metadata event that carries the outbox key (found again after a crash). */
export const NOTIFICATION_EVENT = 'forewarn_notification';

export interface PostTarget {
  /** The conversation (opened only when the message is really sent, e.g. a DM). */
  channel: () => Promise<string>;
  threadTs?: string;
}

export function notifyResult(o: SendOutcome): NotifyResult {
  return {
    status: o.status === 'drafted' ? 'sent' : o.status, channel: o.channel, ts: o.ref, error: o.error, sentAt: o.at.toISOString(),
  };
}

export function isDelivered(r: NotifyResult): boolean {
  return r.status === 'sent' || r.status === 'dry_run' || r.status === 'duplicate';
}

/** Dry-run (no SLACK_BOT_TOKEN): rendered into the outbox, nothing sent. */
export function slackDryRun(channel?: string): Provider {
  return dryRunProvider(describeSlackError, channel);
}

/** The ts of a message already posted with this key (an earlier attempt that died before recording it). */
async function findPosted(client: WebClient, where: { channel: string; threadTs?: string }, key: string, since: Date): Promise<string | undefined> {
  const { channel, threadTs } = where;
  const oldest = String(Math.floor(since.getTime() / 1000) - 60);
  const res = threadTs
    ? await client.conversations.replies({ channel, ts: threadTs, oldest, include_all_metadata: true, limit: 200 })
    : await client.conversations.history({ channel, oldest, include_all_metadata: true, limit: 200 });
  const hit = (res.messages ?? []).find((m) => {
    const meta = (m as { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }).metadata;
    return meta?.event_type === NOTIFICATION_EVENT && meta.event_payload?.idempotency_key === key;
  });
  return hit?.ts;
}

/**
 * Posts `message` (its key in the metadata) where `where` says, opening the channel only when needed;
 * a retry first looks for the copy an earlier attempt may have posted.
 */
export function slackPost(client: WebClient, key: string, message: SlackMessage, where: PostTarget): Provider {
  let channel: Promise<string> | undefined;
  const target = () => (channel ??= where.channel());
  return {
    async findEarlier(row) {
      const ch = await target();
      const ts = await findPosted(client, { channel: ch, threadTs: where.threadTs }, key, row.created_at);
      return ts ? { status: 'sent', ref: ts, channel: ch } : undefined;
    },
    async send() {
      const ch = await target();
      const res = await cancellable(client.chat.postMessage({
        channel: ch,
        text: message.text,
        blocks: message.blocks as never,
        thread_ts: where.threadTs,
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: NOTIFICATION_EVENT, event_payload: { idempotency_key: key } },
      }));
      return { status: 'sent', ref: String(res.ts), channel: String(res.channel ?? ch) };
    },
    isPermanent: isPermanentSlackError,
    describe: describeSlackError,
  };
}
