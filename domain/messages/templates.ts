/**
 * Pre-approved messaging: which approved template fits an incident, and its rendering.
 *
 * Choice rules (documented in domain/messages/README.md):
 * - only the active approved version of a template is a candidate (state active, approved_by AND
 *   approved_at set): drafts, versions awaiting approval and superseded versions are never shown as
 *   approved messaging nor sent to customers (template-lifecycle.ts: how a version becomes active);
 * - a template that names a severity, a stage (status), a segment, a channel or components must
 *   match on each of them (components: at least one in common; segment: the customer's, so a
 *   segment's template is only for messages about one customer); a field left empty matches anything;
 * - among the matches the most specific wins: stage counts most (the wording of "investigating"
 *   and "resolved" differs most), then severity, then segment, then components (more overlap is
 *   better), then channel; ties go to the higher version, then the latest approval, then the key;
 * - a template whose placeholders cannot all be filled (unknown name, or no status page link yet)
 *   is skipped for the next best, so no customer ever reads "{{...}}";
 * - when nothing matches, a built-in neutral sentence is used and marked as such.
 */
import type { Incident, IncidentStatus, Segment, Severity } from '../types';
import { componentLabels, formatDuration, joinWords, statusLabel } from './format';

/** The stages of an incident a template speaks for: its four statuses, and the follow-up after it. */
export const TEMPLATE_STAGES = ['investigating', 'identified', 'monitoring', 'resolved', 'follow_up'] as const;
export type TemplateStage = (typeof TEMPLATE_STAGES)[number];

/** Where a template's text goes: the CSM's Slack alert, or the customer email (subject and body). */
export const TEMPLATE_CHANNELS = ['slack', 'email'] as const;
export type TemplateChannel = (typeof TEMPLATE_CHANNELS)[number];

/** A version's place in the lifecycle (template-lifecycle.ts); only `active` is ever used. */
export const TEMPLATE_STATES = ['draft', 'submitted', 'active', 'superseded'] as const;
export type TemplateState = (typeof TEMPLATE_STATES)[number];

export interface MessageTemplate {
  key: string;
  severity: Severity | null;
  /** The stage (incident status, or follow_up); null: any. */
  status: TemplateStage | null;
  components: string[];
  body: string;
  version: number;
  approvedBy: string | null;
  approvedAt: string | Date | null;
  /** Stored versions always carry it; a template built in code without it counts as active once approved. */
  state?: TemplateState;
  /** The customer segment it is written for; null: any. */
  segment?: Segment | null;
  /** null: both channels. */
  channel?: TemplateChannel | null;
  /** The customer email's subject; null: Forewarn's default subject. */
  subject?: string | null;
}

export interface TemplateContext {
  incident: Incident;
  /** Component key → display name. */
  componentNames?: Record<string, string>;
  customer?: { name: string; contactName?: string; componentNames?: string[]; segment?: Segment };
  csm?: { name: string; email: string };
  /** The one-click rating lines of a resolution email (domain/csat-link.ts), when rating is configured. */
  ratingLinks?: string;
}

export interface ApprovedMessage {
  text: string;
  /** The template's email subject, rendered (email templates that have one). */
  subject?: string;
  templateKey: string | null;
  version: number | null;
  /** true when no approved template matched and the built-in sentence was used. */
  fallback: boolean;
}

/** Who reads the rendering: customers get only complete text; a CSM preview may show hints. */
export type Audience = 'customer' | 'csm';

/** The active approved version: the only kind of template Forewarn ever uses. */
export function isApproved(t: Pick<MessageTemplate, 'approvedBy' | 'approvedAt' | 'state'>): boolean {
  return Boolean(t.approvedBy && t.approvedBy.trim() && t.approvedAt) && (t.state === undefined || t.state === 'active');
}

/** What a message is about: the incident (its stage), the customer's segment, the channel it goes out on. */
export interface TemplateTarget { status?: TemplateStage; segment?: Segment; channel?: TemplateChannel }

interface Target { severity: Severity; status: TemplateStage | IncidentStatus; components: string[]; segment?: Segment; channel?: TemplateChannel }

// Each criterion outweighs all those after it: stage, severity, segment, components (2 + overlap share), channel.
const WEIGHT = { status: 16, severity: 8, segment: 4, components: 2, channel: 1 };

function score(t: MessageTemplate, target: Target): number | null {
  if (t.severity && t.severity !== target.severity) return null;
  if (t.status && t.status !== target.status) return null;
  if (t.segment && t.segment !== target.segment) return null;
  if (t.channel && target.channel && t.channel !== target.channel) return null;
  let s = 0;
  if (t.status) s += WEIGHT.status;
  if (t.severity) s += WEIGHT.severity;
  if (t.segment) s += WEIGHT.segment;
  if (t.channel && target.channel) s += WEIGHT.channel;
  if (t.components.length > 0) {
    const overlap = t.components.filter((c) => target.components.includes(c)).length;
    if (overlap === 0) return null;
    // Naming components, plus up to 1 for covering more of the incident's components.
    s += WEIGHT.components + overlap / Math.max(target.components.length, t.components.length);
  }
  return s;
}

function approvedTime(t: MessageTemplate): number {
  return t.approvedAt ? new Date(t.approvedAt).getTime() : 0;
}

/**
 * Approved templates that fit, best first. `status` overrides the incident's stage (resolution
 * emails, follow-ups); a target with a segment or a channel narrows to templates for it (or for any).
 */
export function rankTemplates(templates: MessageTemplate[], incident: Incident, status?: TemplateStage | TemplateTarget): MessageTemplate[] {
  const t: TemplateTarget = typeof status === 'string' ? { status } : status ?? {};
  const target: Target = {
    severity: incident.severity, status: t.status ?? incident.status, components: incident.components, segment: t.segment, channel: t.channel,
  };
  return templates
    .filter(isApproved)
    .map((t) => ({ t, s: score(t, target) }))
    .filter((x): x is { t: MessageTemplate; s: number } => x.s !== null)
    .sort((a, b) => b.s - a.s || b.t.version - a.t.version || approvedTime(b.t) - approvedTime(a.t) || a.t.key.localeCompare(b.t.key))
    .map((x) => x.t);
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z]+(?:\.[a-zA-Z]+)*)\s*\}\}/g;
/** Anything between double braces, to tell a misspelt placeholder from text. */
const BRACES = /\{\{([^{}]*)\}\}|\{\{|\}\}/g;

/** Every placeholder a template may use, and how it is filled (undefined: cannot be filled here). */
function placeholderValues(ctx: TemplateContext, audience: Audience): Record<string, string | undefined> {
  const { incident } = ctx;
  const components = joinWords(componentLabels(incident.components, ctx.componentNames));
  const hint = (what: string) => (audience === 'csm' ? `[${what}]` : undefined);
  const customerComponents = ctx.customer?.componentNames?.length ? joinWords(ctx.customer.componentNames) : components;
  return {
    'incident.title': incident.title,
    'incident.status': incident.status,
    'incident.statusLabel': statusLabel(incident.status),
    'incident.severity': incident.severity,
    'incident.id': incident.externalId,
    'incident.components': components || undefined,
    'incident.regions': incident.regions.length ? joinWords(incident.regions) : undefined,
    'incident.statusPageUrl': incident.statusPageUrl,
    'incident.message': incident.message,
    'incident.duration': incident.resolvedAt ? formatDuration(incident.startedAt, incident.resolvedAt) : undefined,
    'customer.name': ctx.customer?.name ?? hint('customer name'),
    'customer.contactName': ctx.customer ? (ctx.customer.contactName ?? `${ctx.customer.name} team`) : hint('contact name'),
    'customer.components': ctx.customer ? customerComponents : hint('components they use'),
    'csm.name': ctx.csm?.name ?? hint('your name'),
    'csm.email': ctx.csm?.email ?? hint('your email'),
    'rating.links': ctx.ratingLinks ?? hint('rating links'),
  };
}

/** Every placeholder name Forewarn fills, in the order the README lists them. */
export const PLACEHOLDER_NAMES: readonly string[] = Object.keys(placeholderValues({ incident: {
  id: '', workflowId: '', source: 'generic', externalId: '', title: '', status: 'investigating', severity: 'P1',
  components: [], regions: [], startedAt: new Date(0).toISOString(),
} }, 'csm'));

/** Placeholders that may render empty (rating links exist only when rating is configured): never a reason to skip a template. */
const OPTIONAL_PLACEHOLDERS = new Set(['rating.links']);

/** Placeholder names a template uses that Forewarn does not know (for import validation). */
export function unknownPlaceholders(body: string): string[] {
  return [...body.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((name) => !PLACEHOLDER_NAMES.includes(name));
}

/**
 * What a template's text does wrong with placeholders, one sentence each: an unknown variable
 * (`{{incident.titel}}`), or braces that are not a placeholder (`{{ customer name }}`, a lone `{{`).
 */
export function placeholderProblems(text: string): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(BRACES)) {
    const inner = m[1];
    if (inner === undefined) {
      problems.push(`unmatched "${m[0]}": placeholders are written {{name}}`);
      continue;
    }
    const name = inner.trim();
    if (!/^[a-zA-Z]+(?:\.[a-zA-Z]+)*$/.test(name)) problems.push(`"{{${inner}}}" is not a placeholder: placeholders are written {{name}}, e.g. {{incident.title}}`);
    else if (!PLACEHOLDER_NAMES.includes(name)) problems.push(`unknown placeholder {{${name}}}; known: ${PLACEHOLDER_NAMES.map((n) => `{{${n}}}`).join(', ')}`);
  }
  return problems;
}

/** The rendered body, or null when some placeholder cannot be filled for this audience. */
export function renderTemplate(body: string, ctx: TemplateContext, audience: Audience = 'customer'): string | null {
  const values = placeholderValues(ctx, audience);
  let complete = true;
  const text = body.replace(PLACEHOLDER, (_m, name: string) => {
    const v = values[name];
    if ((v === undefined || v === '') && OPTIONAL_PLACEHOLDERS.has(name)) return '';
    if (v === undefined || v === '') {
      complete = false;
      return '';
    }
    return v;
  });
  return complete ? text.trim() : null;
}

/** The built-in sentence used when no approved template fits; deliberately plain and non-committal. */
export function fallbackText(ctx: TemplateContext, status?: IncidentStatus): string {
  const components = joinWords(componentLabels(ctx.incident.components, ctx.componentNames));
  const what = components ? `an issue affecting ${components}` : 'a service issue';
  const link = ctx.incident.statusPageUrl ? ` You can follow updates at ${ctx.incident.statusPageUrl}.` : '';
  if ((status ?? ctx.incident.status) === 'resolved') {
    return `The ${what.replace(/^an? /, '')} has been resolved. Thank you for your patience.${link}`;
  }
  return `We are aware of ${what} and our team is working on it. We will share an update as soon as we have more information.${link}`;
}

/**
 * The approved message for this incident (and customer), or the built-in sentence. `channel` picks
 * Slack or email templates (and those for both); the customer's segment, when given, picks its templates.
 */
export function approvedMessage(
  templates: MessageTemplate[], ctx: TemplateContext, options: { audience?: Audience; status?: TemplateStage; channel?: TemplateChannel } = {},
): ApprovedMessage {
  const audience = options.audience ?? 'customer';
  const target: TemplateTarget = { status: options.status, channel: options.channel, segment: ctx.customer?.segment };
  for (const t of rankTemplates(templates, ctx.incident, target)) {
    const text = renderTemplate(t.body, ctx, audience);
    const subject = t.subject ? renderTemplate(t.subject, ctx, audience) : undefined;
    if (text && subject !== null) return { text, ...(subject ? { subject } : {}), templateKey: t.key, version: t.version, fallback: false };
  }
  // A follow-up without approved wording of its own says what the resolution said.
  if (options.status === 'follow_up') return approvedMessage(templates, ctx, { ...options, status: 'resolved' });
  return { text: fallbackText(ctx, options.status), templateKey: null, version: null, fallback: true };
}

/** Which template version a message was rendered from, for its outbox row (null: Forewarn's own sentence). */
export function templateUsed(approved: ApprovedMessage): { key: string; version: number } | null {
  return approved.templateKey !== null && approved.version !== null ? { key: approved.templateKey, version: approved.version } : null;
}
