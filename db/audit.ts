/** The audit log: every change with its actor (migrations/20261206000000_audit_log.ts). */
import { sql, type Kysely } from 'kysely';
import type { Actor, ActorKind } from '../domain/actor';
import type { Database } from './types';

export interface AuditInput {
  actor: Actor;
  /** Dotted, past tense: "outreach.changed", "incident.acknowledged", "token.created", "session.signed_in". */
  action: string;
  incidentId?: string | null;
  /** What was acted on, when not the incident itself: a customer id, a token id, a CSM email. */
  target?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: { kind: ActorKind; id: string; name: string };
  action: string;
  incidentId: string | null;
  target: string | null;
  detail: Record<string, unknown>;
}

export interface AuditFilter {
  /** An actor id, or an actor's name or email as recorded. */
  actor?: string;
  actorKind?: ActorKind;
  action?: string;
  incidentId?: string;
  /** The id of the last entry of the previous page. */
  before?: number;
  limit: number;
}

/** Records one change; `db` may be a transaction, so the record commits with the change. */
export async function recordAudit(db: Kysely<Database>, input: AuditInput): Promise<void> {
  const { actor } = input;
  await db.insertInto('audit_log').values({
    actor_kind: actor.kind,
    actor_id: actor.id,
    actor_name: actor.email && actor.email !== actor.name ? `${actor.name} <${actor.email}>` : actor.name,
    actor_email: actor.email ?? null,
    action: input.action,
    incident_id: input.incidentId ?? null,
    target: input.target ?? null,
    detail: JSON.stringify(input.detail ?? {}),
  }).execute();
}

/** Newest first, one page. */
export async function listAudit(db: Kysely<Database>, filter: AuditFilter): Promise<AuditEntry[]> {
  let q = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.actor !== undefined) {
    const actor = filter.actor;
    q = q.where((eb) => eb.or([
      eb('actor_id', '=', actor),
      eb('actor_name', '=', actor),
      eb(sql<string>`lower(actor_email)`, '=', actor.toLowerCase()),
    ]));
  }
  if (filter.actorKind !== undefined) q = q.where('actor_kind', '=', filter.actorKind);
  if (filter.action !== undefined) q = q.where('action', '=', filter.action);
  if (filter.incidentId !== undefined) q = q.where('incident_id', '=', filter.incidentId);
  if (filter.before !== undefined) q = q.where('id', '<', String(filter.before));
  const rows = await q.execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at.toISOString(),
    actor: { kind: r.actor_kind as ActorKind, id: r.actor_id, name: r.actor_name },
    action: r.action,
    incidentId: r.incident_id,
    target: r.target,
    detail: (r.detail ?? {}) as Record<string, unknown>,
  }));
}
