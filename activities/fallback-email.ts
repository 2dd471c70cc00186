/**
 * Fallback delivery: a CSM alert (or its update, or resolution) Slack could not deliver — the user is unknown or
 * deactivated, or Slack kept failing — goes to the CSM by email from ALERT_FALLBACK_SENDER's
 * mailbox (Gmail with the service account impersonating the sender, gmail.ts), through the outbox
 * protocol under the Slack message's key + `:email`, so it is sent once whatever retries follow.
 * Without a Google key file it is rendered into the outbox as dry_run, like every other email.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { CsmMessageKind } from '../domain/incident/model';
import { renderFallbackEmail, type FallbackKind } from '../domain/messages/fallback-email';
import { isValidEmailAddress, rawEmailBase64Url } from '../domain/messages/rfc2822';
import type { SlackMessage } from '../domain/messages';
import type { Incident } from '../domain/types';
import { dryRunProvider } from './dry-run';
import { createGmailMailboxes, messageIdFor } from './gmail';
import { withHeartbeat } from './heartbeat';
import type { ActivityDeps } from './index';
import { failOnce, findDelivered, sendOnce, type Provider, type SendOutcome } from './outbox-send';

/**
 * The messages a CSM must not miss: the alert, its updates (a status change, customers newly affected)
 * and the resolution. Reminders stay in Slack: they point back to what the CSM already has by email.
 */
export const FALLBACK_KINDS: ReadonlySet<CsmMessageKind> = new Set<FallbackKind>(['alert', 'update', 'resolution']);

function fallbackKey(slackKey: string): string {
  return `${slackKey}:email`;
}

export interface FallbackInput {
  slackKey: string;
  kind: CsmMessageKind;
  incident: Incident;
  csm: { name: string; email: string };
  message: SlackMessage;
  slackError: string;
  incidentUrl: string;
}

/** Undefined when no fallback sender is configured. */
export function createFallbackEmail(deps: { config: ActivityDeps['config']; db: Kysely<Database> }) {
  const { config, db } = deps;
  const sender = config.incidents.alertFallback.sender;
  if (!sender) return undefined;
  const mailboxes = config.google.serviceAccountKeyFile ? createGmailMailboxes(config) : undefined;

  return {
    /** The email sent earlier for this Slack message, if any (a retried activity answers it as a duplicate). */
    delivered: (slackKey: string) => findDelivered(db, fallbackKey(slackKey)),

    async send(input: FallbackInput): Promise<SendOutcome> {
      const key = fallbackKey(input.slackKey);
      const email = renderFallbackEmail({
        kind: input.kind as FallbackKind, incident: input.incident, recipientName: input.csm.name, message: input.message,
        slackError: input.slackError, incidentUrl: input.incidentUrl,
      });
      const messageId = messageIdFor(key, sender);
      const entry = {
        idempotencyKey: key, incidentId: input.incident.id, channel: 'email' as const, recipient: input.csm.email, kind: `fallback_${input.kind}`,
        payload: { from: sender, to: input.csm.email, subject: email.subject, text: email.text, messageId, slackError: input.slackError },
      };
      if (!isValidEmailAddress(input.csm.email)) return failOnce(db, entry, 'invalid_address');
      return withHeartbeat((hb) => {
        const provider: Provider = mailboxes
          ? mailboxes.provider({ sender: { email: sender }, send: true, hb }, messageId, () => rawEmailBase64Url({
            from: { name: 'Forewarn', email: sender }, to: { name: input.csm.name, email: input.csm.email },
            subject: email.subject, text: email.text, messageId, date: new Date(),
          }))
          : dryRunProvider(String);
        return sendOnce(db, entry, provider);
      });
    },
  };
}

export type FallbackEmail = NonNullable<ReturnType<typeof createFallbackEmail>>;
