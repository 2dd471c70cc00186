/** A change to an incident a CSM was already alerted about, posted in the alert's thread. */
import { formatArr } from '../money';
import { affectedInOrder, customerList, totalArr } from './customer-list';
import { escapeMrkdwn, oneLine, SEVERITY_EMOJI, statusLabel, truncate } from './format';
import { approvedFootnote, approvedQuote } from './alert';
import type { CsmMessageInput } from './input';
import { context, packLines, section, withinLimits, type Block, type SlackMessage } from './slack-kit';

export function renderUpdate(input: CsmMessageInput): SlackMessage {
  const { incident } = input;
  const changes = (input.changes ?? []).map((c) => truncate(oneLine(c), 300));
  const mine = affectedInOrder(input.customers);
  const list = customerList(mine, input.customerLimit);
  const title = `${SEVERITY_EMOJI[incident.severity]} UPDATE: ${oneLine(incident.title)}`;
  const now = `Status: ${statusLabel(incident.status)}   Severity: ${incident.severity}   Your Affected Customers: ${mine.length} (${formatArr(totalArr(mine))} ARR)`;

  const blocks: Block[] = [
    section(`*${escapeMrkdwn(title)}*\n${changes.length ? changes.map((c) => `• ${escapeMrkdwn(c)}`).join('\n') : '• Details updated'}`),
    section(now.replace(/(Status|Severity|Your Affected Customers):/g, '*$1:*')),
  ];
  if (incident.message) blocks.push(section(`*Latest public update:* ${escapeMrkdwn(truncate(oneLine(incident.message), 1000))}`));
  if (mine.length > 0) {
    blocks.push(...packLines(list.mrkdwn).map(section));
    if (list.hidden > 0) blocks.push(section(`…and ${list.hidden} more. <${input.dashboardUrl}|See every affected customer in the dashboard>`));
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
