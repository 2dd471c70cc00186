/** A change to an incident a CSM was already alerted about, posted in the alert's thread. */
import { formatArr } from '../money';
import { customerList } from './customer-list';
import { escapeMrkdwn, joinWords, oneLine, SEVERITY_EMOJI, statusLabel, truncate } from './format';
import { approvedFootnote, approvedQuote } from './alert';
import { listTotalsOf, type CsmMessageInput } from './input';
import { context, packLines, section, withinLimits, type Block, type SlackMessage } from './slack-kit';

export function renderUpdate(input: CsmMessageInput): SlackMessage {
  const { incident } = input;
  const changes = (input.changes ?? []).map((c) => truncate(oneLine(c), 300));
  const mine = listTotalsOf(input);
  const list = customerList(input.customers, input.customerLimit, mine);
  const title = `${SEVERITY_EMOJI[incident.severity]} UPDATE: ${oneLine(incident.title)}`;
  const now = `Status: ${statusLabel(incident.status)}   Severity: ${incident.severity}   Your Affected Customers: ${mine.customers} (${formatArr(mine.arr)} ARR)`;

  const blocks: Block[] = [
    section(`*${escapeMrkdwn(title)}*\n${changes.length ? changes.map((c) => `• ${escapeMrkdwn(c)}`).join('\n') : '• Details updated'}`),
    section(now.replace(/(Status|Severity|Your Affected Customers):/g, '*$1:*')),
  ];
  if (incident.message) blocks.push(section(`*Latest public update:* ${escapeMrkdwn(truncate(oneLine(incident.message), 1000))}`));
  if (list.shown.length > 0) {
    blocks.push(...packLines(list.mrkdwn).map(section));
    if (list.hidden > 0) blocks.push(section(`…and ${list.hidden} more. <${input.listUrl ?? input.dashboardUrl}|See every affected customer in the dashboard>`));
  }
  blocks.push(section(`*Approved Messaging:*\n${approvedQuote(input.approved.text)}`));
  blocks.push(context(approvedFootnote(input)));

  const plain = [
    title,
    ...changes.map((c) => `- ${c}`),
    now,
    ...(incident.message ? [`Latest public update: ${oneLine(incident.message)}`] : []),
    `Approved Messaging: "${oneLine(input.approved.text)}"`,
  ].join('\n');
  return withinLimits({ text: plain, blocks });
}

/** How many names a "Now also affected" / "No longer affected" line spells out. */
export const CHANGED_NAMES_MAX = 10;

/** Customers a re-analysis moved for one CSM: the first names (in priority order) and how many in all. */
export interface ChangedCustomers { names: string[]; count: number }

function namesLine(label: string, changed: ChangedCustomers | undefined): string[] {
  if (!changed || changed.count <= 0) return [];
  const names = changed.names.slice(0, CHANGED_NAMES_MAX).map((n) => truncate(oneLine(n), 60));
  const rest = changed.count - names.length;
  return [`${label}: ${rest > 0 ? `${names.join(', ')} and ${rest} more` : joinWords(names)}`];
}

/** The update's lines for what a re-analysis changed among the CSM's own customers. */
export function affectedChangeLines(added?: ChangedCustomers, removed?: ChangedCustomers): string[] {
  return [...namesLine('Now also affected', added), ...namesLine('No longer affected', removed)];
}
