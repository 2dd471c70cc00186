/**
 * The Slack side of storm digests (the rule: domain/alert-digest.ts; the state: db/alert-digests.ts).
 *
 * `show` makes sure the digest's DM exists and lists every incident that joined it: whoever holds
 * the digest's lease posts it once through the outbox (its key in the message metadata, so a crash
 * mid-post is reconciled like any message) and then keeps it current with chat.update; the others
 * only wait for the message to exist, since the holder renders their joins too. chat.update is not
 * a new message, so a digest with fifty incidents still costs the CSM one notification.
 */
import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import { log as activityLog } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import {
  bumpDigest, digestAt, digestEntries, findDigest, markDigestShown, releaseDigestLease, takeDigestLease, type DigestLocation,
} from '../db/alert-digests';
import { findOutbox } from '../db/outbox';
import type { Database } from '../db/types';
import { renderDigest } from '../domain/messages/digest';
import type { SlackMessage } from '../domain/messages';
import { cancellable } from './cancellable';
import { withHeartbeat } from './heartbeat';
import { sendOnce, type Provider } from './outbox-send';
import { describeSlackError, isPermanentSlackError } from './slack-client';

/** A holder that died frees its lease after this long; comfortably above one post with its 429 waits. */
const LEASE_MS = 120_000;
/** How often an alert waiting for the digest's first post looks again. */
const WAIT_MS = 200;

export interface DigestDeps {
  db: Kysely<Database>;
  client: WebClient;
  /** The one way a Slack message is posted with its key (activities/slack-post.ts). */
  post: (key: string, message: SlackMessage, where: { channel: () => Promise<string> }) => Provider;
}

export interface ShowDigest {
  key: string;
  csmEmail: string;
  dashboardUrl: string;
  /** The CSM's DM channel (opened on first use). */
  channel: () => Promise<string>;
}

export function createDigests(deps: DigestDeps) {
  const { db, client } = deps;

  async function render(key: string, dashboardUrl: string): Promise<SlackMessage> {
    return renderDigest({ entries: await digestEntries(db, key), dashboardUrl });
  }

  /** Posts (once) or updates the digest until it shows every join; undefined when Slack refused the post for good. */
  async function renderAsHolder(input: ShowDigest, owner: string, version: number, location?: DigestLocation): Promise<DigestLocation | undefined> {
    for (;;) {
      const message = await render(input.key, input.dashboardUrl);
      if (!location) {
        const posted = await sendOnce(db, {
          idempotencyKey: input.key, channel: 'slack', kind: 'digest', recipient: input.csmEmail, payload: message,
        }, deps.post(input.key, message, { channel: input.channel }));
        if (posted.status === 'failed' || !posted.ref || !posted.channel) {
          await releaseDigestLease(db, input.key, owner);
          return undefined;
        }
        location = { channel: posted.channel, ts: posted.ref };
      } else {
        try {
          await cancellable(client.chat.update({ channel: location.channel, ts: location.ts, text: message.text, blocks: message.blocks as never }));
        } catch (err) {
          if (!isPermanentSlackError(err) && !/message_not_found|cant_update_message|edit_window_closed/.test(describeSlackError(err))) throw err;
          // The CSM deleted it (or Slack will not edit it): the incidents' alerts still reach the thread.
          activityLog.warn('storm digest could not be updated', { key: input.key, error: describeSlackError(err) });
        }
      }
      const next = await markDigestShown(db, { key: input.key, owner, version, location, ms: LEASE_MS });
      if (next === undefined) return location;
      version = next;
    }
  }

  /** The digest's message, showing at least every join made before this call. */
  async function show(input: ShowDigest): Promise<DigestLocation | undefined> {
    const owner = randomUUID();
    return withHeartbeat(async (hb) => {
      for (;;) {
        const lease = await takeDigestLease(db, input.key, owner, LEASE_MS);
        if (lease) {
          try {
            return await renderAsHolder(input, owner, lease.version, lease.location);
          } catch (err) {
            await releaseDigestLease(db, input.key, owner);
            throw err;
          }
        }
        // Someone else renders, our join included; the alert's detail only needs the message to exist.
        const digest = await findDigest(db, input.key);
        if (digest?.channel && digest.ts) return { channel: digest.channel, ts: digest.ts };
        if ((await findOutbox(db, input.key))?.status === 'failed') return undefined;
        await hb.sleep(WAIT_MS);
      }
    });
  }

  /**
   * A message went into `thread`: when that thread is a digest's, what it lists (an incident's
   * status) may have changed, so it is rendered again.
   */
  async function refreshAt(thread: DigestLocation, csmEmail: string, dashboardUrl: string): Promise<void> {
    const key = await digestAt(db, thread);
    if (!key) return;
    await bumpDigest(db, key);
    await show({ key, csmEmail, dashboardUrl, channel: async () => thread.channel });
  }

  return { show, refreshAt };
}
