/**
 * Customer emails in the CSM's own Gmail: a draft per customer (or a sent message when `send`),
 * through the outbox, one row per customer keyed `<idempotencyPrefix>:<customer id>`.
 *
 * Auth: the service account (GOOGLE_SERVICE_ACCOUNT_KEY_FILE) with domain-wide delegation
 * impersonates the CSM (JWT `sub`). GOOGLE_TOKEN_URL and GMAIL_API_ROOT_URL redirect the token
 * exchange and the API (tests, proxies). Without a key file: dry-run, rendered into the outbox.
 *
 * Failures: a customer without a usable address, or an address Gmail refuses, fails alone; a
 * mailbox that cannot be impersonated fails that CSM's customers without further calls; anything
 * transient (429, 5xx, network) is retried by Temporal once the other customers are done — rows
 * already drafted then answer 'duplicate'.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { google, type gmail_v1 } from 'googleapis';
import { CancelledFailure, log as activityLog } from '@temporalio/activity';
import { claimOutbox, findOutbox, isDelivered, markDelivered, markFailed, noteAttempt, noteTransientError, type OutboxEntry } from '../db/outbox';
import { loadApprovedTemplates, loadComponentNames } from '../db/message-data';
import { renderCustomerEmail } from '../domain/messages/email';
import { isValidEmailAddress, rawEmailBase64Url } from '../domain/messages/rfc2822';
import { cancellable } from './cancellable';
import type { ActivityDeps } from './index';
import type { EmailResult, IncidentActivities } from './types';

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Drafts and sending; nothing that reads the CSM's mail. */
export const GMAIL_SCOPES = ['https://www.googleapis.com/auth/gmail.compose'];

interface ServiceAccountKey { client_email: string; private_key: string }

interface GoogleError { status?: number; response?: { status?: number; data?: unknown }; config?: { url?: unknown }; message?: string }

function statusOf(err: unknown): number | undefined {
  const e = err as GoogleError;
  return e?.response?.status ?? e?.status;
}

function describe(err: unknown): string {
  const e = err as GoogleError;
  const status = statusOf(err);
  return `${status ? `${status} ` : ''}${e?.message ?? String(err)}`.slice(0, 500);
}

function warn(message: string, attrs: Record<string, unknown>): void {
  try {
    activityLog.warn(message, attrs);
  } catch {
    // Outside an activity (unit tests).
  }
}

/** Stable per outbox key, so a retry can find a copy an earlier attempt created (`rfc822msgid:`). */
function messageIdFor(key: string, senderEmail: string): string {
  const domain = senderEmail.split('@')[1] ?? 'forewarn.local';
  return `forewarn-${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${domain}`;
}

export function createGmailActivities(deps: Pick<ActivityDeps, 'config' | 'db'>): Pick<IncidentActivities, 'draftCustomerEmails'> {
  const { config, db } = deps;
  const keyFile = config.google.serviceAccountKeyFile;
  const tokenUrl = config.google.tokenUrl;
  const isTokenCall = (err: unknown) => {
    const url = String((err as GoogleError)?.config?.url ?? '');
    return url === GOOGLE_TOKEN_URL || (tokenUrl !== undefined && url.startsWith(tokenUrl));
  };
  let key: ServiceAccountKey | undefined;
  const mailboxes = new Map<string, gmail_v1.Gmail>();

  /** A Gmail client acting as the CSM; one per mailbox so access tokens are reused. */
  function gmailFor(email: string): gmail_v1.Gmail {
    const cached = mailboxes.get(email);
    if (cached) return cached;
    key ??= JSON.parse(readFileSync(keyFile!, 'utf8')) as ServiceAccountKey;
    const auth = new google.auth.JWT({ email: key.client_email, key: key.private_key, scopes: GMAIL_SCOPES, subject: email });
    if (tokenUrl) {
      // google-auth-library has the token endpoint built in; redirect the exchange when configured.
      auth.transporter.interceptors.request.add({
        resolved: async (opts) => {
          if (String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(tokenUrl);
          return opts;
        },
      });
    }
    const gmail = google.gmail({ version: 'v1', auth, rootUrl: config.google.gmailApiRootUrl ? `${config.google.gmailApiRootUrl}/` : undefined });
    mailboxes.set(email, gmail);
    return gmail;
  }

  async function findEarlierCopy(gmail: gmail_v1.Gmail, messageId: string, send: boolean): Promise<string | undefined> {
    const q = `rfc822msgid:${messageId}`;
    if (send) {
      const res = await gmail.users.messages.list({ userId: 'me', q, maxResults: 1 });
      return res.data.messages?.[0]?.id ?? undefined;
    }
    const res = await gmail.users.drafts.list({ userId: 'me', q, maxResults: 1 });
    return res.data.drafts?.[0]?.id ?? undefined;
  }

  return {
    async draftCustomerEmails(input) {
      const { incident, csm, kind, send } = input;
      const [templates, componentNames] = await Promise.all([loadApprovedTemplates(db), loadComponentNames(db, incident.components)]);
      const results: EmailResult[] = [];
      const transient: unknown[] = [];
      let mailboxError: string | undefined = isValidEmailAddress(csm.email) ? undefined : 'invalid_sender_address';

      const fail = async (entry: OutboxEntry, customerId: string, error: string) => {
        await claimOutbox(db, entry);
        await markFailed(db, entry.idempotencyKey, error);
        warn('customer email not created', { idempotencyKey: entry.idempotencyKey, recipient: entry.recipient, error });
        results.push({ customerId, status: 'failed', error });
      };

      for (const customer of input.customers) {
        const idempotencyKey = `${input.idempotencyPrefix}:${customer.id}`;
        const existing = await findOutbox(db, idempotencyKey);
        if (existing && isDelivered(existing)) {
          results.push({ customerId: customer.id, status: 'duplicate', ref: existing.provider_ref ?? undefined });
          continue;
        }
        const email = renderCustomerEmail({
          kind, incident, csm: { name: csm.name, email: csm.email }, templates, componentNames,
          customer: { id: customer.id, name: customer.name, contactName: customer.contactName, contactEmail: customer.contactEmail, componentNames: customer.componentNames },
        });
        const to = customer.contactEmail?.trim();
        const messageId = messageIdFor(idempotencyKey, csm.email);
        const entry: OutboxEntry = {
          idempotencyKey, incidentId: incident.id, channel: 'email', recipient: to || `customer:${customer.id}`, kind: `email_${kind}`,
          payload: { from: csm.email, to: to ?? null, subject: email.subject, text: email.text, send, messageId, templateKey: email.approved.templateKey },
        };
        if (!to) { await fail(entry, customer.id, 'no_contact_email'); continue; }
        if (!isValidEmailAddress(to)) { await fail(entry, customer.id, 'invalid_address'); continue; }
        if (mailboxError) { await fail(entry, customer.id, mailboxError); continue; }

        const row = await claimOutbox(db, entry);
        if (isDelivered(row)) {
          results.push({ customerId: customer.id, status: 'duplicate', ref: row.provider_ref ?? undefined });
          continue;
        }
        if (!keyFile) {
          await markDelivered(db, idempotencyKey, { status: 'dry_run' });
          results.push({ customerId: customer.id, status: 'dry_run' });
          continue;
        }
        const gmail = gmailFor(csm.email);
        try {
          let ref = row.attempts > 0 ? await findEarlierCopy(gmail, messageId, send) : undefined;
          if (!ref) {
            const raw = rawEmailBase64Url({
              from: { name: csm.name, email: csm.email }, to: { name: customer.contactName, email: to },
              subject: email.subject, text: email.text, messageId, date: new Date(),
            });
            await noteAttempt(db, idempotencyKey);
            ref = send
              ? (await cancellable(gmail.users.messages.send({ userId: 'me', requestBody: { raw } }))).data.id ?? undefined
              : (await cancellable(gmail.users.drafts.create({ userId: 'me', requestBody: { message: { raw } } }))).data.id ?? undefined;
          }
          const status = send ? 'sent' : 'drafted';
          await markDelivered(db, idempotencyKey, { status, ref });
          results.push({ customerId: customer.id, status, ref });
        } catch (err) {
          if (err instanceof CancelledFailure) {
            // Worker shutting down: stop here; the retry continues where this attempt left off.
            await noteTransientError(db, idempotencyKey, 'cancelled (worker shutdown)');
            throw err;
          }
          const status = statusOf(err);
          if (isTokenCall(err) ? status !== undefined && status >= 400 && status < 500 && status !== 429 : status === 401 || status === 403) {
            // Delegation missing or revoked for this mailbox: every further call would fail the same way.
            mailboxError = `mailbox_unavailable: ${describe(err)}`;
            await fail(entry, customer.id, mailboxError);
          } else if (status === 400 || status === 404) {
            await fail(entry, customer.id, `rejected: ${describe(err)}`);
          } else {
            await noteTransientError(db, idempotencyKey, describe(err));
            transient.push(err);
          }
        }
      }
      if (transient.length > 0) {
        // Retried by Temporal; what is already drafted comes back as 'duplicate'.
        throw new Error(`${transient.length} email(s) for ${csm.email} hit a temporary error: ${describe(transient[0])}`);
      }
      return results;
    },
  };
}
