/**
 * The resolution DM, line for line the product spec's resolution message (section 5.2), emoji
 * written as Slack shortcodes:
 *
 *   :white_check_mark: INCIDENT RESOLVED: API Latency Issues
 *
 *   Incident: API-2026-0129-001
 *   Duration: 2 hours 15 minutes
 *   Resolution: Root cause identified and fixed
 *
 *   Affected Customers: 5
 *
 *   Next Steps:
 *   1. Send resolution notification to affected customers
 *   2. Schedule follow-up calls for high-impact customers
 *   3. Prepare post-mortem summary
 *
 *   [Send Resolution Emails] [Schedule Follow-ups] [View Post-Mortem]
 *
 * The text fallback is exactly that text (without the buttons); Block Kit has one block a section,
 * then Forewarn's extras (high-impact count and ARR, where the resolution line comes from).
 * "View Post-Mortem" is offered only when the incident has a post-mortem (its link, never a stand-in).
 */
import { formatArr } from '../money';
import type { Incident } from '../types';
import { escapeMrkdwn, formatDuration, labelledLines, oneLine, paragraphs, truncate } from './format';
import { listTotalsOf, type CsmMessageInput } from './input';
import { actions, contextLines, header, section, withinLimits, type SlackMessage } from './slack-kit';

export const NEXT_STEPS = [
  'Send resolution notification to affected customers',
  'Schedule follow-up calls for high-impact customers',
  'Prepare post-mortem summary',
];

/** How long a resolution line may be: one readable line in a DM. */
export const RESOLUTION_LINE_MAX = 500;

export type ResolutionSource = 'note' | 'message' | 'template' | 'default';

/**
 * What the "Resolution:" line says, and where it comes from: the source's resolution note
 * (PagerDuty resolve note, Opsgenie close note, Statuspage's final update), else the last public
 * message, else the approved "resolved" template's text (Forewarn's neutral sentence when none is
 * approved). Never a bare "Resolved".
 */
export function resolutionLine(
  incident: Pick<Incident, 'resolutionNote' | 'message'>, approved: CsmMessageInput['approved'],
): { text: string; source: ResolutionSource } {
  const pick = (text: string | undefined) => (text && oneLine(text) ? truncate(oneLine(text), RESOLUTION_LINE_MAX) : undefined);
  const note = pick(incident.resolutionNote);
  if (note) return { text: note, source: 'note' };
  const message = pick(incident.message);
  if (message) return { text: message, source: 'message' };
  return { text: pick(approved.text) ?? 'The incident has been resolved.', source: approved.fallback ? 'default' : 'template' };
}

const SOURCE_NAMES: Record<Incident['source'], string> = {
  pagerduty: 'PagerDuty', opsgenie: 'Opsgenie', statuspage: 'Statuspage', support: 'support', generic: 'source\'s', manual: 'resolver\'s',
};

const SOURCE_NOTE: Record<ResolutionSource, (input: CsmMessageInput) => string> = {
  note: (input) => `Resolution from the ${SOURCE_NAMES[input.incident.source]} resolution note`,
  message: () => 'Resolution from the last public update',
  template: (input) => `Resolution from approved template ${input.approved.templateKey} v${input.approved.version}`,
  default: () => 'No resolution note or public update: Forewarn\'s neutral wording',
};

export function renderResolution(input: CsmMessageInput): SlackMessage {
  const { incident } = input;
  const duration = formatDuration(incident.startedAt, incident.resolvedAt ?? input.now);
  const resolution = resolutionLine(incident, input.approved);
  // The CSM's customers affected when it resolved (slice.ts).
  const mine = listTotalsOf(input);
  const banner = `:white_check_mark: INCIDENT RESOLVED: ${oneLine(incident.title)}`;
  const steps = NEXT_STEPS.map((s, i) => `${i + 1}. ${s}`);

  const blocks = [
    header(banner),
    section(labelledLines([['Incident', escapeMrkdwn(incident.externalId)], ['Duration', duration], ['Resolution', escapeMrkdwn(resolution.text)]])),
    section(`*Affected Customers:* ${mine.customers}`),
    section(`*Next Steps:*\n${steps.join('\n')}`),
    contextLines([`${mine.highImpact} high impact · ${formatArr(mine.arr)} ARR`, SOURCE_NOTE[resolution.source](input)]),
    actions([
      { action: 'send_resolution_emails', label: 'Send Resolution Emails', workflowId: incident.workflowId, style: 'primary' },
      { action: 'schedule_follow_ups', label: 'Schedule Follow-ups', workflowId: incident.workflowId },
      // Only a post-mortem that exists is offered.
      ...(incident.postMortemUrl ? [{ action: 'view_post_mortem' as const, label: 'View Post-Mortem', workflowId: incident.workflowId, url: incident.postMortemUrl }] : []),
    ]),
  ];
  const plain = paragraphs([
    [banner],
    [`Incident: ${incident.externalId}`, `Duration: ${duration}`, `Resolution: ${resolution.text}`],
    [`Affected Customers: ${mine.customers}`],
    ['Next Steps:', ...steps],
  ]);
  return withinLimits({ text: plain, blocks });
}
