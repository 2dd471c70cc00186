/**
 * The resolution DM, in the product's format:
 *
 *   :white_check_mark: INCIDENT RESOLVED: API Latency Issues
 *   Incident: API-2026-0129-001   Duration: 2 hours 15 minutes   Resolution: Root cause identified and fixed
 *   Affected Customers: 5
 *   Next Steps: 1. Send resolution notification to affected customers 2. Schedule follow-up calls for
 *   high-impact customers 3. Prepare post-mortem summary
 *   [Send Resolution Emails] [Schedule Follow-ups] [View Post-Mortem]
 */
import { formatArr } from '../money';
import { escapeMrkdwn, formatDuration, oneLine, truncate } from './format';
import { listTotalsOf, type CsmMessageInput } from './input';
import { actions, context, header, section, withinLimits, type SlackMessage } from './slack-kit';

export const NEXT_STEPS = [
  'Send resolution notification to affected customers',
  'Schedule follow-up calls for high-impact customers',
  'Prepare post-mortem summary',
];

export function renderResolution(input: CsmMessageInput): SlackMessage {
  const { incident } = input;
  const duration = formatDuration(incident.startedAt, incident.resolvedAt ?? input.now);
  const resolution = truncate(oneLine(incident.message ?? 'Resolved'), 500);
  // The CSM's customers affected when it resolved (slice.ts).
  const mine = listTotalsOf(input);
  const high = mine.highImpact;
  const banner = `:white_check_mark: INCIDENT RESOLVED: ${oneLine(incident.title)}`;
  const steps = NEXT_STEPS.map((s, i) => `${i + 1}. ${s}`);
  const postMortemUrl = incident.statusPageUrl ?? input.dashboardUrl;

  const blocks = [
    header(banner),
    section(`*Incident:* ${escapeMrkdwn(incident.externalId)}   *Duration:* ${duration}   *Resolution:* ${escapeMrkdwn(resolution)}`),
    section(`*Affected Customers:* ${mine.customers}`),
    context(`${high} high impact · ${formatArr(mine.arr)} ARR`),
    section(`*Next Steps:*\n${steps.join('\n')}`),
    actions([
      { action: 'send_resolution_emails', label: 'Send Resolution Emails', workflowId: incident.workflowId, style: 'primary' },
      { action: 'schedule_follow_ups', label: 'Schedule Follow-ups', workflowId: incident.workflowId },
      { action: 'view_post_mortem', label: 'View Post-Mortem', workflowId: incident.workflowId, url: postMortemUrl },
    ]),
  ];
  const plain = [
    banner,
    `Incident: ${incident.externalId}   Duration: ${duration}   Resolution: ${resolution}`,
    `Affected Customers: ${mine.customers}`,
    `Next Steps: ${steps.join(' ')}`,
  ].join('\n');
  return withinLimits({ text: plain, blocks });
}
