/**
 * A person declaring an incident (api/incident-actions.ts) is routed like every source (domain/correlation.ts):
 * a declaration that overlaps an open incident joins it instead of opening a second one. Joining, it is the
 * person's word on that incident, not a new source incident: the person did not know of the open incident,
 * so the declaration may widen it and escalate it, never narrow, downgrade, rename or move it back.
 *
 * - components and regions: the incident's, plus the declaration's (newly affected CSMs are alerted once);
 * - severity: only when the declaration's is higher than the incident's;
 * - status, title, public message: left as the incident has them;
 * - a timeline note says who declared what; a suspected incident (support spike) is confirmed by it.
 */
import { isMoreSevere } from './incident-state';
import type { IncidentEvent, Severity } from './types';

/** The open incident a declaration joins, as last recorded (undefined fields: not recorded yet). */
export interface JoinedIncident {
  severity?: Severity;
  components: string[];
  regions: string[];
}

const union = (...lists: (string[] | undefined)[]) => [...new Set(lists.flatMap((l) => l ?? []))].sort();
const adds = (to: string[], from: string[] | undefined) => (from ?? []).some((v) => !to.includes(v));

/** The timeline note of a declaration that joined an open incident. */
export function declaredNote(declared: Pick<IncidentEvent, 'title' | 'severity' | 'components' | 'description'>, actor: string | undefined): string {
  const detail = [declared.severity, declared.components?.join(', ')].filter(Boolean).join(', ');
  const description = declared.description?.trim() ? ` — ${declared.description.trim()}` : '';
  return `Declared${actor ? ` by ${actor}` : ''}: ${declared.title ?? 'an incident'}${detail ? ` (${detail})` : ''}${description}`.slice(0, 2000);
}

/**
 * The event a declaration sends to the open incident it joined: a person's event (`byPerson`) carrying only what
 * widens or escalates the incident, with the declaration's delivery id (a retried request changes nothing).
 */
export function joiningEvent(declared: IncidentEvent, incident: JoinedIncident): IncidentEvent {
  const event: IncidentEvent = {
    source: declared.source, externalId: declared.externalId, occurredAt: declared.occurredAt, deliveryId: declared.deliveryId,
    byPerson: true, confirms: true, note: declaredNote(declared, declared.actor),
    ...(declared.actor ? { actor: declared.actor } : {}),
  };
  const known = union(incident.components);
  if (adds(known, declared.components)) event.components = union(known, declared.components);
  if (adds(incident.regions, declared.regions)) event.regions = union(incident.regions, declared.regions);
  // Unknown severity (the incident is not recorded yet): left alone rather than risk lowering it.
  if (declared.severity && incident.severity && isMoreSevere(declared.severity, incident.severity)) event.severity = declared.severity;
  return event;
}
