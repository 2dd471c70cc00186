/**
 * Outreach tracked without clicks: with the Gmail read scope (gmail.readonly, delegated to the
 * service account like gmail.compose), one run reads each CSM's mailbox for the Forewarn emails still
 * 'drafted' or 'sent' (db/outreach-tracking.ts):
 * - the draft's deterministic Message-ID in Sent (`rfc822msgid:<id> in:sent`) means the CSM sent it:
 *   outreach → sent, at the time Gmail sent it;
 * - a message in that thread from someone other than the CSM, after it was sent, is the customer's
 *   reply: outreach → responded, at the reply's time.
 * Moves go through the same state machine as a CSM's marks (db/outreach.ts changeOutreach), with
 * actor 'gmail', and into the audit log; a manual mark made first simply wins (a move to the status a
 * customer already has is a no-op). The incident workflow hears of a send like of a CSM's mark
 * (outreachRecorded), so the CSM's manager is not escalated to about a customer who was written to.
 *
 * Run by the outreach-tracking schedule (workflows/outreach-tracking.workflow.ts); the incident
 * workflow is untouched. A mailbox Gmail refuses (no read delegation) is skipped for this run and named
 * in the result; the others carry on.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { gmail_v1 } from 'googleapis';
import { recordAudit } from '../db/audit';
import { changeOutreach } from '../db/outreach';
import { outreachToTrack, type TrackedOutreach } from '../db/outreach-tracking';
import type { Actor } from '../domain/actor';
import type { OutreachStatus } from '../domain/types';
import { outreachRecordedSignal, type OutreachTrackingResult } from '../workflows/contract';
import { warn } from './activity-context';
import { createGmailMailboxes, statusOf } from './gmail';
import { withHeartbeat, type Heartbeat } from './heartbeat';
import type { ActivityDeps } from './index';

/** How Gmail's own moves are recorded: on the timeline and in outreach history as 'gmail'. */
const GMAIL_ACTOR: Actor = { kind: 'system', id: 'gmail', name: 'gmail' };
/** Outreach rows read per run; the least recently moved first, so every row gets its turn. */
const TRACKING_BATCH = 500;

export interface OutreachTrackingActivities {
  trackOutreachInGmail(input: Record<string, never>): Promise<OutreachTrackingResult>;
}

const headerOf = (m: gmail_v1.Schema$Message, name: string) =>
  m.payload?.headers?.find((h) => h.name?.toLowerCase() === name.toLowerCase())?.value ?? '';
const addressOf = (from: string) => (/<([^<>\s]+@[^<>\s]+)>/.exec(from)?.[1] ?? from).trim().toLowerCase();
const timeOf = (m: gmail_v1.Schema$Message) => new Date(Number(m.internalDate ?? Date.now())).toISOString();

/** What Gmail shows of one Forewarn email: not sent yet, or sent at `sentAt` and maybe answered at `repliedAt`. */
interface SeenInGmail { sentAt?: string; repliedAt?: string }

export function createOutreachTrackingActivities(deps: ActivityDeps): OutreachTrackingActivities {
  const { config, db, temporal } = deps;
  const mailboxes = createGmailMailboxes(config);

  async function look(row: TrackedOutreach, hb: Heartbeat<unknown>): Promise<SeenInGmail> {
    const read = <T>(call: (gmail: gmail_v1.Gmail) => Promise<T>) => mailboxes.read(row.mailbox, hb, call);
    const listed = await read((g) => g.users.messages.list({ userId: 'me', q: `rfc822msgid:${row.messageId} in:sent`, maxResults: 1 }));
    const found = listed.data.messages?.[0];
    if (!found?.id || !found.threadId) return {};
    const thread = await read((g) => g.users.threads.get({ userId: 'me', id: found.threadId!, format: 'metadata', metadataHeaders: ['From', 'Message-ID'] }));
    const messages = thread.data.messages ?? [];
    const sent = messages.find((m) => m.id === found.id) ?? found;
    const sentAt = timeOf(sent);
    const me = row.mailbox.toLowerCase();
    const reply = messages
      .filter((m) => m.id !== found.id && !(m.labelIds ?? []).includes('SENT') && addressOf(headerOf(m, 'From')) !== me && timeOf(m) > sentAt)
      .sort((a, b) => Number(a.internalDate) - Number(b.internalDate))[0];
    return { sentAt, repliedAt: reply ? timeOf(reply) : undefined };
  }

  /** One move through the state machine, on record like a CSM's; true when it changed something. */
  async function move(row: TrackedOutreach, status: OutreachStatus, at: string, note: string): Promise<boolean> {
    const outcome = await changeOutreach(db, { incidentId: row.incidentId, customerId: row.customerId, status, at, note, actor: GMAIL_ACTOR.name });
    if (!outcome.ok || outcome.noop) return false;
    await recordAudit(db, {
      actor: GMAIL_ACTOR, action: 'outreach.changed', incidentId: row.incidentId, target: row.customerId,
      detail: { previous: outcome.previous, status, note, messageId: row.messageId },
    });
    if (status === 'sent' && outcome.csmEmail) {
      try {
        await temporal.workflow.getHandle(row.workflowId).signal(outreachRecordedSignal, {
          csmEmail: outcome.csmEmail, customerId: row.customerId, impactLevel: outcome.impactLevel, status, at,
        });
      } catch (err) {
        // A finished incident has nobody left to escalate to; anything else: recorded all the same.
        if (!(err instanceof WorkflowNotFoundError)) warn('outreach seen in Gmail, but the incident workflow was not told', { workflowId: row.workflowId, error: String(err) });
      }
    }
    return true;
  }

  return {
    trackOutreachInGmail: () => withHeartbeat(async (hb) => {
      const result: OutreachTrackingResult = { checked: 0, sent: 0, responded: 0, skippedMailboxes: [] };
      if (!config.outreachTracking.enabled) return result;
      const rows = await outreachToTrack(db, { lookbackDays: config.outreachTracking.lookbackDays, limit: TRACKING_BATCH });
      const refused = new Set<string>();
      for (const row of rows) {
        if (refused.has(row.mailbox)) continue;
        let seen: SeenInGmail;
        try {
          seen = await look(row, hb);
        } catch (err) {
          const status = statusOf(err);
          // No read delegation for this mailbox (or a token refused): skip it until the next run.
          if (status === 400 || status === 401 || status === 403) {
            refused.add(row.mailbox);
            warn('Gmail refused to let Forewarn read a mailbox: outreach there is tracked by hand', { mailbox: row.mailbox, error: String(err) });
            continue;
          }
          throw err;
        }
        result.checked += 1;
        if (seen.sentAt && row.status === 'drafted' && await move(row, 'sent', seen.sentAt, 'sent from Gmail')) result.sent += 1;
        if (seen.repliedAt && await move(row, 'responded', seen.repliedAt, 'the customer replied in Gmail')) result.responded += 1;
      }
      result.skippedMailboxes = [...refused];
      return result;
    }),
  };
}
