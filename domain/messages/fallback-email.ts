/**
 * A CSM's alert (or its update, or resolution) by email, for a CSM Slack cannot reach (activities/fallback-email.ts):
 * the same content as the Slack message's plain-text rendering, without Slack's emoji codes and
 * markup, with why it came by email and where to act (the incident's dashboard page, which has
 * everything the Slack buttons do).
 */
import type { Incident } from '../types';
import { oneLine } from './format';
import type { SlackMessage } from './slack-kit';

export type FallbackKind = 'alert' | 'update' | 'resolution';

const SUBJECT: Record<FallbackKind, string> = { alert: 'Incident alert', update: 'Update', resolution: 'Resolved' };
const NOUN: Record<FallbackKind, string> = { alert: 'alert', update: 'update', resolution: 'resolution notice' };

export interface FallbackEmail { subject: string; text: string }

/** Slack's `:emoji:` codes, `*bold*`/`_italic_`/`~strike~` markers and `<url|label>` links, as plain text. */
export function plainFromSlack(text: string): string {
  return text
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<([^>]+)>/g, '$1')
    .replace(/(^|\s):[a-z0-9_+-]+:(?=\s|$)/g, '$1')
    .replace(/(^|[\s(])[*_~]([^*_~\n]+)[*_~](?=[\s).,:;!?]|$)/g, '$1$2')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
    .split('\n').map((l) => l.trim()).join('\n');
}

export function renderFallbackEmail(input: {
  kind: FallbackKind;
  incident: Incident;
  recipientName: string;
  message: SlackMessage;
  /** Why Slack could not deliver it (users_not_found, account_inactive, …). */
  slackError: string;
  /** The incident's dashboard page. */
  incidentUrl: string;
}): FallbackEmail {
  const { incident } = input;
  const subject = oneLine(`[Forewarn] ${SUBJECT[input.kind]}: ${incident.severity} ${incident.title}`);
  const text = [
    `Hi ${oneLine(input.recipientName)},`,
    '',
    `Forewarn could not reach you on Slack (${oneLine(input.slackError)}), so this ${NOUN[input.kind]} comes by email.`,
    '',
    plainFromSlack(input.message.text),
    '',
    `The incident and your affected customers, where you can record outreach: ${input.incidentUrl}`,
    '',
    'Please ask your Slack admin to check your Forewarn access, so the next alert reaches you in Slack.',
  ].join('\n');
  return { subject, text };
}
