/**
 * One Forewarn incident, several source incidents (correlation: domain/correlation.ts). The workflow keeps
 * each linked source incident's own view — built from that source's events only, with the same per-field
 * "newer event wins" rule as a single-source incident — and derives the incident from them:
 *
 * - severity: the highest of the sources; components and regions: their union; started: the earliest;
 * - title: the first source that is not suspected (a support spike's "suspected" title gives way to the
 *   real incident's), else the first;
 * - public update and status-page link: Statuspage's when a Statuspage incident is linked (it is what
 *   customers read), else the latest any source sent;
 * - status: resolved once every linked source that is not suspected has resolved (support spikes never
 *   hold it up; an incident with only suspected sources follows them); until then the most advanced
 *   status (investigating < identified < monitoring) among the sources not resolved. The resolution time
 *   is the last source's. A source reporting anything but resolved afterwards reopens the incident.
 * - people (api/incident-actions.ts) are one more source, `manual`: the newest word on the status,
 *   severity and public update they set — a person resolving resolves the incident whatever its sources
 *   said before, and a source's later event applies again.
 *
 * Bounded: at most MAX_LINKED_SOURCES sources (routing sends no more), descriptions are not kept.
 */
import { isSuspectedSource, MAX_LINKED_SOURCES } from '../correlation';
import { applyEvent, isMoreSevere, startLedger, type EventLedger } from '../incident-state';
import type { Incident, IncidentEvent, IncidentSource, IncidentStatus } from '../types';

export interface LinkedSource {
  source: IncidentSource;
  externalId: string;
  /** The source incident as its own events describe it (identity fields are the Forewarn incident's; no description). */
  view: Incident;
  /** Per field, the time of this source's event that last set it. */
  appliedAt: Record<string, string>;
  suspected: boolean;
  linkedAt: string;
  lastEventAt: string;
  /** Came with an incident merged into this one (its workflow id). */
  mergedFrom?: string;
  /** People's actions (source `manual`): the newest word on what they set, not a source to wait for. */
  person?: boolean;
}

/** What the API and the dashboard show of a linked source (product_incidents.linked_sources). */
export interface LinkedSourceView {
  source: IncidentSource;
  externalId: string;
  title: string;
  status: IncidentStatus;
  severity: Incident['severity'];
  components: string[];
  suspected: boolean;
  linkedAt: string;
  lastEventAt: string;
  mergedFrom?: string;
}

export const SOURCE_LABELS: Record<IncidentSource, string> = {
  pagerduty: 'PagerDuty', opsgenie: 'Opsgenie', statuspage: 'Statuspage', support: 'Support tickets', generic: 'Monitoring', manual: 'A person',
};

/** Where a person's action on a correlated incident goes: the incident's own manual source, or the people's one. */
export function personSourceKey(incident: Pick<Incident, 'source' | 'externalId'>): { source: IncidentSource; externalId: string } {
  return incident.source === 'manual' ? { source: 'manual', externalId: incident.externalId } : { source: 'manual', externalId: 'people' };
}

const STATUS_ORDER: IncidentStatus[] = ['investigating', 'identified', 'monitoring', 'resolved', 'dismissed'];
const closed = (status: IncidentStatus) => status === 'resolved' || status === 'dismissed';

export function isSameSource(s: { source: string; externalId: string }, e: { source: string; externalId: string }): boolean {
  return s.source === e.source && s.externalId === e.externalId;
}

function strip(incident: Incident): Incident {
  const { description: _description, ...rest } = incident;
  return rest;
}

/** A source from its ledger (the incident's own first source when a second one joins, or a new one). */
export function linkedSourceFrom(source: IncidentSource, externalId: string, ledger: Pick<EventLedger, 'incident' | 'appliedAt'>, at: string): LinkedSource {
  return {
    source, externalId, view: strip({ ...ledger.incident, source, externalId }), appliedAt: { ...ledger.appliedAt },
    suspected: isSuspectedSource(source), linkedAt: at, lastEventAt: at, ...(source === 'manual' ? { person: true } : {}),
  };
}

/** Whether an event sets any field (a note-only event from a source not linked adds no source). */
export function carriesFields(event: IncidentEvent): boolean {
  return [event.title, event.status, event.severity, event.components, event.regions, event.message, event.startedAt, event.resolvedAt, event.statusPageUrl,
    event.resolutionNote, event.postMortemUrl, event.owner]
    .some((v) => v !== undefined);
}

export interface SourceEventResult {
  sources: LinkedSource[];
  /** The source the event belongs to, or undefined when it linked none (a note, or no room left). */
  source?: LinkedSource;
  isNew: boolean;
  statusChanged: boolean;
  staleFields: string[];
}

/** Applies one event to its source (a new source when it sets fields and there is room). Duplicates are the caller's. */
export function applySourceEvent(sources: LinkedSource[], received: IncidentEvent, incident: Incident, now: string): SourceEventResult {
  const event = received.byPerson ? { ...received, ...personSourceKey(incident) } : received;
  const index = sources.findIndex((s) => isSameSource(s, event));
  if (index < 0) {
    if (!carriesFields(event) || sources.length >= MAX_LINKED_SOURCES) return { sources, isNew: false, statusChanged: false, staleFields: [] };
    const ledger = startLedger(event, incident.workflowId, now);
    const source = linkedSourceFrom(event.source, event.externalId, ledger, now);
    return { sources: [...sources, source], source, isNew: true, statusChanged: false, staleFields: [] };
  }
  const before = sources[index]!;
  const result = applyEvent({ incident: before.view, appliedAt: before.appliedAt, deliveryIds: [] }, event, now);
  const source: LinkedSource = { ...before, view: strip(result.incident), appliedAt: result.appliedAt, lastEventAt: now };
  const next = sources.map((s, i) => (i === index ? source : s));
  return { sources: next, source, isNew: false, statusChanged: before.view.status !== source.view.status, staleFields: result.staleFields };
}

const latest = (values: (string | undefined)[]) => values.filter((v): v is string => Boolean(v)).sort().at(-1);
const union = (lists: string[][]) => [...new Set(lists.flat())].sort();

/** The incident the linked sources describe together (rules in the module comment); identity and description stay. */
export function combineSources(current: Incident, sources: LinkedSource[]): Incident {
  if (sources.length === 0) return current;
  const reporting = sources.filter((s) => !s.person);
  const real = reporting.filter((s) => !s.suspected);
  const counted = real.length > 0 ? real : reporting.length > 0 ? reporting : sources;
  const open = counted.filter((s) => !closed(s.view.status));
  const resolved = open.length === 0;
  let status: IncidentStatus = resolved ? 'resolved'
    : open.map((s) => s.view.status).sort((a, b) => STATUS_ORDER.indexOf(b) - STATUS_ORDER.indexOf(a))[0]!;
  let severity = (reporting.length ? reporting : sources).map((s) => s.view.severity).reduce((a, b) => (isMoreSevere(b, a) ? b : a));
  // A person's word stands until a source says something newer on that field.
  const person = sources.find((s) => s.person);
  const newest = (field: string) => person?.appliedAt[field] !== undefined
    && reporting.every((s) => (s.appliedAt[field] ?? '') <= person.appliedAt[field]!);
  const statuspage = sources.filter((s) => s.source === 'statuspage');
  const byMessageTime = [...sources].filter((s) => s.view.message !== undefined)
    .sort((a, b) => (a.appliedAt.message ?? '').localeCompare(b.appliedAt.message ?? ''));
  const publicSource = (newest('message') ? person : undefined) ?? statuspage.find((s) => s.view.message !== undefined) ?? byMessageTime.at(-1);
  if (person && newest('status')) status = person.view.status;
  if (person && newest('severity')) severity = person.view.severity;
  const isResolved = status === 'resolved';
  // Notes, post-mortem and owner: the newest any source (or person) set.
  const newestOf = (field: 'resolutionNote' | 'postMortemUrl' | 'owner') => [...sources].filter((s) => s.appliedAt[field] !== undefined)
    .sort((a, b) => a.appliedAt[field]!.localeCompare(b.appliedAt[field]!)).at(-1)?.view[field];
  const resolutionNote = isResolved ? newestOf('resolutionNote') ?? current.resolutionNote : undefined;
  const postMortemUrl = newestOf('postMortemUrl') ?? current.postMortemUrl;
  const owner = newestOf('owner') ?? current.owner;
  return {
    ...current,
    title: counted[0]!.view.title,
    status,
    severity,
    components: union(sources.map((s) => s.view.components)),
    regions: union(sources.map((s) => s.view.regions)),
    startedAt: sources.map((s) => s.view.startedAt).sort()[0]!,
    resolvedAt: isResolved ? latest([...counted, ...(person ? [person] : [])].map((s) => s.view.resolvedAt)) ?? current.resolvedAt : undefined,
    statusPageUrl: statuspage.find((s) => s.view.statusPageUrl)?.view.statusPageUrl ?? sources.find((s) => s.view.statusPageUrl)?.view.statusPageUrl ?? current.statusPageUrl,
    message: publicSource?.view.message ?? current.message,
    ...(resolutionNote ? { resolutionNote } : {}),
    ...(postMortemUrl ? { postMortemUrl } : {}),
    ...(owner ? { owner } : {}),
  };
}

export function sourceViews(sources: LinkedSource[] | undefined): LinkedSourceView[] {
  return (sources ?? []).map((s) => ({
    source: s.source, externalId: s.externalId, title: s.view.title, status: s.view.status, severity: s.view.severity,
    components: s.view.components, suspected: s.suspected, linkedAt: s.linkedAt, lastEventAt: s.lastEventAt,
    ...(s.mergedFrom ? { mergedFrom: s.mergedFrom } : {}),
  }));
}
