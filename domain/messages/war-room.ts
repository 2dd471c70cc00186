/** What Forewarn posts in an incident's coordination channel (`incident-<short id>-response`). */
import { formatArr } from '../money';
import type { Incident } from '../types';
import { componentLabels, escapeMrkdwn, formatClockTime, oneLine, statusLabel, truncate } from './format';
import { incidentBanner } from './alert';
import type { IncidentTotals } from './input';
import { actions, context, header, section, withinLimits, type ButtonSpec, type SlackMessage } from './slack-kit';

/** Slack channel names: lower case letters, digits, hyphens and underscores, at most 80 characters. */
export function warRoomChannelName(incident: Pick<Incident, 'id' | 'externalId'>, disambiguate = false): string {
  const slug = incident.externalId.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-|-$/g, '');
  const shortUuid = incident.id.replace(/-/g, '').slice(0, 8).toLowerCase();
  const shortId = (slug || shortUuid).slice(0, 40).replace(/-$/, '');
  return disambiguate && slug ? `incident-${shortId}-${shortUuid}-response` : `incident-${shortId}-response`;
}

/** The channel purpose carries the workflow id, so a retry (or a name clash) can tell whose channel it is. */
export function warRoomPurpose(incident: Pick<Incident, 'title' | 'workflowId'>): string {
  return truncate(`Coordination for "${oneLine(incident.title)}" · ${incident.workflowId}`, 250);
}

export function renderWarRoomSummary(input: {
  incident: Incident; totals: IncidentTotals; dashboardUrl: string; componentNames?: Record<string, string>;
}): SlackMessage {
  const { incident, totals } = input;
  const banner = incidentBanner(input);
  const components = componentLabels(incident.components, input.componentNames).join(', ') || 'Not specified';
  const started = formatClockTime(incident.startedAt);
  const facts = `Incident: ${incident.externalId}   Status: ${statusLabel(incident.status)}   Started: ${started}`;
  const impact = `Affected Customers: ${totals.customers} (${totals.highImpact} high impact)   ARR at Risk: ${formatArr(totals.arrAtRisk)}`;
  const buttons: ButtonSpec[] = [];
  if (incident.statusPageUrl) buttons.push({ action: 'view_status_page', label: 'View Status Page', workflowId: incident.workflowId, url: incident.statusPageUrl });
  buttons.push({ action: 'view_dashboard', label: 'Open Dashboard', workflowId: incident.workflowId, url: input.dashboardUrl });
  const blocks = [
    header(banner),
    section(`*Incident:* ${escapeMrkdwn(incident.externalId)}   *Status:* ${statusLabel(incident.status)}   *Started:* ${started}`),
    section(`*Affected Components:* ${escapeMrkdwn(components)}`),
    section(impact.replace(/(Affected Customers|ARR at Risk):/g, '*$1:*')),
    ...(incident.message ? [section(`*Latest public update:* ${escapeMrkdwn(truncate(oneLine(incident.message), 1000))}`)] : []),
    context('Every affected CSM has been sent their own customer list by DM. Status changes are posted here.'),
    actions(buttons),
  ];
  const plain = [banner, facts, `Affected Components: ${components}`, impact].join('\n');
  return withinLimits({ text: plain, blocks });
}

/** A free-text status note from the workflow (status change, resolution...). */
export function renderWarRoomPost(input: { incident: Incident; text: string }): SlackMessage {
  const line = `${incidentBanner(input)}`;
  const body = truncate(input.text, 2800);
  return withinLimits({ text: `${line}\n${body}`, blocks: [context(escapeMrkdwn(line)), section(escapeMrkdwn(body))] });
}
