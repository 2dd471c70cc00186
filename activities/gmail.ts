/**
 * Customer emails in the CSM's own Gmail: a draft per customer (or a sent message when `send`),
 * each through the outbox protocol (outbox-send.ts), one row per customer keyed
 * `<idempotencyPrefix>:<customer id>`.
 *
 * `prepareCustomerEmails` reads its audience from Postgres page by page (db/email-batches.ts) and
 * writes each page's outcome back set-based (outreach moves, outreach_error). It heartbeats after
 * every customer with the cursor of the last page written back, so an attempt that dies (worker
 * crash, cancellation) is resumed by the next one from there: customers of the unfinished page
 * come back 'duplicate' from the outbox (a draft an attempt created without recording it is found
 * by its Message-ID), so nobody gets a second draft. `draftCustomerEmails` (incidents on the old
 * workflow type) is given its customers and shares the same per-customer core.
 *
 * Gmail's quota: a 429, or a 403 whose reason is rateLimitExceeded / userRateLimitExceeded, is
 * waited out inside the activity (Retry-After when Gmail gives one, else exponential backoff with
 * a cap), heartbeating meanwhile; it is never counted as a failure.
 *
 * Auth: the service account (GOOGLE_SERVICE_ACCOUNT_KEY_FILE) with domain-wide delegation
 * impersonates the CSM (JWT `sub`). GOOGLE_TOKEN_URL and GMAIL_API_ROOT_URL redirect the token
 * exchange and the API (tests, proxies). Without a key file: dry-run, rendered into the outbox.
 *
 * Failures: a customer without a usable address, or an address Gmail refuses, fails alone; a
 * mailbox that cannot be impersonated fails that CSM's customers without further calls; anything
 * else transient (5xx, network) is retried by Temporal once the other customers are done.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { google, type gmail_v1 } from 'googleapis';
import { CancelledFailure } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { findCsmRecord } from '../db/csm-slices';
import { applyEmailPage, audiencePage, type PageCursor } from '../db/email-batches';
import { loadApprovedTemplates, loadComponentNames } from '../db/message-data';
import { findDeliveredMany, type OutboxEntry } from '../db/outbox';
import type { Database, NotificationRow } from '../db/types';
import type { EmailBatchResult } from '../domain/incident/model';
import { csatLink } from '../domain/csat-link';
import { renderCustomerEmail, type EmailCustomer } from '../domain/messages/email';
import { isValidEmailAddress, rawEmailBase64Url } from '../domain/messages/rfc2822';
import { templateUsed, type MessageTemplate } from '../domain/messages/templates';
import type { Incident } from '../domain/types';
import { warn } from './activity-context';
import { cancellable } from './cancellable';
import { dryRunProvider } from './dry-run';
import { withHeartbeat, type Heartbeat } from './heartbeat';
import type { ActivityDeps } from './index';
import { duplicateOf, failOnce, sendOnce, type Provider, type SendOutcome } from './outbox-send';
import type { EmailResult, IncidentActivities } from './types';

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Drafts and sending; nothing that reads the CSM's mail. */
export const GMAIL_SCOPES = ['https://www.googleapis.com/auth/gmail.compose'];
/** The outreach tracking only: whether a Forewarn draft was sent and the customer replied (its own token). */
const GMAIL_READ_SCOPES = ['https://www.googleapis.com/auth/gmail.readonly'];

/** Page size and quota back-off; tests shorten the waits. */
export interface GmailTuning {
  pageSize: number;
  /** First wait after a quota error without Retry-After, doubled each time up to `maxMs` (also the cap on Retry-After). */
  quotaWait: { initialMs: number; maxMs: number };
}
export const DEFAULT_GMAIL_TUNING: GmailTuning = { pageSize: 200, quotaWait: { initialMs: 1_000, maxMs: 64_000 } };

/** Quota reasons Gmail gives with 403 (and 429) that say "slow down", not "forbidden". */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

interface ServiceAccountKey { client_email: string; private_key: string }

interface GoogleError {
  status?: number;
  response?: { status?: number; data?: unknown; headers?: unknown };
  config?: { url?: unknown };
  errors?: { reason?: string }[];
  message?: string;
}

/** The HTTP status of a Gmail API error (googleapis puts it in either place). */
export function statusOf(err: unknown): number | undefined {
  const e = err as GoogleError;
  return e?.response?.status ?? e?.status;
}

function describe(err: unknown): string {
  const e = err as GoogleError;
  const status = statusOf(err);
  return `${status ? `${status} ` : ''}${e?.message ?? String(err)}`.slice(0, 500);
}

function reasonsOf(err: unknown): string[] {
  const e = err as GoogleError;
  const data = e?.response?.data as { error?: { errors?: { reason?: string }[] } } | undefined;
  return [...(data?.error?.errors ?? []), ...(e?.errors ?? [])].map((x) => x?.reason ?? '').filter(Boolean);
}

/** Gmail asking us to slow down: wait and try the same request again (it was not processed). */
export function isQuotaError(err: unknown): boolean {
  const status = statusOf(err);
  return status === 429 || (status === 403 && reasonsOf(err).some((r) => RATE_LIMIT_REASONS.has(r)));
}

/** Retry-After (seconds or an HTTP date) in ms, when the answer carries one. */
function retryAfterMs(err: unknown): number | undefined {
  const headers = (err as GoogleError)?.response?.headers as { get?: (n: string) => string | null } & Record<string, unknown> | undefined;
  const raw = typeof headers?.get === 'function' ? headers.get('retry-after') : headers?.['retry-after'];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(String(raw));
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Stable per outbox key, so a retry can find a copy an earlier attempt created (`rfc822msgid:`). */
export function messageIdFor(key: string, senderEmail: string): string {
  const domain = senderEmail.split('@')[1] ?? 'forewarn.local';
  return `forewarn-${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${domain}`;
}

/** One CSM's run of emails: what every customer's email is built from, and what the run learnt so far. */
interface EmailRun {
  prefix: string;
  kind: 'outreach' | 'resolution';
  send: boolean;
  incident: Incident;
  sender: { name: string; email: string };
  templates: MessageTemplate[];
  componentNames: Record<string, string>;
  /** Set once the mailbox refused us for good: later customers fail without a call. */
  mailboxError?: string;
  hb: Heartbeat<unknown>;
}

/** A customer's result, or the transient error that kept it from one (retried by Temporal). */
type CustomerOutcome = { result: EmailResult } | { transient: unknown };

/** Where a batched run stands: the last customer whose page is written back, and the counts up to it. */
interface EmailProgress { after?: PageCursor; done: number; failed: number; finished?: boolean }

function emailResult(customerId: string, o: SendOutcome): EmailResult {
  return { customerId, status: o.status, ref: o.ref, error: o.error };
}

function outreachNote(kind: 'outreach' | 'resolution', send: boolean, actor: string): string {
  const what = kind === 'resolution' ? 'Resolution email sent' : send ? 'Email sent from the CSM\'s mailbox' : 'Gmail draft ready in the CSM\'s mailbox';
  return actor && actor !== 'forewarn' ? `${what} (asked by ${actor})` : what;
}

/** Who an email goes out as, and whether it is sent or left as a draft; `hb` beats while Gmail's quota is waited out. */
export interface MailboxUse { sender: { email: string }; send: boolean; hb: Heartbeat<unknown> }

/**
 * Gmail as the service account (domain-wide delegation) impersonating a mailbox, shared by the
 * customer emails below and the CSM alerts Slack could not deliver (fallback-email.ts).
 */
export interface GmailMailboxes {
  /** Sends (or drafts) the message from `use.sender`'s mailbox through the outbox protocol; a retry finds a copy by Message-ID. */
  provider(use: MailboxUse, messageId: string, raw: () => string): Provider;
  /** Reads `mailbox` with the read scope alone, waiting out Gmail's quota errors (heartbeating): the outreach tracking. */
  read<T>(mailbox: string, hb: Heartbeat<unknown>, call: (gmail: gmail_v1.Gmail) => Promise<T>): Promise<T>;
}

export function createGmailMailboxes(config: ActivityDeps['config'], quotaWait: GmailTuning['quotaWait'] = DEFAULT_GMAIL_TUNING.quotaWait): GmailMailboxes {
  const keyFile = config.google.serviceAccountKeyFile;
  const tokenUrl = config.google.tokenUrl;
  const isTokenCall = (err: unknown) => {
    const url = String((err as GoogleError)?.config?.url ?? '');
    return url === GOOGLE_TOKEN_URL || (tokenUrl !== undefined && url.startsWith(tokenUrl));
  };
  let key: ServiceAccountKey | undefined;

  const mailboxes = new Map<string, gmail_v1.Gmail>();

  /** A Gmail client acting as a mailbox (a CSM's, or the alert fallback sender's); one per mailbox and scope so access tokens are reused. */
  function gmailFor(email: string, scopes = GMAIL_SCOPES): gmail_v1.Gmail {
    const cacheKey = `${scopes.join(' ')} ${email}`;
    const cached = mailboxes.get(cacheKey);
    if (cached) return cached;
    key ??= JSON.parse(readFileSync(keyFile!, 'utf8')) as ServiceAccountKey;
    const auth = new google.auth.JWT({ email: key.client_email, key: key.private_key, scopes, subject: email });
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
    mailboxes.set(cacheKey, gmail);
    return gmail;
  }

  /** Runs a Gmail call, waiting out Gmail's quota errors (heartbeating) until it goes through. */
  async function withinQuota<T>(hb: Heartbeat<unknown>, call: () => Promise<T>): Promise<T> {
    let backoff = quotaWait.initialMs;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!isQuotaError(err)) throw err;
        const jitter = Math.floor(Math.random() * Math.min(1_000, backoff / 4));
        const wait = Math.min(retryAfterMs(err) ?? backoff + jitter, quotaWait.maxMs);
        warn('Gmail quota reached: waiting before trying again', { waitMs: wait, error: describe(err) });
        await hb.sleep(wait);
        backoff = Math.min(backoff * 2, quotaWait.maxMs);
      }
    }
  }

  /** Why Gmail refused, for good: the whole mailbox, or this one message. Undefined: transient. */
  function permanentReason(err: unknown): string | undefined {
    if (isQuotaError(err)) return undefined;
    const status = statusOf(err);
    const mailbox = isTokenCall(err) ? status !== undefined && status >= 400 && status < 500 : status === 401 || status === 403;
    // Delegation missing or revoked for this mailbox: every further call would fail the same way.
    if (mailbox) return `mailbox_unavailable: ${describe(err)}`;
    if (!isTokenCall(err) && (status === 400 || status === 404)) return `rejected: ${describe(err)}`;
    return undefined;
  }

  function gmailProvider(run: MailboxUse, messageId: string, raw: () => string): Provider {
    const gmail = gmailFor(run.sender.email);
    const status = run.send ? 'sent' as const : 'drafted' as const;
    return {
      async findEarlier() {
        const q = `rfc822msgid:${messageId}`;
        const ref = run.send
          ? (await withinQuota(run.hb, () => cancellable(gmail.users.messages.list({ userId: 'me', q, maxResults: 1 })))).data.messages?.[0]?.id
          : (await withinQuota(run.hb, () => cancellable(gmail.users.drafts.list({ userId: 'me', q, maxResults: 1 })))).data.drafts?.[0]?.id;
        return ref ? { status, ref } : undefined;
      },
      async send() {
        const body = raw();
        const ref = run.send
          ? (await withinQuota(run.hb, () => cancellable(gmail.users.messages.send({ userId: 'me', requestBody: { raw: body } })))).data.id
          : (await withinQuota(run.hb, () => cancellable(gmail.users.drafts.create({ userId: 'me', requestBody: { message: { raw: body } } })))).data.id;
        return { status, ref: ref ?? undefined };
      },
      isPermanent: (err) => permanentReason(err) !== undefined,
      describe: (err) => permanentReason(err) ?? describe(err),
    };
  }

  return {
    provider: gmailProvider,
    read: (mailbox, hb, call) => withinQuota(hb, () => cancellable(call(gmailFor(mailbox, GMAIL_READ_SCOPES)))),
  };
}

export function createGmailActivities(
  deps: { config: ActivityDeps['config']; db: Kysely<Database> }, tuning: Partial<GmailTuning> = {},
): Pick<IncidentActivities, 'draftCustomerEmails' | 'prepareCustomerEmails'> {
  const { config, db } = deps;
  const { pageSize, quotaWait } = { ...DEFAULT_GMAIL_TUNING, ...tuning };
  const keyFile = config.google.serviceAccountKeyFile;
  const mailboxes = createGmailMailboxes(config, quotaWait);
  /** The customer's one-click rating link in resolution emails, when CSAT_SIGNING_SECRET is set. */
  function ratingLinkFor(kind: 'outreach' | 'resolution', incidentId: string, customerId: string): string | undefined {
    const { secret, linkDays } = config.csat;
    if (kind !== 'resolution' || !secret) return undefined;
    return csatLink({ baseUrl: config.api.publicBaseUrl, secret, incidentId, customerId, expiresAt: new Date(Date.now() + linkDays * 86_400_000) });
  }

  /** The per-customer core both activities share: render, then send once through the outbox. */
  async function emailOne(run: EmailRun, customer: EmailCustomer, delivered?: NotificationRow): Promise<CustomerOutcome> {
    if (delivered) return { result: emailResult(customer.id, duplicateOf(delivered)) };
    const idempotencyKey = `${run.prefix}:${customer.id}`;
    const { incident, sender, kind, send } = run;
    const email = renderCustomerEmail({
      kind, incident, csm: sender, templates: run.templates, componentNames: run.componentNames, ratingLink: ratingLinkFor(kind, incident.id, customer.id),
      customer: {
        id: customer.id, name: customer.name, contactName: customer.contactName, contactEmail: customer.contactEmail,
        componentNames: customer.componentNames, segment: customer.segment,
      },
    });
    const to = customer.contactEmail?.trim();
    const messageId = messageIdFor(idempotencyKey, sender.email);
    const entry: OutboxEntry = {
      idempotencyKey, incidentId: incident.id, channel: 'email', recipient: to || `customer:${customer.id}`, kind: `email_${kind}`,
      payload: { from: sender.email, to: to ?? null, subject: email.subject, text: email.text, send, messageId, templateKey: email.approved.templateKey },
      template: templateUsed(email.approved),
    };
    const refused = !to ? 'no_contact_email' : !isValidEmailAddress(to) ? 'invalid_address' : run.mailboxError;
    if (refused) return { result: emailResult(customer.id, await failOnce(db, entry, refused)) };
    const provider: Provider = keyFile
      ? mailboxes.provider(run, messageId, () => rawEmailBase64Url({
        from: sender, to: { name: customer.contactName, email: to! }, subject: email.subject, text: email.text, messageId, date: new Date(),
      }))
      : dryRunProvider(describe);
    try {
      const outcome = await sendOnce(db, entry, provider);
      if (outcome.status === 'failed' && outcome.error?.startsWith('mailbox_unavailable')) run.mailboxError = outcome.error;
      return { result: emailResult(customer.id, outcome) };
    } catch (err) {
      // Worker shutting down or activity cancelled: stop here; the retry continues where this attempt left off.
      if (err instanceof CancelledFailure) throw err;
      return { transient: err };
    }
  }

  async function startRun(input: { idempotencyPrefix: string; kind: 'outreach' | 'resolution'; send: boolean; incident: Incident },
    sender: { name: string; email: string }, hb: Heartbeat<unknown>): Promise<EmailRun> {
    const [templates, componentNames] = await Promise.all([loadApprovedTemplates(db), loadComponentNames(db, input.incident.components)]);
    return {
      prefix: input.idempotencyPrefix, kind: input.kind, send: input.send, incident: input.incident, sender, templates, componentNames, hb,
      mailboxError: isValidEmailAddress(sender.email) ? undefined : 'invalid_sender_address',
    };
  }

  function temporaryError(count: number, csmEmail: string, first: unknown): Error {
    // Retried by Temporal; what is already done comes back as 'duplicate'. The cause is kept: Postgres
    // refusing the data (data-errors.ts) is not temporary, and is told apart by it.
    return new Error(`${count} email(s) for ${csmEmail} hit a temporary error: ${describe(first)}`, { cause: first });
  }

  return {
    draftCustomerEmails: (input) => withHeartbeat(async (hb) => {
      const run = await startRun(input, { name: input.csm.name, email: input.csm.email }, hb);
      const known = await findDeliveredMany(db, input.customers.map((c) => `${input.idempotencyPrefix}:${c.id}`));
      const results: EmailResult[] = [];
      const transient: unknown[] = [];
      for (const customer of input.customers) {
        const o = await emailOne(run, customer, known.get(`${input.idempotencyPrefix}:${customer.id}`));
        if ('transient' in o) transient.push(o.transient);
        else results.push(o.result);
      }
      if (transient.length > 0) throw temporaryError(transient.length, input.csm.email, transient[0]);
      return results;
    }),

    prepareCustomerEmails: (input) => withHeartbeat<EmailBatchResult, EmailProgress>(async (hb) => {
      const resumed = hb.resumedFrom;
      if (resumed?.finished) return { done: resumed.done, failed: resumed.failed };
      const csm = await findCsmRecord(db, input.csmEmail);
      if (!csm) {
        warn('emails for an unknown CSM: nothing to do', { csm: input.csmEmail });
        return { done: 0, failed: 0 };
      }
      const run = await startRun(input, { name: csm.name, email: csm.email }, hb as Heartbeat<unknown>);
      const note = outreachNote(input.kind, input.send, input.actor);
      // `committed`: the resume point, only past customers whose page is written back and none of
      // which hit a transient error (that customer must be tried again by the next attempt).
      let committed: EmailProgress = { after: resumed?.after, done: resumed?.done ?? 0, failed: resumed?.failed ?? 0 };
      let readAfter = committed.after;
      const transient: unknown[] = [];
      for (;;) {
        const page = await audiencePage(db, {
          incidentId: input.incident.id, csmId: csm.id, audience: input.audience, componentKeys: input.incident.components,
          after: readAfter, limit: pageSize,
        });
        if (page.length === 0) break;
        const known = await findDeliveredMany(db, page.map((c) => `${input.idempotencyPrefix}:${c.id}`));
        const done: string[] = [];
        const failed: { customerId: string; error: string }[] = [];
        for (const customer of page) {
          const o = await emailOne(run, customer, known.get(`${input.idempotencyPrefix}:${customer.id}`));
          if ('transient' in o) transient.push(o.transient);
          else if (o.result.status === 'failed') failed.push({ customerId: customer.id, error: o.result.error ?? 'email not created' });
          else done.push(customer.id);
          hb.progress(committed);
        }
        await applyEmailPage(db, { incidentId: input.incident.id, kind: input.kind, send: input.send, at: new Date(), note, done, failed });
        const last = page[page.length - 1]!;
        readAfter = { rank: last.priorityRank, customerId: last.id };
        if (transient.length === 0) {
          committed = { after: readAfter, done: committed.done + done.length, failed: committed.failed + failed.length };
          hb.progress(committed);
        }
        if (page.length < pageSize) break;
      }
      if (transient.length > 0) throw temporaryError(transient.length, csm.email, transient[0]);
      hb.progress({ ...committed, finished: true });
      return { done: committed.done, failed: committed.failed };
    }, input.idempotencyPrefix),
  };
}
