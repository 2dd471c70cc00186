/**
 * The Slack Web API client as Forewarn uses it, and how its errors are classified:
 * - 429: the client waits Retry-After and tries again (rejectRateLimitedCalls: false);
 * - permanent errors (unknown user, archived channel, bad token...): nothing to retry, recorded;
 * - anything else (network, 5xx, Slack's internal errors): thrown, so Temporal retries the activity.
 * The client never retries a request that may have reached Slack (a timeout on chat.postMessage
 * could otherwise post twice); the outbox and Temporal's retry handle those.
 */
import { ErrorCode, LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import type { Config } from '../config';

// Errors for which trying the same request again cannot succeed.
const PERMANENT = new Set([
  'users_not_found', 'user_not_found', 'user_disabled', 'user_not_visible', 'channel_not_found', 'is_archived',
  'invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission', 'missing_scope',
  'not_in_channel', 'invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'no_text', 'cannot_dm_bot',
  'restricted_action', 'team_access_not_granted', 'invalid_arguments', 'invalid_arg_name', 'not_allowed_token_type',
  'ekm_access_denied', 'messages_tab_disabled', 'invalid_name_specials', 'invalid_name_maxlength', 'invalid_name',
  'invalid_name_required', 'invalid_metadata_format', 'invalid_metadata_schema', 'metadata_too_large',
  'thread_not_found', 'method_deprecated', 'unknown_method', 'org_login_required', 'cant_invite', 'user_is_restricted',
  'user_is_ultra_restricted', 'no_user', 'users_list_not_supplied',
]);

export class SlackPermanentError extends Error {
  constructor(public readonly slackError: string, context: string) {
    super(`${context}: ${slackError}`);
    this.name = 'SlackPermanentError';
  }
}

/** The `error` code Slack answered, when the call reached Slack and was refused. */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; data?: { error?: string } };
  if (e?.code === ErrorCode.PlatformError) return e.data?.error;
  return undefined;
}

export function isPermanentSlackError(err: unknown): boolean {
  if (err instanceof SlackPermanentError) return true;
  const code = slackErrorCode(err);
  if (code) return PERMANENT.has(code);
  const http = err as { code?: string; statusCode?: number };
  // Slack answers 200 for everything but 429 and outages; a 4xx means the request itself is wrong.
  return http?.code === ErrorCode.HTTPError && typeof http.statusCode === 'number' && http.statusCode >= 400 && http.statusCode < 500 && http.statusCode !== 429;
}

export function describeSlackError(err: unknown): string {
  return slackErrorCode(err) ?? (err instanceof SlackPermanentError ? err.slackError : (err as Error)?.message ?? String(err));
}

/** Slack still answering 429 after the client's own waits: it is pacing us, not failing. */
export function isRateLimited(err: unknown): boolean {
  return /rate.?limit/i.test(describeSlackError(err));
}

/** Attempts for one call, only ever repeated after a 429 (the request was not processed). */
const RATE_LIMIT_RETRIES = 5;

export function createSlackClient(config: Config): WebClient {
  const retryConfig = {
    retries: RATE_LIMIT_RETRIES,
    factor: 1,
    // The client already waited Retry-After before failing the attempt; no extra back-off.
    minTimeout: 0,
    maxTimeout: 0,
    onFailedAttempt: (error: Error) => {
      if (!/rate limit was exceeded/i.test(error.message)) throw error;
    },
  } as WebClientOptions['retryConfig'];
  return new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl ? `${config.slack.apiUrl}/` : undefined,
    rejectRateLimitedCalls: false,
    retryConfig,
    timeout: 20_000,
    logLevel: LogLevel.ERROR,
  });
}
