/**
 * Opsgenie / Jira Service Management outgoing-webhook alert actions → IncidentEvent.
 * Body: `{ action, alert: { alertId, message, tags, entity, alias, tinyId, createdAt, updatedAt, username,
 * priority?, note?, description? }, source, integrationId, integrationName }`
 * (https://docs.opsgenie.com/docs/sample-alert-action-data).
 *
 * Priority arrives as "P1".."P5" or as a number 1..5 (both occur); P5 maps to P4.
 * Acknowledge keeps "investigating" (someone is on it) and adds a note; Close resolves, its note (if any)
 * being the resolution note; a note added just before the close counts too (domain/incident-state.ts).
 */
import { statuspageRefsIn } from '../correlation';
import { boundedNote } from '../incident-state';
import type { IncidentEvent, Severity } from '../types';

export const OPSGENIE_HANDLED_ACTIONS = ['Create', 'Acknowledge', 'AddNote', 'UpdatePriority', 'Escalate', 'EscalateNext', 'Close'] as const;
export type OpsgenieHandledAction = (typeof OPSGENIE_HANDLED_ACTIONS)[number];

export interface OpsgenieAlert {
  alertId: string;
  message?: string;
  tags?: string[];
  entity?: string;
  alias?: string;
  tinyId?: string;
  description?: string;
  /** Epoch milliseconds. */
  createdAt?: number;
  /** Opsgenie sends nanoseconds here; milliseconds are accepted too. */
  updatedAt?: number;
  username?: string;
  priority?: string | number;
  note?: string;
  escalationName?: string;
  /** Extra properties, sent when the integration has "Add Alert Details to Payload" on. */
  details?: Record<string, unknown>;
}

export interface OpsgenieWebhookBody {
  action: string;
  alert: OpsgenieAlert;
  source?: { name?: string; type?: string };
  integrationId?: string;
  integrationName?: string;
  escalation?: { name?: string };
  escalationName?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isHandledOpsgenieAction(action: string): action is OpsgenieHandledAction {
  return (OPSGENIE_HANDLED_ACTIONS as readonly string[]).includes(action);
}

/** "P1".."P5" or 1..5 → P1..P4; undefined for anything else. */
export function opsgenieSeverity(priority: string | number | undefined | null): Severity | undefined {
  if (priority === undefined || priority === null || priority === '') return undefined;
  const m = String(priority).trim().match(/^P?([1-5])$/i);
  if (!m) return undefined;
  const n = Math.min(Number(m[1]), 4);
  return `P${n}` as Severity;
}

/** Epoch number in ns, µs or ms → ISO string. */
export function epochToIso(value: number): string {
  const ms = value > 1e17 ? value / 1e6 : value > 1e14 ? value / 1e3 : value;
  return new Date(Math.floor(ms)).toISOString();
}

/**
 * External ids to resolve through component_aliases (source `opsgenie`): the alert's tags, its entity
 * and the name of the integration that created it.
 */
export function opsgenieComponentLookups(body: OpsgenieWebhookBody): string[] {
  const values = [...(body.alert.tags ?? []), body.alert.entity, body.integrationName];
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.trim().length > 0).map((v) => v.trim()))];
}

/**
 * Delivery id: Opsgenie sends none. Alert + action + updatedAt names the delivery, and a digest of the
 * body tells apart two actions whose nanosecond `updatedAt` read as the same JavaScript number
 * (it has more digits than a double keeps). A retry repeats the same body, hence the same id.
 */
export function opsgenieDeliveryId(body: OpsgenieWebhookBody, bodyDigest: string): string {
  return `${body.alert.alertId}:${body.action}:${body.alert.updatedAt ?? body.alert.createdAt ?? ''}:${bodyDigest.slice(0, 16)}`;
}

/** The event for a handled action, undefined for actions Forewarn ignores. */
export function normalizeOpsgenie(
  body: OpsgenieWebhookBody, ctx: { components: string[]; deliveryId: string; receivedAt: string },
): IncidentEvent | undefined {
  if (!isHandledOpsgenieAction(body.action)) return undefined;
  const { alert } = body;
  const actor = alert.username || undefined;
  const occurredAt = alert.updatedAt !== undefined ? epochToIso(alert.updatedAt)
    : alert.createdAt !== undefined ? epochToIso(alert.createdAt) : ctx.receivedAt;
  const out: IncidentEvent = {
    source: 'opsgenie',
    externalId: alert.alertId,
    occurredAt,
    deliveryId: ctx.deliveryId,
    ...(actor ? { actor } : {}),
  };
  const who = actor ? ` by ${actor}` : '';
  if (alert.message?.trim()) out.title = alert.message.trim();
  if (alert.createdAt !== undefined) out.startedAt = epochToIso(alert.createdAt);
  const severity = opsgenieSeverity(alert.priority);
  if (severity) out.severity = severity;
  if (ctx.components.length > 0) out.components = [...new Set(ctx.components)];
  // A Statuspage incident named in the alert (description, details, a note) links the two (domain/correlation.ts).
  const detailTexts = Object.values(alert.details ?? {}).filter((v): v is string => typeof v === 'string');
  const references = statuspageRefsIn([alert.description, alert.note, ...detailTexts]);
  if (references.length > 0) out.references = references;

  switch (body.action) {
    case 'Create':
      out.status = 'investigating';
      out.reopens = true;
      if (alert.description) out.description = alert.description;
      break;
    case 'Acknowledge':
      out.note = `Acknowledged in Opsgenie${who}`;
      // The responder who took the alert owns it: they are asked for the post-mortem (Opsgenie users are emails).
      if (actor && EMAIL.test(actor)) out.owner = actor.toLowerCase();
      break;
    case 'AddNote': {
      out.note = `Note in Opsgenie${who}: ${alert.note ?? ''}`.trim();
      // A note written just before the close counts as its resolution note (domain/incident-state.ts).
      const resolutionNote = boundedNote(alert.note);
      if (resolutionNote) out.resolutionNote = resolutionNote;
      break;
    }
    case 'UpdatePriority':
      out.note = `Priority changed in Opsgenie to ${alert.priority ?? 'unknown'}${who}`;
      break;
    case 'Escalate':
    case 'EscalateNext': {
      const to = body.escalation?.name ?? body.escalationName ?? alert.escalationName;
      out.note = `Escalated in Opsgenie${to ? ` (${to})` : ''}${who}`;
      break;
    }
    case 'Close': {
      out.status = 'resolved';
      out.resolvedAt = occurredAt;
      // Closing with a note ("Close" with a note in Opsgenie) sends it as the alert's note.
      const resolutionNote = boundedNote(alert.note);
      if (resolutionNote) out.resolutionNote = resolutionNote;
      break;
    }
  }
  return out;
}
