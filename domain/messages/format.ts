/** Small text helpers shared by the Slack and email renderers. Pure: no I/O, no clock. */
import type { ImpactLevel, IncidentStatus, Severity } from '../types';

/** Slack mrkdwn treats &, < and > as control characters; user data must not inject links or mentions. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts `text` to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Strips line breaks (e.g. for mail headers and one-line list entries). */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
}

export const SEVERITY_EMOJI: Record<Severity, string> = {
  P1: ':rotating_light:',
  P2: ':warning:',
  P3: ':large_yellow_circle:',
  P4: ':information_source:',
};

export const IMPACT_EMOJI: Record<ImpactLevel, string> = {
  high: ':rotating_light:',
  medium: ':warning:',
  low: ':large_blue_circle:',
  none: ':white_circle:',
};

export function statusLabel(status: IncidentStatus): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}

/** "api-gateway" → "Api Gateway": only used when a component key has no stored name. */
function humanizeKey(key: string): string {
  return key.split(/[-_\s]+/).filter(Boolean).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

export function componentLabels(keys: string[], names: Record<string, string> = {}): string[] {
  return keys.map((k) => names[k] ?? humanizeKey(k));
}

/** "A", "A and B", "A, B and C". */
export function joinWords(words: string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function validTimeZone(tz: string | undefined): string | undefined {
  if (!tz) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

/**
 * "2:30 PM EST" in the reader's time zone (UTC when unknown). When the time is not on the same
 * calendar day as `now`, the date is added ("Jan 29, 2:30 PM EST") so an old start is not misread.
 */
export function formatClockTime(iso: string, timeZone?: string, now?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const tz = validTimeZone(timeZone) ?? 'UTC';
  const time = new Intl.DateTimeFormat('en-US', { timeZone: tz, hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(date);
  if (now) {
    const day = (d: Date) => new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'short', day: 'numeric' }).format(d);
    const nowDate = new Date(now);
    if (!Number.isNaN(nowDate.getTime()) && day(nowDate) !== day(date)) {
      const shortDay = new Intl.DateTimeFormat('en-US', { timeZone: tz, month: 'short', day: 'numeric' }).format(date);
      return `${shortDay}, ${time}`;
    }
  }
  return time;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "2 hours 15 minutes", "45 minutes", "3 days 4 hours", "less than a minute". */
export function formatDuration(fromIso: string, toIso: string): string {
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  if (!Number.isFinite(ms) || ms < 60_000) return 'less than a minute';
  const totalMinutes = Math.round(ms / 60_000);
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return hours > 0 ? `${plural(days, 'day')} ${plural(hours, 'hour')}` : plural(days, 'day');
  if (hours > 0) return minutes > 0 ? `${plural(hours, 'hour')} ${plural(minutes, 'minute')}` : plural(hours, 'hour');
  return plural(minutes, 'minute');
}

/** A list the spec shows one item a line ("• API Gateway"); an empty list says so. */
export function bulleted(items: string[]): string {
  return items.length ? items.map((i) => `• ${i}`).join('\n') : 'Not specified';
}

/** Block Kit lines of the spec's "Label: value" facts, each on its own line, labels bold. */
export function labelledLines(pairs: [label: string, value: string][]): string {
  return pairs.map(([label, value]) => `*${label}:* ${value}`).join('\n');
}

/** The spec's sections, a blank line between them (the plain-text fallback). */
export function paragraphs(sections: string[][]): string {
  return sections.map((lines) => lines.join('\n')).join('\n\n');
}
