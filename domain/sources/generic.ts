/**
 * The generic incident webhook: any tool (or a person with curl) posts the product spec's body.
 * Component values are Forewarn component keys (or aliases registered for source `generic`);
 * the route resolves them before calling `normalizeGeneric`.
 */
import { boundedNote } from '../incident-state';
import type { EventStatus, IncidentEvent, IncidentSource, Severity } from '../types';

export interface GenericIncidentBody {
  id: string;
  title: string;
  status: EventStatus;
  severity: Severity;
  affectedComponents: string[];
  startedAt: string;
  resolvedAt?: string | null;
  description?: string;
  affectedRegions?: string[];
  statusPageUrl?: string;
  message?: string;
  /** How it was resolved: the resolution DM's "Resolution:" line. */
  resolutionNote?: string;
  /** The post-mortem's link, once written. */
  postMortemUrl?: string;
  /** Who owns the incident (email): asked for the post-mortem when it is missing. */
  owner?: string;
  /** When the sender changed the incident; lets out-of-order posts be ignored. Defaults to receipt time. */
  updatedAt?: string;
}

export class GenericInputError extends Error {
  constructor(public readonly path: string, message: string) {
    super(message);
  }
}

/** Checks what a JSON schema cannot say, then builds the event. */
export function normalizeGeneric(
  body: GenericIncidentBody,
  ctx: { components: string[]; deliveryId: string; receivedAt: string; source?: IncidentSource; actor?: string },
): IncidentEvent {
  const started = Date.parse(body.startedAt);
  if (body.resolvedAt && Date.parse(body.resolvedAt) < started) {
    throw new GenericInputError('body/resolvedAt', `resolvedAt (${body.resolvedAt}) is before startedAt (${body.startedAt})`);
  }
  const occurredAt = body.updatedAt ?? (body.status === 'resolved' && body.resolvedAt ? body.resolvedAt : ctx.receivedAt);
  const event: IncidentEvent = {
    source: ctx.source ?? 'generic',
    externalId: body.id,
    title: body.title,
    status: body.status,
    severity: body.severity,
    components: [...new Set(ctx.components)],
    startedAt: new Date(started).toISOString(),
    occurredAt: new Date(occurredAt).toISOString(),
    deliveryId: ctx.deliveryId,
  };
  if (body.status === 'resolved') event.resolvedAt = new Date(body.resolvedAt ?? occurredAt).toISOString();
  else event.reopens = true;
  if (body.description !== undefined) event.description = body.description;
  if (body.affectedRegions !== undefined) event.regions = [...new Set(body.affectedRegions)];
  if (body.statusPageUrl !== undefined) event.statusPageUrl = body.statusPageUrl;
  if (body.message !== undefined) event.message = body.message;
  const resolutionNote = boundedNote(body.resolutionNote);
  if (resolutionNote) event.resolutionNote = resolutionNote;
  if (ctx.actor !== undefined) event.actor = ctx.actor;
  return event;
}
