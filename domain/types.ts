/** The shared vocabulary of Forewarn: every source is normalized into these shapes. */

export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What a source (or a person) can set. */
export const EVENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** An incident's status; `dismissed`: a suspected incident closed as a false alarm (by a person or after its quiet period). */
export const INCIDENT_STATUSES = [...EVENT_STATUSES, 'dismissed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Statuses of an incident nobody needs to act on any more. */
export const CLOSED_STATUSES = ['resolved', 'dismissed'] as const satisfies readonly IncidentStatus[];

/** `manual`: declared by a person (API, dashboard, Slack `/forewarn declare`). */
export const INCIDENT_SOURCES = ['pagerduty', 'opsgenie', 'statuspage', 'support', 'generic', 'manual'] as const;
export type IncidentSource = (typeof INCIDENT_SOURCES)[number];

export const IMPACT_LEVELS = ['high', 'medium', 'low', 'none'] as const;
export type ImpactLevel = (typeof IMPACT_LEVELS)[number];

export const USAGE_LEVELS = ['heavy', 'moderate', 'light'] as const;
export type UsageLevel = (typeof USAGE_LEVELS)[number];

export const SEGMENTS = ['enterprise', 'mid-market', 'smb'] as const;
export type Segment = (typeof SEGMENTS)[number];

export const OUTREACH_STATUSES = ['pending', 'drafted', 'sent', 'responded', 'resolution_sent', 'followed_up'] as const;
export type OutreachStatus = (typeof OUTREACH_STATUSES)[number];

/**
 * One normalized observation of an incident from any source. Fields a source does not know are
 * left undefined, and the workflow keeps what it already had for them.
 */
export interface IncidentEvent {
  source: IncidentSource;
  externalId: string;
  title?: string;
  description?: string;
  status?: EventStatus;
  severity?: Severity;
  /** Component keys (already mapped through component_aliases). */
  components?: string[];
  regions?: string[];
  startedAt?: string;
  resolvedAt?: string;
  statusPageUrl?: string;
  /** The latest public update text. */
  message?: string;
  /**
   * How the source says the incident was resolved: Opsgenie's close note, Statuspage's final update,
   * a PagerDuty note (its resolve dialog's note is posted as one). Cut to RESOLUTION_NOTE_MAX characters.
   */
  resolutionNote?: string;
  /** The incident's post-mortem (Statuspage's published post-mortem, or set by a person); '' clears it. */
  postMortemUrl?: string;
  /** Who owns the incident at the source, by email (an Opsgenie responder, a generic body's `owner`): asked for the post-mortem. */
  owner?: string;
  /**
   * Other source incidents this one names (`statuspage:<incident id>`, domain/correlation.ts): a source
   * incident sharing a reference with an open incident joins it.
   */
  references?: string[];
  /**
   * A person's action (api/incident-actions.ts): on an incident several sources feed, it is the newest word
   * on the fields it sets, whatever the sources said before (domain/incident/sources.ts).
   */
  byPerson?: boolean;
  /**
   * A person declared this incident (api/incident-actions.ts) and the declaration joined an open one: a
   * suspected incident (support spike) it joins is confirmed, whatever fields the declaration changes.
   */
  confirms?: boolean;
  /**
   * The source says the incident is happening (again): PagerDuty triggered or reopened, an Opsgenie alert
   * created, a generic post, Statuspage update or person setting a status other than resolved. Such an event
   * for an incident Forewarn finished following reopens it (a new run of the same workflow id, restored from
   * Postgres); other late events (notes, acknowledgements, priority changes) are recorded and ignored.
   */
  reopens?: boolean;
  /** A timeline note that changes no field (PagerDuty annotation, Opsgenie note, support tickets). */
  note?: string;
  /** Who caused this event (an acknowledging responder, an escalation target...). */
  actor?: string;
  /** When the source says the change happened; used to ignore stale, out-of-order events. */
  occurredAt: string;
  /** The source's own delivery id; a repeated one changes nothing. */
  deliveryId: string;
}

/** The incident as the workflow currently knows it. */
export interface Incident {
  id: string;
  workflowId: string;
  source: IncidentSource;
  externalId: string;
  title: string;
  description?: string;
  status: IncidentStatus;
  severity: Severity;
  components: string[];
  regions: string[];
  startedAt: string;
  resolvedAt?: string;
  statusPageUrl?: string;
  message?: string;
  /** The source's resolution note (domain/incident-state.ts: which notes count); the resolution DM's line. */
  resolutionNote?: string;
  /** The post-mortem's link, once there is one: "View Post-Mortem" appears only then. */
  postMortemUrl?: string;
  /** The incident's owner at the source, by email (docs/incident-workflow.md: who is asked for the post-mortem). */
  owner?: string;
}

export interface CustomerRef {
  id: string;
  externalId: string;
  name: string;
  arr: number;
  segment: Segment;
  region: string;
  csmEmail: string;
  contactName?: string;
  contactEmail?: string;
}

/** A customer using an affected component, as read from Postgres before scoring. */
export interface ImpactCandidate extends CustomerRef {
  components: { key: string; name: string; usage: UsageLevel; integrationDependent: boolean }[];
  /** Requests on the affected components during the incident window; null when usage is not tracked. */
  windowRequests: number | null;
}

export interface AffectedCustomer extends CustomerRef {
  impactLevel: ImpactLevel;
  reason: string;
  componentNames: string[];
  businessImpact: number;
  priorityRank: number;
}

export interface Csm {
  email: string;
  name: string;
  slackUserId?: string;
  managerEmail?: string;
  timeZone?: string;
}
