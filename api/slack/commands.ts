/**
 * The `/forewarn` slash command: `status` lists open incidents, `queue` the caller's customers
 * still waiting for outreach, `merge <A> <B>` merges incident B into A, `split <A> <source>:<id>` splits a
 * source incident out of A (api/incident-correlation.ts), `postmortem <incident> <link>` links its
 * post-mortem (api/post-mortem.ts), `help` the usage. Answered in the request itself
 * (a few rows from Postgres and a signal, well inside Slack's 3 s), visible only to the caller.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import { findCsm, getCsmQueue, getIncident, getIncidentByWorkflowId, listIncidents, listOpenIncidents, type IncidentView } from '../../db/incident-queries';
import { INCIDENT_SOURCES, SEVERITIES, type IncidentSource, type Severity } from '../../domain/types';
import { declareIncident, manualDeliveryId } from '../incident-actions';
import type { IngestDeps } from '../webhooks/ingest';
import { mergeIncidents, splitSource, type CorrelationDeps } from '../incident-correlation';
import { HttpProblem } from '../problem';
import { assertMayManageIncidents } from '../roles';
import { slackUserActor } from './button-actions';
import { escapeMrkdwn, IMPACT_EMOJI, SEVERITY_EMOJI, statusLabel } from '../../domain/messages/format';
import { formatArr } from '../../domain/money';

export interface SlashReply { response_type: 'ephemeral'; text: string }

const USAGE = '*Forewarn* — `/forewarn status`: open incidents · `/forewarn queue`: your customers waiting for outreach · '
  + '`/forewarn declare <P1-P4> <component[,component]> <title>`: declare an incident · '
  + '`/forewarn merge <A> <B>`: merge incident B into A · `/forewarn split <A> <source>:<id>`: split a source incident out of A · '
  + '`/forewarn postmortem <incident> <link>`: link an incident\'s post-mortem · `/forewarn help`'
  + ' (an incident is its id, or the incident id shown in its alert)';

/** Links a post-mortem as the Slack user (api/post-mortem.ts); answers what to tell them. */
export type LinkPostMortem = (incident: IncidentView, url: string) => Promise<string>;

export async function runSlashCommand(
  db: Kysely<Database>, input: { text: string; userId: string; userName?: string; dashboardUrl: string; triggerId?: string; linkPostMortem?: LinkPostMortem }, correlation?: CorrelationDeps,
  /** For `declare`: the one forwarding path, with the request's deadline (Slack waits 3 s). */
  ingest?: IngestDeps,
): Promise<SlashReply> {
  const words = input.text.trim().split(/\s+/).filter(Boolean);
  const sub = (words[0] ?? 'status').toLowerCase();
  if (sub === 'status') return { response_type: 'ephemeral', text: await statusText(db, input.dashboardUrl) };
  if (sub === 'queue') return { response_type: 'ephemeral', text: await queueText(db, input.userId, input.dashboardUrl) };
  if (sub === 'declare' && ingest) return { response_type: 'ephemeral', text: await declareText(ingest, words.slice(1), input) };
  if ((sub === 'merge' || sub === 'split') && correlation) {
    return { response_type: 'ephemeral', text: await correlationText(db, correlation, sub, words.slice(1), input) };
  }
  if ((sub === 'postmortem' || sub === 'post-mortem') && input.linkPostMortem) {
    return { response_type: 'ephemeral', text: await postMortemText(db, words.slice(1), input.linkPostMortem) };
  }
  return { response_type: 'ephemeral', text: sub === 'help' ? USAGE : `Unknown subcommand "${escapeMrkdwn(sub)}". ${USAGE}` };
}

/** An incident named as people see it: its id, its workflow id, or the external id its alert shows (when unique). */
async function findIncident(db: Kysely<Database>, ref: string): Promise<IncidentView> {
  const byId = /^[0-9a-f-]{36}$/i.test(ref) ? await getIncident(db, ref) : await getIncidentByWorkflowId(db, ref);
  if (byId) return byId;
  const { items } = await listIncidents(db, { externalId: ref, limit: 3, offset: 0 });
  const open = items.filter((i) => !i.mergedInto);
  if (open.length === 1) return open[0]!;
  throw new HttpProblem(404, 'Unknown incident', open.length > 1 ? `"${ref}" names several incidents: use the incident's id.` : `No incident "${ref}".`);
}

async function correlationText(db: Kysely<Database>, correlation: CorrelationDeps, sub: 'merge' | 'split', args: string[],
  input: { userId: string; userName?: string; dashboardUrl: string }): Promise<string> {
  if (args.length !== 2) return `Usage: ${sub === 'merge' ? '`/forewarn merge <A> <B>` (B is merged into A)' : '`/forewarn split <A> <source>:<id>`'}`;
  const csm = await findCsm(db, { slackUserId: input.userId }).catch(() => undefined);
  const actor = await slackUserActor(db, { id: input.userId, name: input.userName }, csm);
  if (!actor.role) return 'Your Slack account is not linked to a person in Forewarn, so it cannot change incidents.';
  try {
    // The same rule as the REST routes (api/roles.ts): merging and splitting take a CS manager or an admin.
    assertMayManageIncidents(actor, sub === 'merge' ? 'merge incidents' : 'split incidents');
    const target = await findIncident(db, args[0]!);
    if (sub === 'merge') {
      const merged = await findIncident(db, args[1]!);
      await mergeIncidents(correlation, target, merged, actor);
      return `:twisted_rightwards_arrows: "${escapeMrkdwn(merged.title)}" is being merged into "${escapeMrkdwn(target.title)}": its CSMs hear it in their alert's thread. `
        + `<${input.dashboardUrl}/incidents/${target.id}|Open it>`;
    }
    const [source, ...rest] = args[1]!.split(':');
    if (!(INCIDENT_SOURCES as readonly string[]).includes(source!) || rest.length === 0) return `Name the source incident as <source>:<id>, e.g. statuspage:p31zjtct2jer.`;
    const split = await splitSource(correlation, target, { source: source as IncidentSource, externalId: rest.join(':') }, actor);
    return `:scissors: ${escapeMrkdwn(args[1]!)} is split out of "${escapeMrkdwn(target.title)}" into its own incident. <${input.dashboardUrl}/incidents/${split.incidentId}|Open it>`;
  } catch (err) {
    if (err instanceof HttpProblem) return `:warning: ${escapeMrkdwn(err.message)}`;
    throw err;
  }
}

/**
 * `/forewarn declare P2 checkout,search Checkout fails for EU cards`: the same declaration as
 * POST /api/incidents (source manual), by the Slack user's linked person; answered once forwarded.
 */
async function declareText(ingest: IngestDeps, args: string[], input: { userId: string; userName?: string; dashboardUrl: string; triggerId?: string }): Promise<string> {
  const usage = 'Usage: `/forewarn declare <P1-P4> <component[,component]> <title>`, e.g. `/forewarn declare P2 checkout Card payments failing`';
  const [level, components, ...title] = args;
  const severity = level?.toUpperCase() as Severity | undefined;
  if (!severity || !(SEVERITIES as readonly string[]).includes(severity) || !components || title.length === 0) return usage;
  const csm = await findCsm(ingest.db, { slackUserId: input.userId }).catch(() => undefined);
  const actor = await slackUserActor(ingest.db, { id: input.userId, name: input.userName }, csm);
  if (!actor.role) return 'Your Slack account is not linked to a person in Forewarn, so it cannot declare incidents.';
  try {
    const declared = await declareIncident(ingest, {
      title: title.join(' ').slice(0, 500), severity, affectedComponents: components.split(',').map((c) => c.trim()).filter(Boolean).slice(0, 100),
    }, { actor, deliveryId: manualDeliveryId(input.triggerId && `slack:${input.triggerId}`) });
    if (declared.joined) {
      return `:link: Joined the open incident "${escapeMrkdwn(declared.title)}": your declaration overlaps it, so no second incident was opened `
        + `and nobody is alerted twice (your declaration is on its timeline). <${input.dashboardUrl}/incidents/${declared.incidentId}|Open it>`;
    }
    return `${SEVERITY_EMOJI[severity]} Declared *${severity}* "${escapeMrkdwn(title.join(' '))}": the CSMs of affected customers are being alerted. `
      + `<${input.dashboardUrl}/incidents/${declared.incidentId}|Open it>`;
  } catch (err) {
    if (err instanceof HttpProblem) return `:warning: ${escapeMrkdwn(err.message)}`;
    throw err;
  }
}

/** `/forewarn postmortem <incident> <link>`: the incident as `findIncident` reads it. */
async function postMortemText(db: Kysely<Database>, args: string[], link: LinkPostMortem): Promise<string> {
  const [ref, url] = args;
  if (!ref || !url || args.length > 2) return 'Usage: `/forewarn postmortem <incident> <link>`, e.g. `/forewarn postmortem API-2026-0129-001 https://wiki.example.com/pm/123`.';
  try {
    return await link(await findIncident(db, ref), url.replace(/^<(.*?)(\|.*)?>$/, '$1'));
  } catch (err) {
    if (err instanceof HttpProblem) return `:warning: ${escapeMrkdwn(err.message)}`;
    throw err;
  }
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
