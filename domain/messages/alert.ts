/**
 * The first DM a CSM gets about an incident, line for line the product spec's alert (section 5.1),
 * emoji written as Slack shortcodes:
 *
 *   :rotating_light: P1 INCIDENT: API Latency Issues
 *
 *   Incident: API-2026-0129-001
 *   Status: Investigating
 *   Started: 2:30 PM EST
 *
 *   Affected Components:
 *   • API Gateway
 *   • Data Processing Pipeline
 *
 *   Your Affected Customers (5):
 *   1. :rotating_light: TechCorp - $500K ARR - Heavy API user
 *   2. :rotating_light: GlobalInc - $350K ARR - Integration-dependent
 *   3. :warning: DataFlow - $200K ARR - Moderate impact
 *   4. :warning: StartupXYZ - $50K ARR - Moderate impact
 *   5. :large_blue_circle: SmallBiz - $25K ARR - Low impact
 *
 *   Total ARR at Risk: $1.125M
 *
 *   Approved Messaging:
 *   "We're currently experiencing elevated API latency. ..."
 *
 *   [View Status Page] [Draft Customer Emails] [Join War Room]
 *
 * The text fallback is exactly that text (without the buttons); Block Kit has one block a section.
 * Forewarn's extras come after the spec's content: the whole incident's totals and which template
 * the message comes from (one context block), then Acknowledge after the spec's buttons. Each
 * listed customer has a "…" menu beside its line: Mark contacted / Mark responded (actions.ts).
 */
import { formatArr } from '../money';
import { customerList, customerListBlocks, listRoom } from './customer-list';
import {
  bulleted, componentLabels, escapeMrkdwn, formatClockTime, labelledLines, oneLine, paragraphs, SEVERITY_EMOJI, statusLabel,
} from './format';
import { hasWarRoom, listTotalsOf, type CsmMessageInput } from './input';
import {
  actions, contextLines, header, section, withinLimits, type Block, type ButtonSpec, type SlackMessage,
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

/** The approved message as the spec shows it: in quotes, on the line after its label. */
export function quotedApproved(text: string): string {
  return `"${text.trim()}"`;
}

export function renderAlert(input: CsmMessageInput): SlackMessage {
  const { incident } = input;
  // The CSM's customers affected now, in priority order (slice.ts), and the totals of all of them.
  const mine = listTotalsOf(input);
  const list = customerList(input.customers, input.customerLimit, mine);
  const arr = formatArr(mine.arr);
  const listUrl = input.listUrl ?? input.dashboardUrl;
  const started = formatClockTime(incident.startedAt, input.timeZone, input.now);
  const components = componentLabels(incident.components, input.componentNames);
  const banner = incidentBanner(input);
  const more = list.hidden > 0
    ? `…and ${list.hidden} more (${formatArr(list.hiddenArr)} ARR)`
    : '';

  const buttons: ButtonSpec[] = [];
  if (incident.statusPageUrl) buttons.push({ action: 'view_status_page', label: 'View Status Page', workflowId: incident.workflowId, url: incident.statusPageUrl });
  buttons.push({ action: 'draft_customer_emails', label: 'Draft Customer Emails', workflowId: incident.workflowId, style: 'primary' });
  if (hasWarRoom(incident)) buttons.push({ action: 'join_war_room', label: 'Join War Room', workflowId: incident.workflowId });
  buttons.push({ action: 'acknowledge', label: 'Acknowledge', workflowId: incident.workflowId });

  // One block a section of the spec; the customer list continues its label's block (customer-list.ts).
  const before: Block[] = [
    header(banner),
    section(labelledLines([['Incident', escapeMrkdwn(incident.externalId)], ['Status', statusLabel(incident.status)], ['Started', started]])),
    section(`*Affected Components:*\n${bulleted(components.map(escapeMrkdwn))}`),
    section(`*Your Affected Customers (${mine.customers}):*`),
  ];
  const after: Block[] = [];
  if (more) after.push(section(`${more}. <${listUrl}|See every affected customer in the dashboard>`));
  after.push(section(`*Total ARR at Risk:* ${arr}`));
  after.push(section(`*Approved Messaging:*\n${escapeMrkdwn(quotedApproved(input.approved.text))}`));
  // Forewarn's extras, after the spec's content: one context block keeps the 40-customer list within 50 blocks.
  after.push(contextLines([
    `Whole incident: ${input.totals.customers} customers, ${formatArr(input.totals.arrAtRisk)} ARR at risk, ${input.totals.highImpact} high impact`,
    approvedFootnote(input),
  ]));
  after.push(actions(buttons));
  const blocks = [...before, ...customerListBlocks(list, incident.id, listRoom(before.length + after.length)), ...after];

  const plain = paragraphs([
    [banner],
    [`Incident: ${incident.externalId}`, `Status: ${statusLabel(incident.status)}`, `Started: ${started}`],
    ['Affected Components:', bulleted(components)],
    [`Your Affected Customers (${mine.customers}):`, ...list.plain, ...(more ? [`${more}: ${listUrl}`] : [])],
    [`Total ARR at Risk: ${arr}`],
    ['Approved Messaging:', quotedApproved(input.approved.text)],
  ]);
  return withinLimits({ text: plain, blocks });
}
