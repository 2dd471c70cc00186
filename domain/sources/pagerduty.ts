/**
 * PagerDuty Webhooks V3 → IncidentEvent.
 * Envelope: `{ event: { id, event_type, resource_type, occurred_at, agent, client, data } }`, where `data` is
 * the incident for most event types and an `incident_note` for `incident.annotated`
 * (https://developer.pagerduty.com/docs/webhooks/v3-overview/).
 *
 * Status: PagerDuty knows triggered / acknowledged / resolved. An acknowledgement means a responder
 * is on it, not that the cause is identified, so it keeps "investigating" and adds a timeline note.
 * Severity: the incident's priority name through `priorityMap` (default P1..P4 as-is, P5 → P4);
 * incidents without a priority fall back to their urgency through `urgencyMap` (default high → P2, low → P3).
 * Resolution note: PagerDuty's resolve carries no text (`resolve_reason` only names a merge); the note
 * a responder adds when resolving is sent as `incident.annotated`, so a note's content is offered as
 * the resolution note and the incident decides whether it is one (written near the resolve).
 */
import { statuspageRefsIn } from '../correlation';
import { boundedNote } from '../incident-state';
import type { EventStatus, IncidentEvent, Severity } from '../types';

export const PAGERDUTY_HANDLED_EVENTS = [
  'incident.triggered', 'incident.acknowledged', 'incident.priority_updated', 'incident.escalated',
  'incident.annotated', 'incident.reopened', 'incident.resolved',
] as const;
export type PagerDutyHandledEvent = (typeof PAGERDUTY_HANDLED_EVENTS)[number];

interface Reference { id?: string; summary?: string; html_url?: string; type?: string }

export interface PagerDutyIncidentData {
  id: string;
  type: 'incident';
  html_url?: string;
  number?: number;
  status?: 'triggered' | 'acknowledged' | 'resolved' | string;
  title?: string;
  created_at?: string;
  service?: Reference;
  assignees?: Reference[];
  escalation_policy?: Reference;
  priority?: Reference | null;
  urgency?: 'high' | 'low' | string;
  resolve_reason?: unknown;
}

export interface PagerDutyNoteData {
  id?: string;
  type: 'incident_note';
  incident: Reference & { id: string };
  content?: string;
}

export interface PagerDutyEnvelope {
  event: {
    id: string;
    event_type: string;
    resource_type?: string;
    occurred_at: string;
    agent?: Reference | null;
    client?: { name?: string } | null;
    data: PagerDutyIncidentData | PagerDutyNoteData | Record<string, unknown>;
  };
}

export interface SeverityMaps { priorityMap: Record<string, Severity>; urgencyMap: Record<string, Severity> }

export function isHandledPagerDutyEvent(type: string): type is PagerDutyHandledEvent {
  return (PAGERDUTY_HANDLED_EVENTS as readonly string[]).includes(type);
}

/** Priority name first (case-insensitive), then urgency; undefined when neither maps. */
export function pagerdutySeverity(
  priority: string | undefined | null, urgency: string | undefined | null, maps: SeverityMaps,
): Severity | undefined {
  const lookup = (map: Record<string, Severity>, key: string | undefined | null) => {
    if (!key) return undefined;
    const found = Object.keys(map).find((k) => k.toLowerCase() === key.trim().toLowerCase());
    return found ? map[found] : undefined;
  };
  return lookup(maps.priorityMap, priority) ?? lookup(maps.urgencyMap, urgency);
}

function incidentData(envelope: PagerDutyEnvelope): PagerDutyIncidentData | undefined {
  const data = envelope.event.data as PagerDutyIncidentData;
  return data && data.type === 'incident' && typeof data.id === 'string' ? data : undefined;
}

/** The incident id the event is about (the note's incident for annotations). */
export function pagerdutyIncidentId(envelope: PagerDutyEnvelope): string | undefined {
  const incident = incidentData(envelope);
  if (incident) return incident.id;
  const note = envelope.event.data as PagerDutyNoteData;
  return note?.type === 'incident_note' && typeof note.incident?.id === 'string' ? note.incident.id : undefined;
}

/**
 * External ids to resolve through component_aliases (source `pagerduty`): the service id, and its
 * name so an alias can be registered either way. Annotations carry no service: nothing to resolve.
 */
export function pagerdutyComponentLookups(envelope: PagerDutyEnvelope): string[] {
  const service = incidentData(envelope)?.service;
  return [service?.id, service?.summary].filter((v): v is string => typeof v === 'string' && v.length > 0);
}

const STATUS: Record<string, EventStatus> = { triggered: 'investigating', acknowledged: 'investigating', resolved: 'resolved' };

/**
 * Builds the event for a handled event type, or returns undefined for event types Forewarn ignores.
 * `components` are the already-resolved component keys; an empty list leaves the workflow's as they are.
 */
export function normalizePagerDuty(
  envelope: PagerDutyEnvelope, ctx: { components: string[] } & SeverityMaps,
): IncidentEvent | undefined {
  const { event } = envelope;
  if (!isHandledPagerDutyEvent(event.event_type)) return undefined;
  const externalId = pagerdutyIncidentId(envelope);
  if (!externalId) return undefined;
  const actor = event.agent?.summary;
  const base: IncidentEvent = {
    source: 'pagerduty',
    externalId,
    occurredAt: new Date(event.occurred_at).toISOString(),
    deliveryId: event.id,
    ...(actor ? { actor } : {}),
  };
  if (event.event_type === 'incident.annotated') {
    const note = (event.data as PagerDutyNoteData).content;
    // The resolve dialog's "resolution note" arrives as an ordinary note: the incident keeps it as the
    // resolution note when it was written close to (or after) the resolve (domain/incident-state.ts).
    const resolutionNote = boundedNote(note);
    // A responder pasting the Statuspage incident's link into a note links the two (domain/correlation.ts).
    const references = statuspageRefsIn([note]);
    return {
      ...base, note: `Note in PagerDuty${actor ? ` by ${actor}` : ''}: ${note ?? ''}`.trim(),
      ...(resolutionNote ? { resolutionNote } : {}), ...(references.length ? { references } : {}),
    };
  }

  const incident = incidentData(envelope)!;
  const out: IncidentEvent = { ...base };
  if (incident.title) out.title = incident.title;
  if (incident.created_at) out.startedAt = new Date(incident.created_at).toISOString();
  else if (event.event_type === 'incident.triggered') out.startedAt = out.occurredAt;
  const severity = pagerdutySeverity(incident.priority?.summary, incident.urgency, ctx);
  if (severity) out.severity = severity;
  if (ctx.components.length > 0) out.components = [...new Set(ctx.components)];
  const references = statuspageRefsIn([incident.title]);
  if (references.length > 0) out.references = references;
  const status = event.event_type === 'incident.reopened' ? 'investigating' : STATUS[incident.status ?? ''];
  if (status) out.status = status;
  if (status === 'resolved') out.resolvedAt = out.occurredAt;
  if (status === 'investigating' && (event.event_type === 'incident.triggered' || event.event_type === 'incident.reopened')) out.reopens = true;

  const who = actor ? ` by ${actor}` : '';
  switch (event.event_type) {
    case 'incident.acknowledged':
      out.note = `Acknowledged in PagerDuty${who}`;
      break;
    case 'incident.escalated': {
      const to = (incident.assignees ?? []).map((a) => a.summary).filter(Boolean).join(', ');
      out.note = `Escalated in PagerDuty${to ? ` to ${to}` : ''}${incident.escalation_policy?.summary ? ` (${incident.escalation_policy.summary})` : ''}`;
      break;
    }
    case 'incident.priority_updated':
      out.note = `Priority changed in PagerDuty to ${incident.priority?.summary ?? 'none'}${who}`;
      break;
    case 'incident.reopened':
      out.note = `Reopened in PagerDuty${who}`;
      break;
    default:
      break;
  }
  return out;
}
