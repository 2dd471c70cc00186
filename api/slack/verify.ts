/**
 * Slack request verification (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">` with the
 * app's signing secret, and a timestamp within five minutes of now (replayed requests fail).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_MAX_AGE_SECONDS = 5 * 60;

export type SlackVerification = { ok: true } | { ok: false; reason: string };

export function slackSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`, 'utf8').digest('hex')}`;
}

export function verifySlackRequest(input: {
  signingSecret: string | undefined; timestamp: string | undefined; signature: string | undefined; rawBody: string; nowMs: number;
}): SlackVerification {
  if (!input.signingSecret) return { ok: false, reason: 'Slack requests cannot be verified: SLACK_SIGNING_SECRET is not configured.' };
  if (!input.timestamp || !/^\d{1,12}$/.test(input.timestamp)) return { ok: false, reason: 'X-Slack-Request-Timestamp is missing or not a number.' };
  if (!input.signature) return { ok: false, reason: 'X-Slack-Signature is missing.' };
  const age = Math.abs(input.nowMs / 1000 - Number(input.timestamp));
  if (age > SLACK_MAX_AGE_SECONDS) return { ok: false, reason: 'X-Slack-Request-Timestamp is more than 5 minutes away from now (replayed or clock skew).' };
  const expected = Buffer.from(slackSignature(input.signingSecret, input.timestamp, input.rawBody), 'utf8');
  const given = Buffer.from(input.signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'X-Slack-Signature does not match the request (wrong signing secret or altered body).' };
  }
  return { ok: true };
}
