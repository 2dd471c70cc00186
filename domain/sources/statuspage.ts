/**
 * Statuspage → IncidentEvent, for both paths that bring Statuspage incidents in:
 * - webhook notifications (`{ meta, page, incident }` for incident updates, `{ meta, page, component_update,
 *   component }` for component status changes; https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/),
 * - the Status API v2 (`/api/v2/incidents/unresolved.json`, `/api/v2/incidents.json`) and the management API
 *   (`/v1/pages/{page_id}/incidents`), read by the status-page sync.
 *
 * Both paths describe the same incident object, and both name it by its Statuspage id and `updated_at`:
 * the delivery id is derived from those two, so the webhook and the sync deliver the *same* update under
 * the same id and the incident workflow (and webhook_deliveries) apply it once.
 *
 * Mapping:
 * - status: investigating / identified / monitoring / resolved as-is; postmortem and completed → resolved;
 *   a maintenance in progress → identified, verifying → monitoring; a maintenance still `scheduled` is not
 *   an incident yet (null: nothing to forward).
 * - severity from impact (impact_override first): critical → P1, major → P2, minor → P3, none / maintenance → P4.
 * - components: the Statuspage component ids the incident names (its `components`, and the
 *   `affected_components` of its updates), mapped to component keys through component_aliases by the caller.
 * - message: the body of the latest incident update; occurredAt: the incident's updated_at.
 * - resolutionNote: once resolved, the body of the latest update (the final one, written when resolving).
 * - postMortemUrl: the incident's page (its shortlink) once `postmortem_published_at` is set (not ignored).
 */
import { boundedNote } from '../incident-state';
import type { EventStatus, IncidentEvent, Severity } from '../types';

export interface StatuspageIncidentUpdate {
  id?: string;
  body?: string | null;
  status?: string;
  created_at?: string;
  display_at?: string | null;
  updated_at?: string;
  affected_components?: { code?: string; name?: string; old_status?: string; new_status?: string }[] | null;
}

export interface StatuspageIncident {
  id: string;
  name: string;
  status: string;
  impact?: string | null;
  impact_override?: string | null;
  created_at?: string;
  started_at?: string | null;
  updated_at: string;
  resolved_at?: string | null;
  shortlink?: string | null;
  /** Set once the post-mortem is published on the incident's page (the management API and webhooks carry it). */
  postmortem_published_at?: string | null;
  postmortem_ignored?: boolean | null;
  incident_updates?: StatuspageIncidentUpdate[];
  components?: { id?: string; name?: string; status?: string }[] | null;
}

export type StatuspageWebhook =
  | { kind: 'incident'; incident: StatuspageIncident }
  | { kind: 'component'; componentUpdateId: string; componentId?: string; newStatus?: string };

export interface FieldError { path: string; message: string }

/** A payload we cannot read; `errors` name each offending field. */
export class StatuspagePayloadError extends Error {
  constructor(message: string, public readonly errors: FieldError[]) {
    super(message);
    this.name = 'StatuspagePayloadError';
  }
}

const STATUS_MAP: Record<string, EventStatus | null> = {
  investigating: 'investigating',
  identified: 'identified',
  monitoring: 'monitoring',
  resolved: 'resolved',
  postmortem: 'resolved',
  completed: 'resolved',
  in_progress: 'identified',
  verifying: 'monitoring',
  scheduled: null,
};

const IMPACT_MAP: Record<string, Severity> = { critical: 'P1', major: 'P2', minor: 'P3', none: 'P4', maintenance: 'P4' };

/** Forewarn status for a Statuspage status; null for a maintenance that has not started. */
export function statuspageStatus(status: string): EventStatus | null {
  const key = status.trim().toLowerCase();
  if (!(key in STATUS_MAP)) {
    throw new StatuspagePayloadError(`Unknown Statuspage incident status "${status}"`, [
      { path: 'incident/status', message: `must be one of ${Object.keys(STATUS_MAP).join(', ')}` },
    ]);
  }
  return STATUS_MAP[key];
}

export function statuspageSeverity(impact: string | null | undefined): Severity {
  const key = (impact ?? 'none').trim().toLowerCase();
  const severity = IMPACT_MAP[key];
  if (!severity) {
    throw new StatuspagePayloadError(`Unknown Statuspage impact "${impact}"`, [
      { path: 'incident/impact', message: `must be one of ${Object.keys(IMPACT_MAP).join(', ')}` },
    ]);
  }
  return severity;
}

/**
 * ISO-8601 UTC to the whole second. Statuspage writes the same instant with a local offset and with or
 * without milliseconds depending on the endpoint; keying on the second makes both paths agree.
 */
export function statuspageInstant(value: string, path = 'incident/updated_at'): string {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new StatuspagePayloadError(`Invalid timestamp "${value}"`, [{ path, message: 'must be an ISO-8601 date-time' }]);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/**
 * The delivery id of one version of an incident: the same from the webhook and from the sync. Its
 * latest update's id is part of it, since Statuspage stamps whole seconds: an incident identified and
 * resolved within one second is two versions, not one delivered twice.
 */
export function statuspageDeliveryId(incident: Pick<StatuspageIncident, 'id' | 'updated_at' | 'incident_updates'>): string {
  const update = latestIncidentUpdate(incident)?.id;
  return `${incident.id}@${statuspageInstant(incident.updated_at)}${update ? `/${update}` : ''}`;
}

/** The incident id a delivery id names (webhook_deliveries rows of source 'statuspage'). */
export function statuspageIncidentIdOf(deliveryId: string): string | undefined {
  const at = deliveryId.indexOf('@');
  return at > 0 ? deliveryId.slice(0, at) : undefined;
}

/** Statuspage component ids the incident names, without repeats. */
export function statuspageComponentIds(incident: StatuspageIncident): string[] {
  const ids = [
    ...(incident.components ?? []).map((c) => c?.id),
    ...(incident.incident_updates ?? []).flatMap((u) => (u?.affected_components ?? []).map((c) => c?.code)),
  ].filter((id): id is string => typeof id === 'string' && id.length > 0);
  return [...new Set(ids)];
}

/** The latest update (by display time, then creation), whatever order the payload lists them in. */
export function latestIncidentUpdate(incident: Pick<StatuspageIncident, 'incident_updates'>): StatuspageIncidentUpdate | undefined {
  const when = (u: StatuspageIncidentUpdate) => Date.parse(u.display_at ?? u.created_at ?? u.updated_at ?? '') || 0;
  return [...(incident.incident_updates ?? [])].filter(Boolean).sort((a, b) => when(b) - when(a))[0];
}

/**
 * The IncidentEvent for one version of a Statuspage incident, or null when it is a maintenance that has
 * not started. `componentKeys` maps Statuspage component ids to Forewarn component keys (unknown ids are
 * left out: they affect no customer Forewarn knows about).
 */
export function normalizeStatuspageIncident(
  incident: StatuspageIncident, componentKeys: ReadonlyMap<string, string[]>,
): IncidentEvent | null {
  const status = statuspageStatus(incident.status);
  if (status === null) return null;
  const components = [...new Set(statuspageComponentIds(incident).flatMap((id) => componentKeys.get(id) ?? []))];
  const latest = latestIncidentUpdate(incident);
  const started = incident.started_at ?? incident.created_at;
  const event: IncidentEvent = {
    source: 'statuspage',
    externalId: incident.id,
    title: incident.name,
    status,
    severity: statuspageSeverity(incident.impact_override ?? incident.impact),
    components,
    occurredAt: statuspageInstant(incident.updated_at),
    deliveryId: statuspageDeliveryId(incident),
  };
  if (started) event.startedAt = statuspageInstant(started, 'incident/created_at');
  if (status === 'resolved') event.resolvedAt = statuspageInstant(incident.resolved_at ?? incident.updated_at, 'incident/resolved_at');
  else event.reopens = true;
  if (incident.shortlink) event.statusPageUrl = incident.shortlink;
  if (latest?.body) event.message = latest.body;
  // The final update (written when resolving) says how it was resolved.
  const resolutionNote = status === 'resolved' ? boundedNote(latest?.body ?? undefined) : undefined;
  if (resolutionNote) event.resolutionNote = resolutionNote;
  // A published post-mortem is shown on the incident's own page, which the shortlink opens.
  if (incident.postmortem_published_at && !incident.postmortem_ignored && incident.shortlink) event.postMortemUrl = incident.shortlink;
  return event;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the fields Forewarn relies on; every problem is reported, under `prefix`. */
export function validateStatuspageIncident(value: unknown, prefix = 'incident'): StatuspageIncident {
  const errors: FieldError[] = [];
  if (!isObject(value)) throw new StatuspagePayloadError(`${prefix} must be an object`, [{ path: prefix, message: 'must be an object' }]);
  const str = (key: string, required: boolean) => {
    const v = value[key];
    if (v === undefined || v === null) {
      if (required) errors.push({ path: `${prefix}/${key}`, message: 'is required' });
    } else if (typeof v !== 'string' || (required && v.trim() === '')) {
      errors.push({ path: `${prefix}/${key}`, message: 'must be a non-empty string' });
    }
  };
  str('id', true);
  str('name', true);
  str('status', true);
  str('updated_at', true);
  str('impact', false);
  if (typeof value.updated_at === 'string' && !Number.isFinite(Date.parse(value.updated_at))) {
    errors.push({ path: `${prefix}/updated_at`, message: 'must be an ISO-8601 date-time' });
  }
  if (value.incident_updates !== undefined && !Array.isArray(value.incident_updates)) {
    errors.push({ path: `${prefix}/incident_updates`, message: 'must be an array' });
  }
  if (value.components !== undefined && value.components !== null && !Array.isArray(value.components)) {
    errors.push({ path: `${prefix}/components`, message: 'must be an array' });
  }
  if (errors.length) throw new StatuspagePayloadError(`The Statuspage incident is not usable: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  const incident = value as unknown as StatuspageIncident;
  // Surface unknown status / impact values as payload errors now rather than later.
  statuspageStatus(incident.status);
  statuspageSeverity(incident.impact_override ?? incident.impact);
  return incident;
}

/** Reads a webhook body: an incident update, or a component status change (which carries no incident). */
export function parseStatuspageWebhook(body: unknown): StatuspageWebhook {
  if (!isObject(body)) throw new StatuspagePayloadError('The body must be a JSON object', [{ path: 'body', message: 'must be an object' }]);
  if (body.incident !== undefined) return { kind: 'incident', incident: validateStatuspageIncident(body.incident) };
  if (isObject(body.component_update)) {
    const update = body.component_update;
    const id = update.id;
    if (typeof id !== 'string' || !id) {
      throw new StatuspagePayloadError('component_update/id is required', [{ path: 'component_update/id', message: 'is required' }]);
    }
    return {
      kind: 'component',
      componentUpdateId: id,
      componentId: typeof update.component_id === 'string' ? update.component_id : undefined,
      newStatus: typeof update.new_status === 'string' ? update.new_status : undefined,
    };
  }
  throw new StatuspagePayloadError('Expected a Statuspage incident or component update notification', [
    { path: 'body', message: 'must contain "incident" or "component_update"' },
  ]);
}

/**
 * Status API v2 bodies are `{ page, incidents: [...] }`; the management API answers a bare array.
 * An incident that cannot be read is set aside with its reason rather than failing the whole list.
 */
export function parseStatuspageIncidentList(body: unknown): { incidents: StatuspageIncident[]; rejected: { path: string; message: string }[] } {
  const list = Array.isArray(body) ? body : isObject(body) ? body.incidents : undefined;
  if (!Array.isArray(list)) {
    throw new StatuspagePayloadError('Expected { incidents: [...] } or an array of incidents', [{ path: 'incidents', message: 'must be an array' }]);
  }
  const incidents: StatuspageIncident[] = [];
  const rejected: { path: string; message: string }[] = [];
  list.forEach((item, i) => {
    try {
      incidents.push(validateStatuspageIncident(item, `incidents/${i}`));
    } catch (err) {
      if (!(err instanceof StatuspagePayloadError)) throw err;
      rejected.push({ path: `incidents/${i}`, message: err.message });
    }
  });
  return { incidents, rejected };
}

/** Several lists (unresolved + recent) into one, one entry per incident: its latest version. */
export function mergeStatuspageIncidents(...lists: StatuspageIncident[][]): StatuspageIncident[] {
  const byId = new Map<string, StatuspageIncident>();
  for (const incident of lists.flat()) {
    const known = byId.get(incident.id);
    if (!known || Date.parse(incident.updated_at) > Date.parse(known.updated_at)) byId.set(incident.id, incident);
  }
  return [...byId.values()];
}

export interface SyncSelectionInput {
  incidents: StatuspageIncident[];
  /** Delivery ids already recorded in webhook_deliveries (source 'statuspage') with their status. */
  recorded: ReadonlyMap<string, string>;
  /** Statuspage incident ids Forewarn has already received any version of. */
  followed: ReadonlySet<string>;
  now: Date;
  /** A resolved incident never seen before is forwarded only if it changed this recently. */
  resolvedLookbackMs: number;
}

export interface SyncSelection {
  changed: StatuspageIncident[];
  skipped: { id: string; reason: 'unchanged' | 'not_started' | 'resolved_before_followed' }[];
}

/**
 * Which incidents the sync forwards: a version (id + updated_at) not yet forwarded — by an earlier sync
 * or by the webhook. A version recorded but never forwarded (Temporal was down) is forwarded again.
 * A resolved incident Forewarn never followed is left alone unless it changed within the lookback:
 * the first sync must not replay a page's whole history as fresh incidents.
 */
export function selectStatuspageChanges(input: SyncSelectionInput): SyncSelection {
  const changed: StatuspageIncident[] = [];
  const skipped: SyncSelection['skipped'] = [];
  for (const incident of input.incidents) {
    const status = input.recorded.get(statuspageDeliveryId(incident));
    if (status === 'forwarded' || status === 'ignored') {
      skipped.push({ id: incident.id, reason: 'unchanged' });
      continue;
    }
    const mapped = statuspageStatus(incident.status);
    if (mapped === null) {
      skipped.push({ id: incident.id, reason: 'not_started' });
      continue;
    }
    const age = input.now.getTime() - Date.parse(incident.updated_at);
    if (mapped === 'resolved' && !input.followed.has(incident.id) && age > input.resolvedLookbackMs) {
      skipped.push({ id: incident.id, reason: 'resolved_before_followed' });
      continue;
    }
    changed.push(incident);
  }
  return { changed, skipped };
}
