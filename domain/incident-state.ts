/**
 * Pure rules for the incident the workflow follows: applying events (out of order, more than
 * once), describing what changed, merging a fresh impact analysis into what CSMs already did.
 * No clock and no I/O: callers pass `now`. (domain/ does not import the workflow contract; the
 * shapes below are the parts of its CustomerState / CsmState these rules read and write.)
 */
import { impactTotals, type ImpactTotals } from './impact';
import type {
  AffectedCustomer, Csm, Incident, IncidentEvent, IncidentStatus, OutreachStatus, Severity,
} from './types';

/** How many delivery ids an incident remembers; older ones are also caught by the per-field time rule. */
export const MAX_DELIVERY_IDS = 500;

/** The incident fields an event can set, each with its own "last applied at". */
export const EVENT_FIELDS = [
  'title', 'description', 'status', 'severity', 'components', 'regions', 'startedAt', 'resolvedAt', 'statusPageUrl', 'message',
  'resolutionNote', 'postMortemUrl', 'owner',
] as const;
export type EventField = (typeof EVENT_FIELDS)[number];

/** A resolution note is one line of a DM: longer notes are cut here, where they enter the incident. */
export const RESOLUTION_NOTE_MAX = 500;

/**
 * A responder's note (PagerDuty, Opsgenie) counts as the resolution note when it was written at most
 * this long before the incident resolved, or after: PagerDuty posts its resolve dialog's note as an
 * ordinary note next to the resolve. An older note was about the work, not the outcome.
 */
export const RESOLUTION_NOTE_WINDOW_MS = 10 * 60_000;

/** A note as the incident keeps it: trimmed, cut to RESOLUTION_NOTE_MAX; undefined when empty. */
export function boundedNote(text: string | undefined): string | undefined {
  const t = text?.trim();
  if (!t) return undefined;
  return t.length <= RESOLUTION_NOTE_MAX ? t : `${t.slice(0, RESOLUTION_NOTE_MAX - 1)}…`;
}

export const STATUS_LABELS: Record<IncidentStatus, string> = {
  investigating: 'Investigating', identified: 'Identified', monitoring: 'Monitoring', resolved: 'Resolved', dismissed: 'Dismissed',
};

const SEVERITY_RANK: Record<Severity, number> = { P1: 1, P2: 2, P3: 3, P4: 4 };

/** P1 and P2 get a coordination channel, escalations and (P1) the update cadence. */
export function isMajor(severity: Severity): boolean {
  return SEVERITY_RANK[severity] <= 2;
}

export function isMoreSevere(a: Severity, b: Severity): boolean {
  return SEVERITY_RANK[a] < SEVERITY_RANK[b];
}

/**
 * A stable UUID for the incident, derived from its workflow id: every run of the workflow (a
 * continue-as-new, or a new run after the incident completed) writes the same product_incidents
 * row, and callers can compute it too. 128 bits of cyrb128, shaped as a version-8 UUID.
 */
export function incidentIdFor(workflowId: string): string {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < workflowId.length; i++) {
    const k = workflowId.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4; h2 ^= h1; h3 ^= h1; h4 ^= h1;
  const hex = [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function time(iso: string | undefined): number {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? NaN : t;
}

/** An event's own time, or `now` when the source sent none we can read. */
function eventTime(event: IncidentEvent, now: string): string {
  const t = time(event.occurredAt);
  return new Date(Number.isNaN(t) ? time(now) : t).toISOString();
}

function uniqueSorted(values: string[] | undefined): string[] {
  return [...new Set((values ?? []).map((v) => v.trim()).filter(Boolean))].sort();
}

/** The incident as its first event describes it; fields the source left out get safe defaults. */
export function createIncident(event: IncidentEvent, workflowId: string, now: string): Incident {
  const at = eventTime(event, now);
  const status = event.status ?? 'investigating';
  return {
    id: incidentIdFor(workflowId),
    workflowId,
    source: event.source,
    externalId: event.externalId,
    title: event.title?.trim() || `${event.source} incident ${event.externalId}`,
    description: event.description,
    status,
    // Unknown severity: treat as P3 (CSMs are told, no war room) until the source says more.
    severity: event.severity ?? 'P3',
    components: uniqueSorted(event.components),
    regions: uniqueSorted(event.regions),
    startedAt: event.startedAt ?? at,
    resolvedAt: event.resolvedAt ?? (status === 'resolved' ? at : undefined),
    statusPageUrl: event.statusPageUrl,
    message: event.message,
    ...(boundedNote(event.resolutionNote) ? { resolutionNote: boundedNote(event.resolutionNote) } : {}),
    ...(event.postMortemUrl ? { postMortemUrl: event.postMortemUrl } : {}),
    ...(event.owner ? { owner: event.owner } : {}),
  };
}

export interface ListChange { from: string[]; to: string[]; added: string[]; removed: string[] }

/** What a person would call a change of the incident (title, description, URLs change silently). */
export interface IncidentChanges {
  status?: { from: IncidentStatus; to: IncidentStatus };
  severity?: { from: Severity; to: Severity };
  components?: ListChange;
  regions?: ListChange;
  message?: { from?: string; to?: string };
  postMortemUrl?: { from?: string; to?: string };
}

function listChange(from: string[], to: string[]): ListChange | undefined {
  const added = to.filter((v) => !from.includes(v));
  const removed = from.filter((v) => !to.includes(v));
  return added.length || removed.length ? { from, to, added, removed } : undefined;
}

export function diffIncidents(before: Incident, after: Incident): IncidentChanges {
  const changes: IncidentChanges = {};
  if (before.status !== after.status) changes.status = { from: before.status, to: after.status };
  if (before.severity !== after.severity) changes.severity = { from: before.severity, to: after.severity };
  const components = listChange(before.components, after.components);
  if (components) changes.components = components;
  const regions = listChange(before.regions, after.regions);
  if (regions) changes.regions = regions;
  if ((before.message ?? '') !== (after.message ?? '')) changes.message = { from: before.message, to: after.message };
  if ((before.postMortemUrl ?? '') !== (after.postMortemUrl ?? '')) changes.postMortemUrl = { from: before.postMortemUrl, to: after.postMortemUrl };
  return changes;
}

export function hasChanges(changes: IncidentChanges): boolean {
  return Object.keys(changes).length > 0;
}

/** Who is affected depends on components, regions and (for the estimate) severity. */
export function needsReanalysis(changes: IncidentChanges): boolean {
  return Boolean(changes.components || changes.regions || changes.severity);
}

function names(keys: string[], componentNames: Record<string, string>): string {
  return keys.map((k) => componentNames[k] ?? k).join(', ');
}

function listLine(label: string, change: ListChange, componentNames: Record<string, string> = {}): string {
  const parts: string[] = [];
  if (change.added.length) parts.push(`added ${names(change.added, componentNames)}`);
  if (change.removed.length) parts.push(`removed ${names(change.removed, componentNames)}`);
  const now = change.to.length ? names(change.to, componentNames) : 'none';
  return `${label}: ${parts.join('; ')} (now ${now})`;
}

/** One line a change, for the timeline, the CSM's thread and the war room. */
export function describeChanges(changes: IncidentChanges, componentNames: Record<string, string> = {}): string[] {
  const lines: string[] = [];
  if (changes.status) {
    const reopened = changes.status.from === 'resolved' ? ' (reopened)' : '';
    lines.push(`Status: ${STATUS_LABELS[changes.status.from]} → ${STATUS_LABELS[changes.status.to]}${reopened}`);
  }
  if (changes.severity) {
    const { from, to } = changes.severity;
    lines.push(`Severity: ${from} → ${to} (${isMoreSevere(to, from) ? 'escalated' : 'downgraded'})`);
  }
  if (changes.components) lines.push(listLine('Components', changes.components, componentNames));
  if (changes.regions) lines.push(listLine('Regions', changes.regions));
  if (changes.message) lines.push(changes.message.to ? `Public update: "${changes.message.to}"` : 'Public update withdrawn');
  if (changes.postMortemUrl) lines.push(changes.postMortemUrl.to ? `Post-mortem: ${changes.postMortemUrl.to}` : 'Post-mortem link removed');
  return lines;
}

export interface EventLedger {
  incident: Incident;
  /** Per field, the time (ISO) of the event that last set it. */
  appliedAt: Record<string, string>;
  deliveryIds: string[];
}

export interface ApplyResult extends EventLedger {
  duplicate: boolean;
  /** Fields the event carried but that a newer event had already set. */
  staleFields: EventField[];
  changes: IncidentChanges;
}

/**
 * Applies one event. A delivery id seen before changes nothing. Otherwise each field the event
 * carries is applied unless a newer event already set that field (an event exactly as old is
 * applied: sources stamp whole seconds). Resolving without a resolvedAt uses the event's time;
 * any other status clears resolvedAt (a reopen).
 */
export function applyEvent(ledger: EventLedger, event: IncidentEvent, now: string, maxDeliveryIds = MAX_DELIVERY_IDS): ApplyResult {
  if (ledger.deliveryIds.includes(event.deliveryId)) {
    return { ...ledger, duplicate: true, staleFields: [], changes: {} };
  }
  const deliveryIds = [...ledger.deliveryIds, event.deliveryId].slice(-maxDeliveryIds);
  const at = eventTime(event, now);
  const appliedAt = { ...ledger.appliedAt };
  const next: Incident = { ...ledger.incident };
  const staleFields: EventField[] = [];
  const fresh = (field: EventField): boolean => {
    const last = time(appliedAt[field]);
    if (!Number.isNaN(last) && time(at) < last) {
      staleFields.push(field);
      return false;
    }
    appliedAt[field] = at;
    return true;
  };
  if (event.title?.trim() && fresh('title')) next.title = event.title.trim();
  if (event.description !== undefined && fresh('description')) next.description = event.description;
  if (event.severity !== undefined && fresh('severity')) next.severity = event.severity;
  if (event.components !== undefined && fresh('components')) next.components = uniqueSorted(event.components);
  if (event.regions !== undefined && fresh('regions')) next.regions = uniqueSorted(event.regions);
  if (event.startedAt !== undefined && fresh('startedAt')) next.startedAt = event.startedAt;
  if (event.statusPageUrl !== undefined && fresh('statusPageUrl')) next.statusPageUrl = event.statusPageUrl;
  if (event.message !== undefined && fresh('message')) next.message = event.message;
  if (event.status !== undefined && fresh('status')) {
    next.status = event.status;
    if (event.status !== 'resolved') {
      next.resolvedAt = undefined;
      appliedAt.resolvedAt = at;
    } else if (event.resolvedAt === undefined && ledger.incident.status !== 'resolved') {
      next.resolvedAt = at;
      appliedAt.resolvedAt = at;
    }
  }
  if (event.resolvedAt !== undefined && next.status === 'resolved' && fresh('resolvedAt')) next.resolvedAt = event.resolvedAt;
  const note = boundedNote(event.resolutionNote);
  if (note && fresh('resolutionNote')) next.resolutionNote = note;
  if (event.postMortemUrl !== undefined && fresh('postMortemUrl')) {
    if (event.postMortemUrl) next.postMortemUrl = event.postMortemUrl;
    else delete next.postMortemUrl;
  }
  if (event.owner && fresh('owner')) next.owner = event.owner;
  keepResolutionNote(ledger.incident, next, appliedAt);
  return { incident: next, appliedAt, deliveryIds, duplicate: false, staleFields, changes: diffIncidents(ledger.incident, next) };
}

/**
 * Which note the incident keeps as its resolution note: a reopen drops the last one (that outcome no
 * longer holds); resolving drops a note written more than RESOLUTION_NOTE_WINDOW_MS before it.
 */
function keepResolutionNote(before: Incident, next: Incident, appliedAt: Record<string, string>): void {
  if (next.resolutionNote === undefined) return;
  const noteAt = time(appliedAt.resolutionNote);
  if (before.status === 'resolved' && next.status !== 'resolved' && before.resolutionNote === next.resolutionNote) {
    delete next.resolutionNote;
  } else if (before.status !== 'resolved' && next.status === 'resolved' && next.resolvedAt
    && noteAt < time(next.resolvedAt) - RESOLUTION_NOTE_WINDOW_MS) {
    delete next.resolutionNote;
  }
}

/** The first event's ledger: every field it carried counts as applied at its time. */
export function startLedger(event: IncidentEvent, workflowId: string, now: string): EventLedger {
  const incident = createIncident(event, workflowId, now);
  const at = eventTime(event, now);
  const appliedAt: Record<string, string> = {};
  for (const field of EVENT_FIELDS) {
    if (event[field] !== undefined) appliedAt[field] = at;
  }
  if (incident.resolvedAt) appliedAt.resolvedAt = at;
  return { incident, appliedAt, deliveryIds: [event.deliveryId] };
}

// ---- customers ------------------------------------------------------------------------------

/** The parts of the workflow's CustomerState these rules use. */
export interface TrackedCustomer extends AffectedCustomer {
  outreachStatus: OutreachStatus;
  stillAffected: boolean;
}

export interface ImpactMerge<C extends TrackedCustomer> {
  /** Fresh analysis order first (priority), then customers no longer affected. */
  customers: C[];
  /** Customers affected now that were not before (new, or affected again). */
  newlyAffected: string[];
  /** Customers affected before that the fresh analysis no longer finds. */
  noLongerAffected: string[];
  /** CSMs whose first affected customer appeared in this analysis. */
  newCsmEmails: string[];
}

/**
 * Merges a fresh analysis into the customers the incident already tracks: a customer keeps the
 * outreach status and notification times it had (a re-analysis never undoes a CSM's work) and
 * takes the fresh impact level, reason, estimate and rank. A customer the analysis no longer
 * finds is kept with `stillAffected: false` (the CSM may already have written to them).
 */
export function mergeImpact<C extends TrackedCustomer>(previous: C[], fresh: AffectedCustomer[]): ImpactMerge<C> {
  const before = new Map(previous.map((c) => [c.id, c]));
  const affectedCsmsBefore = new Set(previous.filter((c) => c.stillAffected).map((c) => c.csmEmail.toLowerCase()));
  const customers: C[] = [];
  const newlyAffected: string[] = [];
  const seen = new Set<string>();
  for (const f of fresh) {
    if (f.impactLevel === 'none' || seen.has(f.id)) continue;
    seen.add(f.id);
    const prev = before.get(f.id);
    if (!prev?.stillAffected) newlyAffected.push(f.id);
    customers.push({ ...(prev ?? { outreachStatus: 'pending' }), ...f, stillAffected: true } as C);
  }
  const noLongerAffected: string[] = [];
  for (const p of previous) {
    if (seen.has(p.id)) continue;
    if (p.stillAffected) noLongerAffected.push(p.id);
    customers.push({ ...p, stillAffected: false });
  }
  const newCsmEmails = [...new Set(customers
    .filter((c) => newlyAffected.includes(c.id) && !affectedCsmsBefore.has(c.csmEmail.toLowerCase()))
    .map((c) => c.csmEmail))];
  return { customers, newlyAffected, noLongerAffected, newCsmEmails };
}

/** Totals over the customers still affected (the dashboard's and the search attributes' numbers). */
export function incidentTotals(customers: TrackedCustomer[]): ImpactTotals {
  return impactTotals(customers.filter((c) => c.stillAffected));
}

export function sameEmail(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** The customers a CSM looks after that are still affected, in priority order. */
export function customersOf<C extends TrackedCustomer>(customers: C[], csmEmail: string): C[] {
  return customers.filter((c) => c.stillAffected && sameEmail(c.csmEmail, csmEmail));
}

/** The parts of the workflow's CsmState these rules use. */
export interface TrackedCsm {
  email: string;
  alertedAt?: string;
  acknowledgedAt?: string;
  actedAt?: string;
  escalatedAt?: string;
}

/**
 * Merges the CSMs a fresh analysis names into those already known: what Forewarn did with a CSM
 * (alert, thread, acknowledgement...) is kept, contact details are refreshed.
 */
export function mergeCsms<S extends Csm>(previous: S[], fresh: Csm[]): S[] {
  const out = previous.map((p) => {
    const f = fresh.find((c) => sameEmail(c.email, p.email));
    return f ? { ...p, ...f, email: p.email } : p;
  });
  for (const f of fresh) {
    if (!out.some((p) => sameEmail(p.email, f.email))) out.push({ ...f } as S);
  }
  return out;
}

/** A CSM who clicked a button: by email (case-insensitive) or Slack user id. */
export function findCsm<S extends { email: string; slackUserId?: string }>(csms: S[], who: { csmEmail?: string; slackUserId?: string }): S | undefined {
  if (who.csmEmail) return csms.find((c) => sameEmail(c.email, who.csmEmail));
  if (who.slackUserId) return csms.find((c) => c.slackUserId === who.slackUserId);
  return undefined;
}

/**
 * A CSM is escalated to their manager when the incident is P1/P2 and they have neither
 * acknowledged the alert nor moved any high-impact customer's outreach themselves (`actedAt`:
 * the drafts Forewarn prepares on its own do not count as the CSM reacting). Once only.
 */
export function needsEscalation(csm: TrackedCsm, severity: Severity): boolean {
  return isMajor(severity) && Boolean(csm.alertedAt) && !csm.acknowledgedAt && !csm.actedAt && !csm.escalatedAt;
}
