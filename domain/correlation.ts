/**
 * Correlation: which Forewarn incident a source incident feeds. The rule (applied at ingest under
 * per-component locks by db/incident-routing.ts; this module is its pure half):
 *
 * 1. a source incident Forewarn already routed keeps its incident (its later events follow it);
 * 2. else an explicit link: a reference it shares with an open incident's sources (a Statuspage
 *    incident id or URL named in an Opsgenie alert or a PagerDuty note, or the Statuspage incident
 *    itself once an alert named it), whatever the time since that incident's last activity;
 * 3. else a shared component with an open incident whose last activity is within the window;
 * 4. else a new incident, `incident:<source>:<external id>`.
 *
 * Among several candidates, the most recently active wins. An incident is open while it is not
 * resolved and not merged. An incident already following MAX_LINKED_SOURCES source incidents takes
 * no more (the workflow's state stays bounded).
 */
import type { IncidentEvent, IncidentSource } from './types';

/** How many source incidents one Forewarn incident follows at most. */
export const MAX_LINKED_SOURCES = 20;

export type RouteHow = 'new' | 'route' | 'reference' | 'component' | 'merge' | 'split';

/** The workflow of the incident a source incident opens: `incident:<source>:<external id>`. */
export function incidentWorkflowId(source: IncidentSource, externalId: string): string {
  return `incident:${source}:${externalId}`;
}

/** The source incident a workflow id names (the one that opened it); undefined for other ids. */
export function parseIncidentWorkflowId(workflowId: string): { source: IncidentSource; externalId: string } | undefined {
  const m = /^incident:([a-z]+):(.+)$/s.exec(workflowId);
  return m ? { source: m[1] as IncidentSource, externalId: m[2]! } : undefined;
}

/** A source incident's own reference: `<source>:<external id>`. */
export function sourceRef(source: IncidentSource | string, externalId: string): string {
  return `${source}:${externalId}`;
}

// Statuspage incident ids are 12 lower-case letters and digits; a page's incident URL is
// https://<page>/incidents/<id> (statuspage.io, a custom domain, or manage.statuspage.io/pages/<page>/incidents/<id>).
const STATUSPAGE_URL = /https?:\/\/[^\s"'<>]+\/incidents\/([a-z0-9]{12})(?![a-z0-9])/gi;
const STATUSPAGE_REF = /\bstatuspage:([a-z0-9]{12})(?![a-z0-9])/gi;

/** Statuspage incidents named in free text (URLs or `statuspage:<id>`), as references. */
export function statuspageRefsIn(texts: (string | undefined | null)[]): string[] {
  const refs = new Set<string>();
  for (const text of texts) {
    if (!text) continue;
    for (const m of text.matchAll(STATUSPAGE_URL)) refs.add(sourceRef('statuspage', m[1]!.toLowerCase()));
    for (const m of text.matchAll(STATUSPAGE_REF)) refs.add(sourceRef('statuspage', m[1]!.toLowerCase()));
  }
  return [...refs].sort();
}

/** Every reference of an event: its own and those it names. */
export function eventRefs(event: Pick<IncidentEvent, 'source' | 'externalId' | 'references'>): string[] {
  return [...new Set([sourceRef(event.source, event.externalId), ...(event.references ?? [])])].sort();
}

/** Support tickets only suggest an incident: a suspected source never holds up the resolution. */
export function isSuspectedSource(source: IncidentSource | string): boolean {
  return source === 'support';
}

/** An open incident that could take the source incident, as read under the locks. */
export interface RouteCandidate {
  workflowId: string;
  /** The latest activity of any of its source incidents (ISO). */
  lastActivityAt: string;
  /** How many source incidents it follows. */
  sources: number;
}

export interface RouteChoice { workflowId: string; how: RouteHow }

export interface RouteInput {
  event: Pick<IncidentEvent, 'source' | 'externalId'>;
  /** The incident this source incident already feeds, if any. */
  existing?: string;
  /** Open incidents sharing a reference with the event. */
  byReference: RouteCandidate[];
  /** Open incidents sharing a component with the event. */
  byComponent: RouteCandidate[];
  windowMinutes: number;
  now: Date;
}

function mostRecent(candidates: RouteCandidate[]): RouteCandidate | undefined {
  return candidates.filter((c) => c.sources < MAX_LINKED_SOURCES)
    .sort((a, b) => Date.parse(b.lastActivityAt) - Date.parse(a.lastActivityAt) || a.workflowId.localeCompare(b.workflowId))[0];
}

/** The rule above, given what the database holds. */
export function chooseRoute(input: RouteInput): RouteChoice {
  if (input.existing) return { workflowId: input.existing, how: 'route' };
  const linked = mostRecent(input.byReference);
  if (linked) return { workflowId: linked.workflowId, how: 'reference' };
  const since = input.now.getTime() - input.windowMinutes * 60_000;
  const near = input.windowMinutes > 0 ? mostRecent(input.byComponent.filter((c) => Date.parse(c.lastActivityAt) >= since)) : undefined;
  if (near) return { workflowId: near.workflowId, how: 'component' };
  return { workflowId: incidentWorkflowId(input.event.source as IncidentSource, input.event.externalId), how: 'new' };
}
