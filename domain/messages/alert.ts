/**
 * The first DM a CSM gets about an incident, in the product's alert format:
 *
 *   :rotating_light: P1 INCIDENT: API Latency Issues
 *   Incident: API-2026-0129-001   Status: Investigating   Started: 2:30 PM EST
 *   Affected Components: API Gateway, Data Processing Pipeline
 *   Your Affected Customers (5):
 *   1. :rotating_light: TechCorp - $500K ARR - Heavy API user
 *   ...
 *   Total ARR at Risk: $1.125M
 *   Approved Messaging: "We're currently experiencing elevated API latency. ..."
 *   [View Status Page] [Draft Customer Emails] [Join War Room] [Acknowledge]
 *
 * In Block Kit each listed customer has a "…" menu: Mark contacted / Mark responded (actions.ts).
 */
import { formatArr } from '../money';
import { customerList, customerListBlocks, listRoom } from './customer-list';
import {
  componentLabels, escapeMrkdwn, formatClockTime, oneLine, SEVERITY_EMOJI, statusLabel,
} from './format';
import { hasWarRoom, listTotalsOf, type CsmMessageInput } from './input';
import {
  actions, context, header, section, withinLimits, type Block, type ButtonSpec, type SlackMessage,
} from './slack-kit';

export function incidentBanner(input: Pick<CsmMessageInput, 'incident'>): string {
  const { incident } = input;
  return `${SEVERITY_EMOJI[incident.severity]} ${incident.severity} INCIDENT: ${oneLine(incident.title)}`;
}

export function approvedQuote(text: string): string {
  return text.split('\n').map((l) => `>${escapeMrkdwn(l)}`).join('\n');
}

export function approvedFootnote(input: CsmMessageInput): string {
  return input.approved.fallback
    ? 'No approved template matches this incident: this is Forewarn\'s neutral default wording.'
    : `Approved template ${input.approved.templateKey} v${input.approved.version}`;
}

export function renderAlert(input: CsmMessageInput): SlackMessage {
  const { incident } = input;
  // The CSM's customers affected now, in priority order (slice.ts), and the totals of all of them.
  const mine = listTotalsOf(input);
  const list = customerList(input.customers, input.customerLimit, mine);
  const arr = formatArr(mine.arr);
  const listUrl = input.listUrl ?? input.dashboardUrl;
  const started = formatClockTime(incident.startedAt, input.timeZone, input.now);
  const components = componentLabels(incident.components, input.componentNames).join(', ') || 'Not specified';
  const banner = incidentBanner(input);
  const facts = `Incident: ${incident.externalId}   Status: ${statusLabel(incident.status)}   Started: ${started}`;
  const more = list.hidden > 0
    ? `…and ${list.hidden} more (${formatArr(list.hiddenArr)} ARR)`
    : '';

  const buttons: ButtonSpec[] = [];
  if (incident.statusPageUrl) buttons.push({ action: 'view_status_page', label: 'View Status Page', workflowId: incident.workflowId, url: incident.statusPageUrl });
  buttons.push({ action: 'draft_customer_emails', label: 'Draft Customer Emails', workflowId: incident.workflowId, style: 'primary' });
  if (hasWarRoom(incident)) buttons.push({ action: 'join_war_room', label: 'Join War Room', workflowId: incident.workflowId });
  buttons.push({ action: 'acknowledge', label: 'Acknowledge', workflowId: incident.workflowId });

  // Facts and components share a section so that the longest list (40) still gets a menu per customer.
  const before: Block[] = [
    header(banner),
    section(`*Incident:* ${escapeMrkdwn(incident.externalId)}   *Status:* ${statusLabel(incident.status)}   *Started:* ${started}\n`
      + `*Affected Components:* ${escapeMrkdwn(components)}`),
    section(`*Your Affected Customers (${mine.customers}):*`),
  ];
  const after: Block[] = [];
  if (more) after.push(section(`${more}. <${listUrl}|See every affected customer in the dashboard>`));
  after.push(section(`*Total ARR at Risk:* ${arr}`));
  after.push(context(`Whole incident: ${input.totals.customers} customers, ${formatArr(input.totals.arrAtRisk)} ARR at risk, ${input.totals.highImpact} high impact`));
  after.push(section(`*Approved Messaging:*\n${approvedQuote(input.approved.text)}`));
  after.push(context(approvedFootnote(input)));
  after.push(actions(buttons));
  const blocks = [...before, ...customerListBlocks(list, incident.id, listRoom(before.length + after.length)), ...after];

  const plain = [
    banner,
    facts,
    `Affected Components: ${components}`,
    `Your Affected Customers (${mine.customers}):`,
    ...list.plain,
    ...(more ? [`${more}: ${listUrl}`] : []),
    `Total ARR at Risk: ${arr}`,
    `Approved Messaging: "${oneLine(input.approved.text)}"`,
  ].join('\n');
  return withinLimits({ text: plain, blocks });
}
