/** Reminders after the alert: follow-ups, post-mortem, overdue public update, and escalation to a manager. */
import { formatArr } from '../money';
import { approvedFootnote, approvedQuote } from './alert';
import { customerList, customerListBlocks, listRoom, type MessageCustomer } from './customer-list';
import { escapeMrkdwn, formatDuration, oneLine, SEVERITY_EMOJI, truncate } from './format';
import type { Incident } from '../types';
import { hasWarRoom, listTotalsOf, type CsmMessageInput } from './input';
import { actions, context, header, packLines, section, withinLimits, type Block, type ButtonSpec, type SlackMessage } from './slack-kit';

function extraLines(input: CsmMessageInput): string[] {
  // A handful of lines at most, so a long list can never push the message past 50 blocks.
  return (input.changes ?? []).slice(0, 10).map((c) => truncate(oneLine(c), 300));
}

/** The extra lines as few context blocks as possible (two at most), leaving the blocks to the customer list. */
function extraBlocks(input: CsmMessageInput): Block[] {
  return packLines(extraLines(input).map(escapeMrkdwn)).map(context);
}

/**
 * A customer list with the mark contacted / responded menu beside each customer, within the
 * blocks the message's `otherBlocks` leave.
 */
function listBlocks(
  input: CsmMessageInput, customers: MessageCustomer[], whole: { customers: number; arr: number }, otherBlocks: number,
): { blocks: Block[]; plain: string[] } {
  const list = customerList(customers, input.customerLimit, whole);
  const plain = [...list.plain];
  const more: Block[] = [];
  const url = input.listUrl ?? input.dashboardUrl;
  if (list.hidden > 0) {
    more.push(section(`…and ${list.hidden} more. <${url}|See them all in the dashboard>`));
    plain.push(`…and ${list.hidden} more: ${url}`);
  }
  const blocks = [...customerListBlocks(list, input.incident.id, listRoom(otherBlocks + more.length)), ...more];
  return { blocks, plain };
}

/**
 * A day after resolution: the customers passed in are the CSM's high-impact customers whose
 * outreach is not yet responded or followed up (slice.ts).
 */
export function renderFollowUp(input: CsmMessageInput): SlackMessage {
  const { incident } = input;
  const mine = listTotalsOf(input);
  const since = incident.resolvedAt ? `Resolved ${formatDuration(incident.resolvedAt, input.now)} ago. ` : '';
  const banner = `:calendar: FOLLOW-UP: ${oneLine(incident.title)}`;
  const intro = `${since}${mine.customers} of your high-impact customers have not responded or had a follow-up yet (${formatArr(mine.arr)} ARR). Schedule a call with each:`;
  const before = [header(banner), section(escapeMrkdwn(intro))];
  // What to say on the call: the approved follow-up wording (else the resolution's).
  const after = [
    section(`*Approved Messaging:*\n${approvedQuote(input.approved.text)}`),
    context(approvedFootnote(input)),
    ...extraBlocks(input),
    actions([
      { action: 'schedule_follow_ups', label: 'Schedule Follow-ups', workflowId: incident.workflowId, style: 'primary' },
      { action: 'view_dashboard', label: 'Open Dashboard', workflowId: incident.workflowId, url: input.dashboardUrl },
    ]),
  ];
  const list = listBlocks(input, input.customers, mine, before.length + after.length);
  const blocks: Block[] = [...before, ...list.blocks, ...after];
  return withinLimits({ text: [banner, intro, ...list.plain, `Approved Messaging: "${oneLine(input.approved.text)}"`, ...extraLines(input)].join('\n'), blocks });
}

/**
 * Three days after resolution. The customers counted are every customer of the CSM in the incident,
 * affected now or earlier (slice.ts). With a post-mortem it links it ("View Post-Mortem"); without,
 * it says the incident's owner has been asked for it (renderPostMortemRequest) and how to link it.
 */
export function renderPostMortem(input: CsmMessageInput): SlackMessage {
  const { incident } = input;
  const mine = listTotalsOf(input);
  const banner = `:memo: POST-MORTEM REMINDER: ${oneLine(incident.title)}`;
  const duration = formatDuration(incident.startedAt, incident.resolvedAt ?? input.now);
  const lasted = `The incident lasted ${duration} and affected ${mine.customers} of your customers (${formatArr(mine.arr)} ARR).`;
  const intro = incident.postMortemUrl
    ? `${lasted} Share the post-mortem summary with them, starting with the high-impact accounts.`
    : `${lasted} There is no post-mortem yet: the incident's owner has been asked for it. Once it is linked (${postMortemHowTo(incident)}), share it with your customers, starting with the high-impact accounts.`;
  const buttons: ButtonSpec[] = incident.postMortemUrl
    ? [{ action: 'view_post_mortem', label: 'View Post-Mortem', workflowId: incident.workflowId, url: incident.postMortemUrl }]
    : [{ action: 'view_dashboard', label: 'Open Dashboard', workflowId: incident.workflowId, url: input.dashboardUrl }];
  const blocks: Block[] = [
    header(banner),
    section(escapeMrkdwn(intro)),
    ...extraBlocks(input),
    actions(buttons),
  ];
  return withinLimits({ text: [banner, intro, ...extraLines(input)].join('\n'), blocks });
}

/** How a person links the post-mortem: Slack, the dashboard or the API. */
export function postMortemHowTo(incident: Pick<Incident, 'externalId' | 'id'>): string {
  return `/forewarn postmortem ${incident.externalId} <link>, the incident's page in the dashboard, or PUT /api/incidents/${incident.id}/post-mortem`;
}

/** To the incident's owner (or the CS managers of its CSMs) when the 3-day reminder finds no post-mortem. */
export function renderPostMortemRequest(input: {
  incident: Incident; customers: number; csms: number; dashboardUrl: string; now: string;
}): SlackMessage {
  const { incident } = input;
  const banner = `:memo: POST-MORTEM NEEDED: ${oneLine(incident.title)}`;
  const since = incident.resolvedAt ? `was resolved ${formatDuration(incident.resolvedAt, input.now)} ago` : 'has ended';
  const intro = `${incident.severity} "${oneLine(incident.title)}" (${incident.externalId}) ${since} and affected ${input.customers} customer${input.customers === 1 ? '' : 's'} `
    + `of ${input.csms} CSM${input.csms === 1 ? '' : 's'}, who are following up with them and need its post-mortem. There is none linked yet.`;
  const how = `Link it with ${postMortemHowTo(incident)}.`;
  const blocks: Block[] = [
    header(banner),
    section(escapeMrkdwn(intro)),
    section(escapeMrkdwn(how)),
    actions([{ action: 'view_dashboard', label: 'Open Incident', workflowId: incident.workflowId, url: input.dashboardUrl, style: 'primary' }]),
  ];
  return withinLimits({ text: [banner, intro, how].join('\n'), blocks });
}

/** P1 without a public update within the promised cadence. */
export function renderUpdateReminder(input: CsmMessageInput): SlackMessage {
  const { incident } = input;
  const high = listTotalsOf(input).highImpact;
  const banner = `:hourglass_flowing_sand: UPDATE OVERDUE: ${oneLine(incident.title)}`;
  const intro = `No public update has been posted within the promised cadence. Your customers were told to expect regular updates: check in with your ${high} high-impact customer${high === 1 ? '' : 's'} and ask the incident team for the next update.`;
  const buttons: ButtonSpec[] = [];
  if (incident.statusPageUrl) buttons.push({ action: 'view_status_page', label: 'View Status Page', workflowId: incident.workflowId, url: incident.statusPageUrl });
  if (hasWarRoom(incident)) buttons.push({ action: 'join_war_room', label: 'Join War Room', workflowId: incident.workflowId });
  buttons.push({ action: 'view_dashboard', label: 'Open Dashboard', workflowId: incident.workflowId, url: input.dashboardUrl });
  const blocks: Block[] = [
    header(banner),
    section(escapeMrkdwn(intro)),
    ...extraBlocks(input),
    actions(buttons),
  ];
  return withinLimits({ text: [banner, intro, ...extraLines(input)].join('\n'), blocks });
}

/** To the manager of a CSM who neither acknowledged nor moved any high-impact customer past pending. */
export function renderEscalation(input: CsmMessageInput): SlackMessage {
  const { incident } = input;
  const silent = input.silentCsm ?? input.recipient;
  // The silent CSM's customers affected now, high-impact ones first (slice.ts).
  const mine = listTotalsOf(input);
  const high = input.customers.filter((c) => c.impactLevel === 'high');
  const banner = `${SEVERITY_EMOJI[incident.severity]} ESCALATION: ${oneLine(incident.title)}`;
  const name = oneLine(silent.name);
  const intro = `${name} (${silent.email}) has not acknowledged the ${incident.severity} alert nor contacted any of their ${mine.highImpact} high-impact customers (${formatArr(mine.highArr)} ARR). Please follow up with ${name} or reach out to these customers:`;
  const buttons: ButtonSpec[] = [{ action: 'view_dashboard', label: 'Open Dashboard', workflowId: incident.workflowId, url: input.dashboardUrl, style: 'primary' }];
  if (hasWarRoom(incident)) buttons.push({ action: 'join_war_room', label: 'Join War Room', workflowId: incident.workflowId });
  if (incident.statusPageUrl) buttons.push({ action: 'view_status_page', label: 'View Status Page', workflowId: incident.workflowId, url: incident.statusPageUrl });
  // The manager may reach out in the CSM's place, so the list carries the outreach menu here too.
  const before = [header(banner), section(escapeMrkdwn(intro))];
  const after = [...extraBlocks(input), actions(buttons)];
  const list = mine.highImpact > 0
    ? listBlocks(input, high, { customers: mine.highImpact, arr: mine.highArr }, before.length + after.length)
    : listBlocks(input, input.customers, mine, before.length + after.length);
  const blocks: Block[] = [...before, ...list.blocks, ...after];
  return withinLimits({ text: [banner, intro, ...list.plain, ...extraLines(input)].join('\n'), blocks });
}
