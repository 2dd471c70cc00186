/**
 * The `/forewarn` slash command: `status` lists open incidents, `queue` the caller's customers
 * still waiting for outreach, `help` the usage. Answered in the request itself (a few rows from
 * Postgres, well inside Slack's 3 s), visible only to the caller.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import { findCsm, getCsmQueue, listOpenIncidents } from '../../db/incident-queries';
import { escapeMrkdwn, IMPACT_EMOJI, SEVERITY_EMOJI, statusLabel } from '../../domain/messages/format';
import { formatArr } from '../../domain/money';

export interface SlashReply { response_type: 'ephemeral'; text: string }

const USAGE = '*Forewarn* — `/forewarn status`: open incidents · `/forewarn queue`: your customers waiting for outreach · `/forewarn help`';

export async function runSlashCommand(db: Kysely<Database>, input: { text: string; userId: string; dashboardUrl: string }): Promise<SlashReply> {
  const [sub = 'status'] = input.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (sub === 'status') return { response_type: 'ephemeral', text: await statusText(db, input.dashboardUrl) };
  if (sub === 'queue') return { response_type: 'ephemeral', text: await queueText(db, input.userId, input.dashboardUrl) };
  return { response_type: 'ephemeral', text: sub === 'help' ? USAGE : `Unknown subcommand "${escapeMrkdwn(sub)}". ${USAGE}` };
}

async function statusText(db: Kysely<Database>, dashboardUrl: string): Promise<string> {
  const open = await listOpenIncidents(db, 15);
  if (open.length === 0) return ':white_check_mark: No open incidents.';
  const lines = open.map((i) => `${SEVERITY_EMOJI[i.severity]} *${i.severity}* ${escapeMrkdwn(i.title)} — ${statusLabel(i.status)} — `
    + `${i.affectedCustomerCount} customer${i.affectedCustomerCount === 1 ? '' : 's'}, ${formatArr(i.arrAtRisk)} ARR at risk`);
  return [`*${open.length} open incident${open.length === 1 ? '' : 's'}*`, ...lines, `<${dashboardUrl}|Open the dashboard>`].join('\n');
}

async function queueText(db: Kysely<Database>, slackUserId: string, dashboardUrl: string): Promise<string> {
  const csm = await findCsm(db, { slackUserId });
  if (!csm) return 'Your Slack account is not linked to a CSM in Forewarn (import your CSM record with your Slack user id).';
  const items = (await getCsmQueue(db, csm.email)).filter((i) => i.outreachStatus === 'pending');
  if (items.length === 0) return ':white_check_mark: Nothing waiting: none of your affected customers is pending outreach.';
  const lines = items.slice(0, 15).map((i) => `${IMPACT_EMOJI[i.impactLevel]} *${escapeMrkdwn(i.customer.name)}* (${formatArr(i.customer.arr)} ARR) — `
    + `${i.incident.severity} ${escapeMrkdwn(i.incident.title)} — ${escapeMrkdwn(i.reason)}`);
  const more = items.length > 15 ? [`…and ${items.length - 15} more on the <${dashboardUrl}|dashboard>.`] : [];
  return [`*${items.length} customer${items.length === 1 ? '' : 's'} waiting for outreach*`, ...lines, ...more].join('\n');
}
