/**
 * Idempotency keys for everything the incident workflow sends, and dedupe keys for its timeline.
 *
 * A key is `<workflow id>:<kind>:<recipient>:<version>`. The same message always gets the same
 * key, whether an activity is retried, a worker replays the workflow or it continued as new, so
 * the outbox sends it once. The version says what makes a *new* message of that kind:
 * - once per incident (alert, escalation, war room): `d<detected ms>`, plus `.o<reopened ms>` in a
 *   run that reopened the incident after its workflow had finished (its messages are new ones);
 * - per change (update, resolution, post-mortem...): `d<detected ms>.r<revision>`;
 * - per deadline (follow-up, update reminder): `d<detected ms>.<due time>`.
 */
import type { IncidentState } from '../domain/incident/model';

type Keyed = Pick<IncidentState, 'detectedAt' | 'revision' | 'reopenedAt'> & { incident: { workflowId: string } };

/** The run chain: its detection time, and when a finished incident was reopened (a run restored from Postgres). */
function chain(state: Keyed): string {
  return `d${Date.parse(state.detectedAt)}${state.reopenedAt ? `.o${Date.parse(state.reopenedAt)}` : ''}`;
}

function who(email: string): string {
  return email.toLowerCase();
}

export function onceKey(state: Keyed, kind: string, recipient: string): string {
  return `${state.incident.workflowId}:${kind}:${who(recipient)}:${chain(state)}`;
}

export function revisionKey(state: Keyed, kind: string, recipient: string): string {
  return `${state.incident.workflowId}:${kind}:${who(recipient)}:${chain(state)}.r${state.revision}`;
}

export function dueKey(state: Keyed, kind: string, recipient: string, dueAt: string): string {
  return `${state.incident.workflowId}:${kind}:${who(recipient)}:${chain(state)}.${dueAt}`;
}

/** Timeline rows: unique across incidents (the column is globally unique). */
export function timelineKey(state: Keyed, ...parts: (string | number)[]): string {
  return [state.incident.workflowId, chain(state), ...parts].join(':');
}
