/**
 * The core every CSM message goes through, whatever the workflow type (sendCsmMessage and
 * notifyCsm): find the recipient (the CSM, or for an escalation their manager), render, send once.
 * A DM opens only when needed; in a storm an alert joins the CSM's digest (alert-digest.ts); an
 * alert, update or resolution Slack cannot deliver goes by email (fallback-email.ts).
 */
import { claimAlertRoute, digestOfAlert } from '../db/alert-digests';
import { findCsm, loadApprovedTemplates, loadComponentNames } from '../db/message-data';
import type { OutboxEntry } from '../db/outbox';
import type { CsmMessageKind, IncidentTotals } from '../domain/incident/model';
import { csmCustomersUrl, renderCsmMessage, type CustomerSlice, type SlackMessage } from '../domain/messages';
import { approvedMessage, templateUsed } from '../domain/messages/templates';
import type { Incident } from '../domain/types';
import { activityAttempt } from './activity-context';
import { FALLBACK_KINDS } from './fallback-email';
import { failOnce, findDelivered, isDeliveredOutcome, noteAndRethrow, sendOnce } from './outbox-send';
import { describeSlackError, isPermanentSlackError, isRateLimited } from './slack-client';
import { notifyResult, slackDryRun, slackPost } from './slack-post';
import { openDm, resolveSlackUser, type Recipient } from './slack-users';
import { isLive, type LiveSlack, type SlackWorkspace } from './slack-workspace';
import type { NotifyResult } from './types';

/** A CSM as the core knows them: from the old workflow's input or from the csms table. */
interface CsmLike { email: string; name: string; slackUserId?: string | null; timeZone?: string | null; managerEmail?: string | null }

/** One CSM message, whatever the workflow type: the shared core renders and sends it. */
export interface CsmMessageJob {
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

/** Who gets the DM: the CSM, or for an escalation the CSM's manager. */
async function recipientFor(slack: SlackWorkspace, kind: CsmMessageKind, csm: CsmLike): Promise<Recipient | { error: string }> {
  const { db } = slack;
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

/** Renders and sends one CSM message (once for its key). */
export async function deliverCsmMessage(slack: SlackWorkspace, job: CsmMessageJob): Promise<NotifyResult> {
  const { config, db, fallback } = slack;
  const key = job.idempotencyKey;
  const { incident, csm, kind } = job;
  const base = { idempotencyKey: key, incidentId: incident.id, channel: 'slack' as const, kind };
  const recipient = await recipientFor(slack, kind, csm);
  if ('error' in recipient) {
    return notifyResult(await failOnce(db, { ...base, recipient: `manager of ${csm.email}`, payload: { error: recipient.error } }, recipient.error));
  }
  const [templates, componentNames] = await Promise.all([loadApprovedTemplates(db), loadComponentNames(db, incident.components)]);
  const approved = approvedMessage(templates, {
    incident, componentNames, csm: kind === 'escalation' ? undefined : { name: csm.name, email: csm.email },
  }, { audience: 'csm', channel: 'slack', ...(kind === 'follow_up' ? { status: 'follow_up' as const } : {}) });
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
    customerLimit: config.incidents.alertCustomerLimit,
    now: new Date().toISOString(),
  });
  const entry = (message: SlackMessage, slackUserId?: string): OutboxEntry => ({
    ...base, recipient: recipient.email, payload: { ...message, slackUserId, thread: job.thread }, template: templateUsed(approved),
  });

  if (!isLive(slack)) return notifyResult(await sendOnce(db, entry(render(recipient.timeZone)), slackDryRun()));
  const live = slack;
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
    let user: { userId: string; timeZone?: string };
    try {
      user = await resolveSlackUser(live, to);
    } catch (err) {
      if (!isPermanentSlackError(err)) return noteAndRethrow(db, key, err, describeSlackError);
      return notifyResult(await failOnce(db, entry(render(to.timeZone)), describeSlackError(err)));
    }
    const message = render(user.timeZone);
    const dm = () => openDm(live, user.userId);
    if (kind === 'alert' && !job.thread && config.incidents.alertDigest.threshold > 0) {
      const folded = await deliverInDigest(live, job, entry(message, user.userId), message, to.email, dm);
      if (folded) return folded;
    }
    const outcome = await sendOnce(db, entry(message, user.userId), slackPost(live.client, key, message, {
      channel: async () => job.thread?.channel ?? dm(),
      threadTs: job.thread?.ts,
    }));
    // The alert's thread is gone (deleted message): the change still deserves a DM of its own.
    if (outcome.status === 'failed' && outcome.error === 'thread_not_found' && job.thread) {
      return deliverCsmMessage(live, { ...job, thread: undefined });
    }
    // A message in a storm digest's thread (an incident's update or resolution) may change what the digest lists.
    if (job.thread && isDeliveredOutcome(outcome)) await live.digests!.refreshAt(job.thread, to.email, job.dashboardUrl);
    return notifyResult(outcome);
  }
}

/**
 * A storm (domain/alert-digest.ts): the alert joins the CSM's digest DM and goes into its thread;
 * the incident's later messages follow it there (the digest's ts is the alert's thread). Undefined:
 * the alert goes on its own (no storm, or the digest could not be posted).
 */
async function deliverInDigest(
  slack: LiveSlack, job: CsmMessageJob, entry: OutboxEntry, message: SlackMessage, csmEmail: string, dm: () => Promise<string>,
): Promise<NotifyResult | undefined> {
  const { db } = slack;
  const route = await claimAlertRoute(db, { entry, csmEmail, settings: slack.config.incidents.alertDigest });
  if (!route.digestKey) return undefined;
  const digest = await slack.digests!.show({ key: route.digestKey, csmEmail, dashboardUrl: job.dashboardUrl, channel: dm });
  if (!digest) return undefined;
  const outcome = await sendOnce(db, entry, slackPost(slack.client, job.idempotencyKey, message, { channel: async () => digest.channel, threadTs: digest.ts }));
  return notifyResult(isDeliveredOutcome(outcome) ? { ...outcome, channel: digest.channel, ref: digest.ts } : outcome);
}

/**
 * The message delivered before under this key, answered again: an alert folded into a digest lives
 * in the digest's thread; one Slack could not deliver may have gone by email.
 */
export async function deliveredBefore(slack: SlackWorkspace, kind: CsmMessageKind, key: string): Promise<NotifyResult | undefined> {
  const done = await findDelivered(slack.db, key);
  if (done) {
    const digest = kind === 'alert' ? await digestOfAlert(slack.db, key) : undefined;
    return notifyResult(digest ? { ...done, channel: digest.channel, ref: digest.ts } : done);
  }
  const emailed = slack.fallback && FALLBACK_KINDS.has(kind) ? await slack.fallback.delivered(key) : undefined;
  return emailed && { ...notifyResult(emailed), channel: undefined, ts: undefined, via: 'email' };
}
