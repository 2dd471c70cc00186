/**
 * What each Forewarn button does on the incident workflow, and the Slack reply that tells the
 * clicking user how it went. Runs after Slack has been answered (Slack waits 3 s at most; drafting
 * emails can take longer), and reports through the interaction's response_url.
 */
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import { sql } from 'kysely';
import { recordAudit } from '../../db/audit';
import { roleOf } from '../../db/people';
import { actorLabel, type Actor } from '../../domain/actor';
import { findCsm } from '../../db/incident-queries';
import { parseAction, parseCustomerAction, type ClickedElement } from '../../domain/messages/actions';
import {
  acknowledgeSignal, draftEmailsUpdate, joinWarRoomSignal, scheduleFollowUpsUpdate, sendResolutionEmailsUpdate,
} from '../../workflows/contract';
import { recordOutreach } from '../outreach';
import { executeUpdate, sendSignal, toProblem } from '../workflow-calls';

/** One entry of a block_actions payload's `actions`: a button carries `value`, an overflow menu `selected_option`. */
export interface SlackBlockAction extends ClickedElement { block_id?: string; type?: string }

/** A message for response_url: an ephemeral note to the clicker, or the original message with a line added. */
export type SlackReply =
  | { response_type: 'ephemeral'; replace_original: false; text: string }
  | { replace_original: true; text: string; blocks: unknown[] };

export interface ActionContext {
  temporal: Client;
  db: Kysely<Database>;
  user: { id: string; name?: string };
  /** The message the button sits on (block_actions carry it), to be updated in place. */
  message?: { text?: string; blocks?: unknown[] };
}

const ephemeral = (text: string): SlackReply => ({ response_type: 'ephemeral', replace_original: false, text });

function withContextLine(message: ActionContext['message'], line: string): SlackReply {
  if (!message?.blocks?.length) return ephemeral(line);
  const blocks = [...message.blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: line }] }];
  // Slack allows 50 blocks a message: keep the newest status line, drop the oldest added one.
  while (blocks.length > 50) blocks.splice(blocks.length - 2, 1);
  return { replace_original: true, text: message.text ?? line, blocks };
}

/**
 * Performs one button's action and returns the reply; undefined for buttons that only open a URL
 * or are not Forewarn's. Never throws: a refusal or an outage becomes a message to the user.
 */
export async function performAction(ctx: ActionContext, element: SlackBlockAction): Promise<SlackReply | undefined> {
  const who = `<@${ctx.user.id}>`;
  const customerAction = parseCustomerAction(element);
  const action = customerAction ? undefined : parseAction(element);
  if (!customerAction && !action) return undefined;
  if (action && ['view_status_page', 'view_post_mortem', 'view_dashboard'].includes(action.action)) return undefined;

  // For messages: the workflow id, or (per-customer menus) the incident id the menu names.
  const workflowId = customerAction ? (customerAction.workflowId ?? customerAction.incidentId) : action!.workflowId;
  const csm = await findCsm(ctx.db, { slackUserId: ctx.user.id }).catch(() => undefined);
  const ids = { slackUserId: ctx.user.id, ...(csm ? { csmEmail: csm.email } : {}) };
  const slackActor = await slackUserActor(ctx.db, ctx.user, csm).catch((): Actor => ({ kind: 'slack', id: ctx.user.id, name: ctx.user.name ?? ctx.user.id }));
  const actor = actorLabel(slackActor);
  const audit = async (action: string, detail?: Record<string, unknown>) => {
    const incident = await ctx.db.selectFrom('product_incidents').select('id').where('workflow_id', '=', workflowId).executeTakeFirst();
    await recordAudit(ctx.db, { actor: slackActor, action, incidentId: incident?.id ?? null, target: csm?.email ?? null, ...(detail ? { detail } : {}) });
  };
  try {
    if (customerAction) {
      const lookup = ctx.db.selectFrom('product_incidents').select(['id', 'workflow_id as workflowId']);
      const incident = await (customerAction.incidentId !== undefined
        ? lookup.where('id', '=', customerAction.incidentId)
        : lookup.where('workflow_id', '=', customerAction.workflowId)).executeTakeFirst();
      if (!incident) return ephemeral(':warning: That did not work: this incident is not on record.');
      const r = await recordOutreach(ctx, incident, { customerId: customerAction.customerId, status: customerAction.status, actor: slackActor });
      const name = await customerName(ctx.db, r.customerId);
      return withContextLine(ctx.message, `:white_check_mark: ${name} marked *${r.status === 'sent' ? 'contacted' : 'responded'}* by ${who}`);
    }
    switch (action!.action) {
      case 'acknowledge':
        await sendSignal(ctx.temporal, workflowId, acknowledgeSignal, ids);
        await audit('incident.acknowledged');
        return withContextLine(ctx.message, `:eyes: Acknowledged by ${who}`);
      case 'join_war_room':
        await sendSignal(ctx.temporal, workflowId, joinWarRoomSignal, { slackUserId: ctx.user.id });
        await audit('incident.war_room_joined');
        return ephemeral(':busts_in_silhouette: You are being invited to the incident\'s war-room channel.');
      case 'draft_customer_emails': {
        const r = await executeUpdate(ctx.temporal, workflowId, draftEmailsUpdate, { ...ids, actor });
        await audit('outreach.drafts_requested', { ...r });
        return ephemeral(r.drafted > 0
          ? `:email: ${r.drafted} email draft${r.drafted === 1 ? '' : 's'} ready in your Gmail drafts.`
          : ':email: No new drafts: every customer of yours already has one or has been contacted.');
      }
      case 'send_resolution_emails': {
        const r = await executeUpdate(ctx.temporal, workflowId, sendResolutionEmailsUpdate, { ...ids, actor });
        await audit('outreach.resolution_emails_requested', { ...r });
        return ephemeral(r.drafted > 0
          ? `:white_check_mark: Resolution emails prepared for ${r.drafted} customer${r.drafted === 1 ? '' : 's'}.`
          : ':white_check_mark: No resolution emails needed: none of your contacted customers is waiting for one.');
      }
      case 'schedule_follow_ups': {
        const r = await executeUpdate(ctx.temporal, workflowId, scheduleFollowUpsUpdate, ids);
        await audit('outreach.follow_ups_scheduled', { dueAt: r.dueAt });
        return withContextLine(ctx.message, `:calendar: Follow-up reminder for ${who} scheduled for <!date^${Math.floor(Date.parse(r.dueAt) / 1000)}^{date_short_pretty} {time}|${r.dueAt}>`);
      }
      default:
        return undefined;
    }
  } catch (err) {
    const problem = toProblem(err, workflowId);
    return ephemeral(`:warning: That did not work: ${problem.message}`);
  }
}

/**
 * The clicking Slack user, as the person or CSM their Slack user id is linked to, with that role
 * (a CS manager may move their team's customers from the war room). Unlinked: no role, so no changes.
 */
export async function slackUserActor(db: Kysely<Database>, user: { id: string; name?: string }, csm?: { email: string; name: string }): Promise<Actor> {
  const person = await db.selectFrom('people').select(['email', 'name', 'is_admin'])
    .where((eb) => eb.or([eb('slack_user_id', '=', user.id), ...(csm ? [eb(sql<string>`lower(email)`, '=', csm.email.toLowerCase())] : [])]))
    .executeTakeFirst();
  const email = csm?.email ?? person?.email;
  const name = csm?.name ?? person?.name ?? user.name ?? user.id;
  const role = email ? await roleOf(db, { email, slackUserId: user.id, isAdmin: person?.is_admin }) : undefined;
  return { kind: 'slack', id: user.id, name, ...(email ? { email } : {}), ...(role ? { role } : {}) };
}

async function customerName(db: Kysely<Database>, customerId: string): Promise<string> {
  const row = await db.selectFrom('customers').select('name').where('id', '=', customerId).executeTakeFirst().catch(() => undefined);
  return row ? `*${row.name}*` : 'The customer';
}

/**
 * Replies go only to Slack's own hooks host (or to the Slack API host the config points at, e.g. a
 * local fake): a response_url is taken from the request, and must not make the API call anywhere else.
 */
export function responseUrlAllowed(url: string, slackApiUrl?: string): boolean {
  let target: URL;
  try { target = new URL(url); } catch { return false; }
  if (target.protocol === 'https:' && target.hostname === 'hooks.slack.com') return true;
  if (!slackApiUrl) return false;
  return target.origin === new URL(slackApiUrl).origin;
}

/** Posts the reply to Slack's response_url (valid for 30 minutes, 5 uses). */
export async function postToResponseUrl(url: string, reply: SlackReply, fetchImpl: typeof fetch = fetch): Promise<void> {
  const res = await fetchImpl(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(reply),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}
