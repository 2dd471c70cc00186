/**
 * Pre-approved messaging: which approved template fits an incident, and its rendering.
 *
 * Choice rules (documented in domain/messages/README.md):
 * - only approved templates (approved_by AND approved_at set) are candidates: unapproved text is
 *   never shown as approved messaging nor sent to customers;
 * - a template that names a severity, a status or components must match the incident on each of
 *   them (components: at least one in common); a field left empty matches anything;
 * - among the matches the most specific wins: status counts most (the wording of "investigating"
 *   and "resolved" differs most), then severity, then components (more overlap is better);
 *   ties go to the higher version, then the latest approval, then the key;
 * - a template whose placeholders cannot all be filled (unknown name, or no status page link yet)
 *   is skipped for the next best, so no customer ever reads "{{...}}";
 * - when nothing matches, a built-in neutral sentence is used and marked as such.
 */
import type { Incident, IncidentStatus, Severity } from '../types';
import { componentLabels, formatDuration, joinWords, statusLabel } from './format';

export interface MessageTemplate {
  key: string;
  severity: Severity | null;
  status: IncidentStatus | null;
  components: string[];
  body: string;
  version: number;
  approvedBy: string | null;
  approvedAt: string | Date | null;
}

export interface TemplateContext {
  incident: Incident;
  /** Component key → display name. */
  componentNames?: Record<string, string>;
  customer?: { name: string; contactName?: string; componentNames?: string[] };
  csm?: { name: string; email: string };
}

export interface ApprovedMessage {
  text: string;
  templateKey: string | null;
  version: number | null;
  /** true when no approved template matched and the built-in sentence was used. */
  fallback: boolean;
}

/** Who reads the rendering: customers get only complete text; a CSM preview may show hints. */
export type Audience = 'customer' | 'csm';

export function isApproved(t: Pick<MessageTemplate, 'approvedBy' | 'approvedAt'>): boolean {
  return Boolean(t.approvedBy && t.approvedBy.trim() && t.approvedAt);
}

interface Target { severity: Severity; status: IncidentStatus; components: string[] }

function score(t: MessageTemplate, target: Target): number | null {
  if (t.severity && t.severity !== target.severity) return null;
  if (t.status && t.status !== target.status) return null;
  let s = 0;
  if (t.status) s += 4;
  if (t.severity) s += 2;
  if (t.components.length > 0) {
    const overlap = t.components.filter((c) => target.components.includes(c)).length;
    if (overlap === 0) return null;
    // 1 for naming components, plus up to 1 for covering more of the incident's components.
    s += 1 + overlap / Math.max(target.components.length, t.components.length);
  }
  return s;
}

function approvedTime(t: MessageTemplate): number {
  return t.approvedAt ? new Date(t.approvedAt).getTime() : 0;
}

/** Approved templates that fit, best first. `status` overrides the incident's (resolution emails). */
export function rankTemplates(templates: MessageTemplate[], incident: Incident, status?: IncidentStatus): MessageTemplate[] {
  const target: Target = { severity: incident.severity, status: status ?? incident.status, components: incident.components };
  return templates
    .filter(isApproved)
    .map((t) => ({ t, s: score(t, target) }))
    .filter((x): x is { t: MessageTemplate; s: number } => x.s !== null)
    .sort((a, b) => b.s - a.s || b.t.version - a.t.version || approvedTime(b.t) - approvedTime(a.t) || a.t.key.localeCompare(b.t.key))
    .map((x) => x.t);
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z]+(?:\.[a-zA-Z]+)*)\s*\}\}/g;

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
  };
}

/** Placeholder names a template uses that Forewarn does not know (for import validation). */
export function unknownPlaceholders(body: string): string[] {
  const known = placeholderValues({ incident: {
    id: '', workflowId: '', source: 'generic', externalId: '', title: '', status: 'investigating', severity: 'P1',
    components: [], regions: [], startedAt: new Date(0).toISOString(),
  } }, 'csm');
  return [...body.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((name) => !(name in known));
}

/** The rendered body, or null when some placeholder cannot be filled for this audience. */
export function renderTemplate(body: string, ctx: TemplateContext, audience: Audience = 'customer'): string | null {
  const values = placeholderValues(ctx, audience);
  let complete = true;
  const text = body.replace(PLACEHOLDER, (_m, name: string) => {
    const v = values[name];
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

/** The approved message for this incident (and customer), or the built-in sentence. */
export function approvedMessage(
  templates: MessageTemplate[], ctx: TemplateContext, options: { audience?: Audience; status?: IncidentStatus } = {},
): ApprovedMessage {
  const audience = options.audience ?? 'customer';
  for (const t of rankTemplates(templates, ctx.incident, options.status)) {
    const text = renderTemplate(t.body, ctx, audience);
    if (text) return { text, templateKey: t.key, version: t.version, fallback: false };
  }
  return { text: fallbackText(ctx, options.status), templateKey: null, version: null, fallback: true };
}
