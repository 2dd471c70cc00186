/**
 * The state the Slack activities share, handed explicitly to each of them: the client (none in
 * dry-run, without SLACK_BOT_TOKEN), the bot's own user id, the fallback by email and the storm
 * digests. One workspace a worker, so the bot's id is asked of Slack once.
 */
import type { WebClient } from '@slack/web-api';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { createDigests } from './alert-digest';
import { createFallbackEmail, type FallbackEmail } from './fallback-email';
import type { ActivityDeps } from './index';
import { createSlackClient } from './slack-client';
import { slackPost } from './slack-post';

export interface SlackDeps { config: ActivityDeps['config']; db: Kysely<Database> }

export interface SlackWorkspace extends SlackDeps {
  /** Undefined in dry-run: messages are rendered into the outbox, nothing is sent. */
  client?: WebClient;
  /** The bot's own Slack user id (asked once; again after a failed ask). */
  botUserId(): Promise<string>;
  /** Alerts, their updates and resolutions Slack cannot deliver go by email (undefined without ALERT_FALLBACK_SENDER). */
  fallback?: FallbackEmail;
  /** Storm digests (undefined in dry-run). */
  digests?: ReturnType<typeof createDigests>;
}

/** A workspace that really talks to Slack. */
export type LiveSlack = SlackWorkspace & { client: WebClient };

export function isLive(slack: SlackWorkspace): slack is LiveSlack {
  return slack.client !== undefined;
}

export function createSlackWorkspace(deps: SlackDeps): SlackWorkspace {
  const { config, db } = deps;
  const client = config.slack.dryRun ? undefined : createSlackClient(config);
  let botUser: Promise<string> | undefined;
  return {
    config,
    db,
    client,
    botUserId() {
      botUser ??= client!.auth.test().then((r) => String(r.user_id ?? '')).catch((err) => {
        botUser = undefined;
        throw err;
      });
      return botUser;
    },
    fallback: createFallbackEmail(deps),
    digests: client ? createDigests({ db, client, post: (key, message, where) => slackPost(client, key, message, where) }) : undefined,
  };
}
