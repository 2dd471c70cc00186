/**
 * Slack side effects: CSM DMs (and thread replies), the coordination channel, posts in it.
 *
 * Exactly once for people: every message goes through the outbox protocol (outbox-send.ts: claim
 * the row keyed by the idempotency key BEFORE sending, mark it after) and carries the key in Slack
 * message metadata. A key already sent answers 'duplicate'. A key claimed by an attempt that died
 * mid-send is first looked up in the conversation (by that metadata) before anything is posted again.
 *
 * A CSM message reads its own slice of the incident from Postgres (db/csm-slices.ts): the first
 * ALERT_CUSTOMER_LIMIT customers of the list its kind is about and the totals of that list.
 * `notifyCsm` (incidents on the old workflow type) cuts the same slice from the list it is given;
 * both then render and send through one core.
 *
 * Every activity heartbeats while it runs (heartbeat.ts), including while the Slack client waits
 * out a 429, so a worker that dies is replaced within the proxy's heartbeat timeout.
 *
 * Without SLACK_BOT_TOKEN (dry-run) messages are rendered and stored with status dry_run; the war
 * room then gets the pseudo id "dry-run:<name>" so the workflow behaves the same.
 */
import type { WebClient } from '@slack/web-api';
import { Context, log as activityLog } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { claimAlertRoute, digestOfAlert } from '../db/alert-digests';
import { findCsmRecord, csmSlice, revisionChanges, stampCsmNotified, type CsmRecord } from '../db/csm-slices';
import { findCsm, loadApprovedTemplates, loadComponentNames, rememberSlackIdentity, withManagers } from '../db/message-data';
import { findOutbox, isDelivered as isRowDelivered, type OutboxEntry } from '../db/outbox';
import type { Database } from '../db/types';
import type { CsmMessageKind, IncidentTotals } from '../domain/incident/model';
import {
  affectedChangeLines, CHANGED_NAMES_MAX, csmCustomersUrl, renderCsmMessage, renderWarRoomPost, renderWarRoomSummary, sliceFor,
  warRoomChannelName, warRoomPurpose, type CustomerSlice, type SlackMessage,
} from '../domain/messages';
import { renderPostMortemRequest } from '../domain/messages/reminders';
import { approvedMessage, templateUsed } from '../domain/messages/templates';
import type { Incident } from '../domain/types';
import { cancellable } from './cancellable';
import type { ActivityDeps } from './index';
import { createDigests } from './alert-digest';
import { createFallbackEmail, FALLBACK_KINDS } from './fallback-email';
import {
  failOnce, findDelivered, isDeliveredOutcome, noteAndRethrow, sendOnce, type Provider, type SendOutcome,
} from './outbox-send';
import {
  createSlackClient, describeSlackError, isPermanentSlackError, SlackPermanentError, slackErrorCode,
} from './slack-client';
import type { IncidentActivities, NotifyResult } from './types';

type SlackActivities = Pick<IncidentActivities, 'sendCsmMessage' | 'notifyCsm' | 'ensureWarRoom' | 'postToWarRoom' | 'inviteToWarRoom'>;

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

/** This activity's attempt (1 outside an activity, e.g. unit tests). */
function activityAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** Slack still answering 429 after the client's own waits: it is pacing us, not failing. */
function isRateLimited(err: unknown): boolean {
  return /rate.?limit/i.test(describeSlackError(err));
}

function notifyResult(o: SendOutcome): NotifyResult {
  return {
    status: o.status === 'drafted' ? 'sent' : o.status, channel: o.channel, ts: o.ref, error: o.error, sentAt: o.at.toISOString(),
  };
}

function isDelivered(r: NotifyResult): boolean {
  return r.status === 'sent' || r.status === 'dry_run' || r.status === 'duplicate';
}

/** Dry-run: rendered into the outbox, nothing sent. */
function dryRun(channel?: string): Provider {
  return {
    dryRun: { channel },
    send: () => Promise.reject(new Error('dry-run sends nothing')),
    isPermanent: () => false,
    describe: describeSlackError,
  };
}

interface Recipient { email: string; name: string; slackUserId?: string; timeZone?: string }

/** A CSM as the core knows them: from the old workflow's input or from the csms table. */
interface CsmLike { email: string; name: string; slackUserId?: string | null; timeZone?: string | null; managerEmail?: string | null }

/** One CSM message, whatever the workflow type: the shared core renders and sends it. */
interface CsmMessageJob {
  idempotencyKey: string;
  kind: CsmMessageKind;
  incident: Incident;
  /** The CSM the message is about (for an escalation the DM goes to their manager). */
  csm: CsmLike;
  slice: CustomerSlice;
  totals: IncidentTotals;
  dashboardUrl: string;
  thread?: { channel: string; ts: string };
  changes?: string[];
}

export function createSlackActivities(deps: { config: ActivityDeps['config']; db: Kysely<Database> }): SlackActivities {
  const { config, db } = deps;
  const client: WebClient | undefined = config.slack.dryRun ? undefined : createSlackClient(config);
  const limit = config.incidents.alertCustomerLimit;
  let botUser: Promise<string> | undefined;
  const fallback = createFallbackEmail(deps);
  const digests = client ? createDigests({ db, client, post: (key, message, where) => slackPost(key, message, where) }) : undefined;

  function botUserId(): Promise<string> {
    botUser ??= client!.auth.test().then((r) => String(r.user_id ?? '')).catch((err) => {
      botUser = undefined;
      throw err;
    });
    return botUser;
  }

  /** Who gets the DM: the CSM, or for an escalation the CSM's manager. */
  async function recipientFor(kind: CsmMessageKind, csm: CsmLike): Promise<Recipient | { error: string }> {
    if (kind === 'escalation') {
      const managerEmail = csm.managerEmail ?? (await findCsm(db, csm.email))?.managerEmail;
      if (!managerEmail) return { error: 'no_manager' };
      const manager = await findCsm(db, managerEmail);
      return {
        email: managerEmail, name: manager?.name ?? managerEmail,
        slackUserId: manager?.slackUserId ?? undefined, timeZone: manager?.timeZone ?? undefined,
      };
    }
    const stored = csm.slackUserId && csm.timeZone ? undefined : await findCsm(db, csm.email);
    return {
      email: csm.email, name: csm.name,
      slackUserId: csm.slackUserId ?? stored?.slackUserId ?? undefined,
      timeZone: csm.timeZone ?? stored?.timeZone ?? undefined,
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
   * Posts `message` (its key in the metadata) where `where` says, opening the DM only when needed;
   * a retry first looks for the copy an earlier attempt may have posted.
   */
  function slackPost(key: string, message: SlackMessage, where: { channel: () => Promise<string>; threadTs?: string }): Provider {
    let channel: Promise<string> | undefined;
    const target = () => (channel ??= where.channel());
    return {
      async findEarlier(row) {
        const ch = await target();
        const ts = await findPosted(ch, where.threadTs, key, row.created_at);
        return ts ? { status: 'sent', ref: ts, channel: ch } : undefined;
      },
      async send() {
        const ch = await target();
        const res = await cancellable(client!.chat.postMessage({
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

  /** The core every CSM message goes through (sendCsmMessage and notifyCsm): render, then send once. */
  async function deliverCsmMessage(job: CsmMessageJob): Promise<NotifyResult> {
    const key = job.idempotencyKey;
    const { incident, csm, kind } = job;
    const base = { idempotencyKey: key, incidentId: incident.id, channel: 'slack' as const, kind };
    const recipient = await recipientFor(kind, csm);
    if ('error' in recipient) {
      return notifyResult(await failOnce(db, { ...base, recipient: `manager of ${csm.email}`, payload: { error: recipient.error } }, recipient.error));
    }
    const [templates, componentNames] = await Promise.all([loadApprovedTemplates(db), loadComponentNames(db, incident.components)]);
    const approved = approvedMessage(templates, {
      incident, componentNames, csm: kind === 'escalation' ? undefined : { name: csm.name, email: csm.email },
    }, { audience: 'csm', channel: 'slack' });
    const render = (timeZone: string | undefined): SlackMessage => renderCsmMessage(kind, {
      incident,
      recipient: { name: recipient.name, email: recipient.email },
      silentCsm: kind === 'escalation' ? { name: csm.name, email: csm.email } : undefined,
      customers: job.slice.customers,
      mine: job.slice.totals,
      totals: job.totals,
      dashboardUrl: job.dashboardUrl,
      listUrl: csmCustomersUrl(job.dashboardUrl, incident.id, csm.email),
      approved,
      componentNames,
      timeZone,
      changes: job.changes,
      customerLimit: limit,
      now: new Date().toISOString(),
    });
    const entry = (message: SlackMessage, slackUserId?: string): OutboxEntry => ({
      ...base, recipient: recipient.email, payload: { ...message, slackUserId, thread: job.thread }, template: templateUsed(approved),
    });

    if (!client) return notifyResult(await sendOnce(db, entry(render(recipient.timeZone)), dryRun()));
    const to = recipient;
    if (!fallback || !FALLBACK_KINDS.has(kind)) return bySlack();

    // Slack could not deliver it: the CSM gets it by email instead (fallback-email.ts).
    let result: NotifyResult;
    try {
      result = await bySlack();
    } catch (err) {
      // Rate limits are Slack pacing us, not failing: they are waited out however long it takes.
      if (activityAttempt() < config.incidents.alertFallback.afterAttempts || isRateLimited(err)) throw err;
      result = notifyResult(await failOnce(db, entry(render(to.timeZone)), `${describeSlackError(err)} (attempt ${activityAttempt()})`));
    }
    if (result.status !== 'failed' || result.dataError) return result;
    const emailed = await fallback.send({
      slackKey: key, kind, incident, csm: { name: to.name, email: to.email }, message: render(to.timeZone),
      slackError: result.error ?? 'not delivered', incidentUrl: csmCustomersUrl(job.dashboardUrl, incident.id, to.email),
    });
    return isDeliveredOutcome(emailed)
      ? { ...notifyResult(emailed), channel: undefined, ts: undefined, via: 'email' }
      : { ...result, error: `${result.error}; email: ${emailed.error}` };

    async function bySlack(): Promise<NotifyResult> {
      const slack = client!;
      let user: { userId: string; timeZone?: string };
      try {
        user = await resolveSlackUser(to);
      } catch (err) {
        if (!isPermanentSlackError(err)) return noteAndRethrow(db, key, err, describeSlackError);
        return notifyResult(await failOnce(db, entry(render(to.timeZone)), describeSlackError(err)));
      }
      const message = render(user.timeZone);
      const dm = async () => String((await slack.conversations.open({ users: user.userId })).channel?.id);
      if (kind === 'alert' && !job.thread && config.incidents.alertDigest.threshold > 0) {
        const folded = await deliverInDigest(job, entry(message, user.userId), message, to.email, dm);
        if (folded) return folded;
      }
      const outcome = await sendOnce(db, entry(message, user.userId), slackPost(key, message, {
        channel: async () => job.thread?.channel ?? dm(),
        threadTs: job.thread?.ts,
      }));
      // The alert's thread is gone (deleted message): the change still deserves a DM of its own.
      if (outcome.status === 'failed' && outcome.error === 'thread_not_found' && job.thread) {
        return deliverCsmMessage({ ...job, thread: undefined });
      }
      // A message in a storm digest's thread (an incident's update or resolution) may change what the digest lists.
      if (job.thread && isDeliveredOutcome(outcome)) await digests!.refreshAt(job.thread, to.email, job.dashboardUrl);
      return notifyResult(outcome);
    }
  }

  /**
   * A storm (domain/alert-digest.ts): the alert joins the CSM's digest DM and goes into its thread;
   * the incident's later messages follow it there (the digest's ts is the alert's thread). Undefined:
   * the alert goes on its own (no storm, or the digest could not be posted).
   */
  async function deliverInDigest(
    job: CsmMessageJob, entry: OutboxEntry, message: SlackMessage, csmEmail: string, dm: () => Promise<string>,
  ): Promise<NotifyResult | undefined> {
    const route = await claimAlertRoute(db, { entry, csmEmail, settings: config.incidents.alertDigest });
    if (!route.digestKey) return undefined;
    const digest = await digests!.show({ key: route.digestKey, csmEmail, dashboardUrl: job.dashboardUrl, channel: dm });
    if (!digest) return undefined;
    const outcome = await sendOnce(db, entry, slackPost(job.idempotencyKey, message, { channel: async () => digest.channel, threadTs: digest.ts }));
    return notifyResult(isDeliveredOutcome(outcome) ? { ...outcome, channel: digest.channel, ref: digest.ts } : outcome);
  }

  /**
   * The message delivered before under this key, answered again: an alert folded into a digest lives
   * in the digest's thread; one Slack could not deliver may have gone by email.
   */
  async function deliveredBefore(kind: CsmMessageKind, key: string): Promise<NotifyResult | undefined> {
    const done = await findDelivered(db, key);
    if (done) {
      const digest = kind === 'alert' ? await digestOfAlert(db, key) : undefined;
      return notifyResult(digest ? { ...done, channel: digest.channel, ref: digest.ts } : done);
    }
    const emailed = fallback && FALLBACK_KINDS.has(kind) ? await fallback.delivered(key) : undefined;
    return emailed && { ...notifyResult(emailed), channel: undefined, ts: undefined, via: 'email' };
  }

  /**
   * Reads the CSM and their slice, sends through the core,
   * then stamps csm_notified_at on the customers the message told the CSM about.
   */
  /**
   * The 3-day reminder found no post-mortem: its owner is asked for one, once (keyed by owner and
   * resolution time). The owner is the incident's owner at the source (`incident.owner`), else the
   * CS manager of the CSM being reminded (each manager once however many of their CSMs are reminded).
   */
  async function askForPostMortem(incident: Incident, csm: CsmRecord, dashboardUrl: string, slice: { customers: number }): Promise<void> {
    const ownerEmail = (incident.owner ?? csm.managerEmail)?.toLowerCase();
    if (!ownerEmail) return;
    const key = `${incident.workflowId}:post_mortem_request:${ownerEmail}:${incident.resolvedAt ?? ''}`;
    if (await findDelivered(db, key)) return;
    const stored = await findCsm(db, ownerEmail);
    const counts = await db.selectFrom('incident_customer_impact as i').innerJoin('customers as c', 'c.id', 'i.customer_id')
      .select((eb) => [eb.fn.countAll<string>().as('customers'), eb.fn.count<string>('c.csm_id').distinct().as('csms')])
      .where('i.incident_id', '=', incident.id).executeTakeFirst();
    const message = renderPostMortemRequest({
      incident, customers: Number(counts?.customers ?? slice.customers), csms: Number(counts?.csms ?? 1),
      dashboardUrl: `${dashboardUrl}#/incidents/${encodeURIComponent(incident.id)}`, now: new Date().toISOString(),
    });
    const entry = (slackUserId?: string): OutboxEntry => ({
      idempotencyKey: key, incidentId: incident.id, channel: 'slack', kind: 'post_mortem_request', recipient: ownerEmail, payload: { ...message, slackUserId },
    });
    if (!client) {
      await sendOnce(db, entry(), dryRun());
      return;
    }
    let user: { userId: string };
    try {
      user = await resolveSlackUser({ email: ownerEmail, name: stored?.name ?? ownerEmail, slackUserId: stored?.slackUserId ?? undefined, timeZone: stored?.timeZone ?? undefined });
    } catch (err) {
      if (!isPermanentSlackError(err)) throw err;
      await failOnce(db, entry(), describeSlackError(err));
      return;
    }
    await sendOnce(db, entry(user.userId), slackPost(key, message, { channel: async () => String((await client.conversations.open({ users: user.userId })).channel?.id) }));
  }

  async function sendCsmMessage(input: Parameters<SlackActivities['sendCsmMessage']>[0]): Promise<NotifyResult> {
    const { kind } = input;
    // A post-mortem linked through the API is on the incident row before the workflow hears of it.
    const incident = kind === 'post_mortem' && !input.incident.postMortemUrl
      ? { ...input.incident, ...(await storedPostMortem(input.incident.id)) }
      : input.incident;
    const csm: CsmRecord | undefined = await findCsmRecord(db, input.csmEmail);
    if (!csm) {
      const error = 'unknown_csm';
      return notifyResult(await failOnce(db, {
        idempotencyKey: input.idempotencyKey, incidentId: incident.id, channel: 'slack', kind, recipient: input.csmEmail, payload: { error },
      }, error));
    }
    let result = await deliveredBefore(kind, input.idempotencyKey);
    if (!result) {
      const slice = await csmSlice(db, { incidentId: incident.id, csmId: csm.id, kind, limit, componentKeys: incident.components });
      if (kind === 'follow_up' && slice.totals.customers === 0) return { status: 'skipped', sentAt: new Date().toISOString() };
      const changes = [...(input.changes ?? [])];
      if (kind === 'update' && input.analysisRevision !== undefined) {
        const moved = await revisionChanges(db, { incidentId: incident.id, csmId: csm.id, revision: input.analysisRevision, limit: CHANGED_NAMES_MAX });
        changes.push(...affectedChangeLines(moved.added, moved.removed));
      }
      result = await deliverCsmMessage({
        idempotencyKey: input.idempotencyKey, kind, incident, csm, slice, totals: input.totals, dashboardUrl: input.dashboardUrl,
        thread: input.thread, changes,
      });
    }
    if (isDelivered(result)) {
      // A retry after a crash between the send and this write finds the key delivered and stamps again (a no-op then).
      if (kind === 'alert') await stampCsmNotified(db, { incidentId: incident.id, csmId: csm.id, at: result.sentAt });
      if (kind === 'update' && input.analysisRevision !== undefined) {
        await stampCsmNotified(db, { incidentId: incident.id, csmId: csm.id, at: result.sentAt, revision: input.analysisRevision });
      }
      if (kind === 'post_mortem' && !incident.postMortemUrl) await askForPostMortem(incident, csm, input.dashboardUrl, { customers: 0 });
    }
    return result;
  }

  async function storedPostMortem(incidentId: string): Promise<{ postMortemUrl?: string }> {
    const row = await db.selectFrom('product_incidents').select('post_mortem_url').where('id', '=', incidentId).executeTakeFirst();
    return row?.post_mortem_url ? { postMortemUrl: row.post_mortem_url } : {};
  }

  return {
    sendCsmMessage,

    async notifyCsm(input) {
      const done = await deliveredBefore(input.kind, input.idempotencyKey);
      if (done) return done;
      return deliverCsmMessage({
        idempotencyKey: input.idempotencyKey, kind: input.kind, incident: input.incident, csm: input.csm,
        slice: sliceFor(input.kind, input.customers, limit), totals: input.totals, dashboardUrl: input.dashboardUrl,
        thread: input.thread, changes: input.changes,
      });
    },

    async ensureWarRoom(input) {
      const { incident } = input;
      const key = input.idempotencyKey;
      const componentNames = await loadComponentNames(db, incident.components);
      const summary = renderWarRoomSummary({ incident, totals: input.totals, dashboardUrl: input.dashboardUrl, componentNames });
      const name = warRoomChannelName(incident);
      const entry = (channelName: string): OutboxEntry => ({
        idempotencyKey: key, incidentId: incident.id, channel: 'slack', kind: 'war_room',
        recipient: `#${channelName}`, payload: { ...summary, channelName },
      });
      if (!client) {
        await sendOnce(db, entry(name), dryRun(`${DRY_RUN_CHANNEL_PREFIX}${name}`));
        return { channelId: `${DRY_RUN_CHANNEL_PREFIX}${name}`, name };
      }
      try {
        const done = await findOutbox(db, key);
        const room = done && isRowDelivered(done) && done.provider_channel
          ? { id: done.provider_channel, name: done.recipient.replace(/^#/, '') }
          : await createOrFindWarRoom(incident);
        // The CSMs' managers join too (looked up here, so the workflow carries only the CSMs).
        await inviteUsers(room.id, [...input.memberSlackIds, ...(await lookupIds(await withManagers(db, input.memberEmails)))]);
        const posted = await sendOnce(db, entry(room.name), slackPost(key, summary, { channel: async () => room.id }));
        // The incident goes on without a coordination channel; CSMs still get their DMs.
        return posted.status === 'failed' ? null : { channelId: room.id, name: room.name };
      } catch (err) {
        if (!isPermanentSlackError(err)) return noteAndRethrow(db, key, err, describeSlackError);
        await failOnce(db, entry(name), describeSlackError(err));
        return null;
      }
    },

    async postToWarRoom(input) {
      const message = renderWarRoomPost({ incident: input.incident, text: input.text });
      const entry: OutboxEntry = {
        idempotencyKey: input.idempotencyKey, incidentId: input.incident.id, channel: 'slack', kind: 'war_room_post',
        recipient: input.channelId, payload: message,
      };
      const done = await findDelivered(db, input.idempotencyKey);
      if (done) return notifyResult(done);
      const provider = !client || input.channelId.startsWith(DRY_RUN_CHANNEL_PREFIX)
        ? dryRun(input.channelId)
        : slackPost(input.idempotencyKey, message, { channel: async () => input.channelId });
      return notifyResult(await sendOnce(db, entry, provider));
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
