/**
 * Suspected incidents: the support-spike detector opens them from a burst of tickets, before anyone
 * knows whether the product is really broken. They stay suspected until a person or a source changes
 * their status or severity (confirmed), and until then they can be dismissed as a false alarm — by a
 * person (the `dismiss` update) or by themselves after a quiet period without new tickets or events
 * (`suspectedAutoCloseMinutes`, a durable deadline). Dismissed, the incident ends: status `dismissed`,
 * the CSMs already alerted told so in their alert's thread.
 *
 * All of this only runs for incidents started with the `suspected-incidents` patch, so histories
 * recorded before it replay unchanged.
 */
import { patched } from '@temporalio/workflow';
import type { TimelineEntry } from '../activities/types';
import type { IncidentChanges } from '../domain/incident-state';
import type { IncidentEvent } from '../domain/types';
import { revisionKey, timelineKey } from './incident-keys';
import { delivered, type IncidentRun } from './incident-run';

const SUSPECTED_PATCH = 'suspected-incidents';
const DEFAULT_AUTO_CLOSE_MINUTES = 120;
const MINUTE = 60_000;

export interface Dismissal { actor: string; reason?: string; automatic?: boolean }

function quietMinutes(run: IncidentRun): number {
  return run.settings.suspectedAutoCloseMinutes ?? DEFAULT_AUTO_CLOSE_MINUTES;
}

function rearm(run: IncidentRun): void {
  run.s.autoCloseAt = new Date(Date.now() + quietMinutes(run) * MINUTE).toISOString();
}

/** At the first event: an incident the support-spike detector opened is suspected. */
export function markSuspected(run: IncidentRun, event: IncidentEvent): void {
  if (event.source !== 'support' || !patched(SUSPECTED_PATCH)) return;
  run.s.suspected = true;
  rearm(run);
}

/**
 * Every later event of a suspected incident: a status or severity change, or another source joining
 * (`confirmed`), confirms it (a timeline entry says so); anything else — a new ticket, a note — starts
 * its quiet period afresh.
 */
export function followSuspicion(run: IncidentRun, event: IncidentEvent, changes: IncidentChanges, at: string, confirmed = false): TimelineEntry[] {
  const s = run.s;
  if (!s.suspected) return [];
  // A person's declaration joining the incident confirms it (event.confirms: no recorded history carries it).
  if (!confirmed && !event.confirms && !changes.status && !changes.severity) {
    rearm(run);
    return [];
  }
  s.suspected = false;
  s.autoCloseAt = undefined;
  return [{
    kind: 'status', summary: `Confirmed${event.actor ? ` by ${event.actor}` : ''}: no longer a suspected incident`, actor: event.actor,
    details: { deliveryId: event.deliveryId }, occurredAt: at, dedupeKey: timelineKey(s, 'event', event.deliveryId, 'confirmed'),
  }];
}

/** The quiet period is over: the main loop's deadline work closes the incident. */
export function autoCloseDue(run: IncidentRun, now: number): Dismissal | undefined {
  const s = run.s;
  if (!s.suspected || s.phase !== 'active' || s.autoCloseAt === undefined || Date.parse(s.autoCloseAt) > now) return undefined;
  return { actor: 'Forewarn', automatic: true, reason: `No new tickets or events for ${quietMinutes(run)} minutes` };
}

/** Why this incident cannot be dismissed now, or undefined when it can. */
export function dismissRefusal(run: IncidentRun): string | undefined {
  const s = run.s;
  const name = `"${s.incident.title}"`;
  if (s.incident.status === 'dismissed') return `${name} is already dismissed.`;
  if (s.phase !== 'active') return `${name} is resolved: there is nothing to dismiss.`;
  if (!s.suspected) {
    return `${name} is a confirmed incident (${s.incident.source}, ${s.incident.severity}, ${s.incident.status}), not a suspected one: resolve it instead.`;
  }
  return undefined;
}

/**
 * Ends a suspected incident as dismissed: recorded (status, timeline, search attribute), then every
 * CSM already alerted hears it in the alert's thread. Returns how many were told.
 */
export async function dismiss(run: IncidentRun, d: Dismissal): Promise<number> {
  const s = run.s;
  const now = run.now();
  s.incident = { ...s.incident, status: 'dismissed' };
  s.phase = 'completed';
  s.suspected = false;
  s.autoCloseAt = undefined;
  s.dismissedAt = now;
  s.nextUpdateReminderAt = undefined;
  for (const c of s.csms) if (!c.escalatedAt) c.escalationDueAt = undefined;
  s.revision += 1;
  const line = d.automatic
    ? `Closed as a false alarm: ${d.reason ?? 'no new tickets or events'}. No action needed for your customers.`
    : `Dismissed as a false alarm by ${d.actor}${d.reason ? `: ${d.reason}` : ''}. No action needed for your customers.`;
  await run.recordIncident();
  run.upsertSearch();
  const targets = s.csms.filter((c) => c.alertedAt);
  const results = await run.notify('update', targets.map((c) => ({ csm: c, key: revisionKey(s, 'update', c.email), thread: c.thread })), { changes: [line] });
  const told = results.filter(delivered).length;
  await run.timeline([{
    kind: 'status', summary: `${line.replace(/ No action needed for your customers\.$/, '')} ${told} CSM${told === 1 ? '' : 's'} told.`,
    actor: d.actor, details: { dismissed: true, automatic: Boolean(d.automatic), reason: d.reason ?? null, csmsTold: told },
    occurredAt: now, dedupeKey: timelineKey(s, 'dismissed'),
  }]);
  return told;
}
