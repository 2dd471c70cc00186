/**
 * The storm digest (domain/alert-digest.ts): one DM that lists every incident folded into it, with
 * the CSM's affected customers and their ARR in each; each incident's full alert is in the digest's
 * thread. Re-rendered in place (chat.update) as incidents join or change, so the list is current:
 *
 *   :rotating_light: 12 incidents affect your customers
 *   Forewarn is grouping alerts during this storm: each incident's full alert is in this thread.
 *   • :rotating_light: P1 Checkout errors — Investigating — 5 customers, $1.2M ARR
 *   • :white_check_mark: ~P3 Search slow~ — Resolved — 2 customers, $80K ARR
 *   …and 3 more incidents in the dashboard
 */
import type { IncidentStatus, Severity } from '../types';
import { formatArr } from '../money';
import { escapeMrkdwn, oneLine, SEVERITY_EMOJI, statusLabel, truncate } from './format';
import { context, header, packLines, section, withinLimits, type SlackMessage } from './slack-kit';

export interface DigestEntry {
  incidentId: string;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  /** The CSM's customers affected now by this incident, and their ARR. */
  customers: number;
  arr: number;
}

export interface DigestInput {
  entries: DigestEntry[];
  dashboardUrl: string;
}

/**
 * Incidents listed one per line (about 15 a section, so well within Slack's 50 blocks); beyond
 * that, counted with a link to the dashboard. A storm of a hundred incidents is still listed whole.
 */
export const DIGEST_LISTED_MAX = 100;
const TITLE_MAX = 120;
const SEVERITY_ORDER: Record<Severity, number> = { P1: 0, P2: 1, P3: 2, P4: 3 };

/** Open incidents first, then by severity and the CSM's ARR at stake; ties keep the order they joined in. */
export function digestOrder(entries: DigestEntry[]): DigestEntry[] {
  return entries.map((e, i) => ({ e, i })).sort((a, b) =>
    Number(a.e.status === 'resolved') - Number(b.e.status === 'resolved')
    || SEVERITY_ORDER[a.e.severity] - SEVERITY_ORDER[b.e.severity]
    || b.e.arr - a.e.arr
    || a.i - b.i).map((x) => x.e);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function line(e: DigestEntry, dashboardUrl: string, linked: boolean): string {
  const title = truncate(oneLine(e.title), TITLE_MAX);
  const resolved = e.status === 'resolved';
  const name = linked ? `<${dashboardUrl}#/incidents/${encodeURIComponent(e.incidentId)}|${escapeMrkdwn(title)}>` : title;
  const label = `${e.severity} ${name}`;
  const emoji = resolved ? ':white_check_mark:' : SEVERITY_EMOJI[e.severity];
  return `• ${emoji} ${resolved ? `~${label}~` : label} — ${statusLabel(e.status)} — ${plural(e.customers, 'customer')}, ${formatArr(e.arr)} ARR`;
}

export function renderDigest(input: DigestInput): SlackMessage {
  const sorted = digestOrder(input.entries);
  const shown = sorted.slice(0, DIGEST_LISTED_MAX);
  const hidden = sorted.length - shown.length;
  const open = sorted.filter((e) => e.status !== 'resolved').length;
  const arr = sorted.filter((e) => e.status !== 'resolved').reduce((sum, e) => sum + e.arr, 0);
  const title = `${SEVERITY_EMOJI[sorted[0]?.severity ?? 'P3']} ${plural(sorted.length, 'incident')} ${sorted.length === 1 ? 'affects' : 'affect'} your customers`;
  const intro = 'Forewarn is grouping alerts during this storm: each incident\'s full alert is in this thread.';
  const summary = `${open} still open, ${formatArr(arr)} ARR at risk across them (a customer hit by several incidents counts in each).`;
  const more = hidden > 0 ? `…and ${plural(hidden, 'more incident')}: <${input.dashboardUrl}|see the dashboard>` : undefined;
  const blocks = [
    header(title),
    section(intro),
    ...packLines(shown.map((e) => line(e, input.dashboardUrl, true))).map(section),
    ...(more ? [section(more)] : []),
    context(summary),
  ];
  const text = [
    title, intro,
    ...shown.map((e) => line(e, input.dashboardUrl, false)),
    ...(hidden > 0 ? [`…and ${plural(hidden, 'more incident')}: ${input.dashboardUrl}`] : []),
    summary,
  ].join('\n');
  return withinLimits({ text, blocks });
}
