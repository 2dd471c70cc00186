/**
 * Who a request (or a Slack click, or Forewarn itself) acts as. Every change is recorded in the
 * audit log under its actor, and roles and scopes decide what the actor may do.
 */
export const ACTOR_KINDS = ['person', 'token', 'slack', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** admin: everything; manager: their team's customers; csm: their own customers. */
export const ROLES = ['admin', 'manager', 'csm'] as const;
export type Role = (typeof ROLES)[number];

/** What an API token may be used for. */
export const TOKEN_SCOPES = ['webhooks', 'read', 'write', 'import'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface Actor {
  kind: ActorKind;
  /** person: the person's id; token: the token's id; slack: the Slack user id; system: a fixed name. */
  id: string;
  name: string;
  email?: string;
  /** Absent for integration tokens: they act within their scopes only. */
  role?: Role;
  /** Tokens: what they may be used for. People and Slack users are limited by their role alone. */
  scopes?: TokenScope[];
}

/** An API token as listed (never the token itself). */
export interface ApiTokenView {
  id: string; name: string; prefix: string; scopes: TokenScope[];
  person: { id: string; name: string; email: string } | null;
  createdBy: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null;
}

/** Forewarn acting on its own (timers, detectors, automatic closing). */
export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'forewarn', name: 'Forewarn' };

/**
 * How an actor is written on an incident's timeline and in the first workflow type's updates. A
 * token may say whom it acts for (an integration's user): that name comes first, the token after.
 */
export function actorLabel(actor: Actor, onBehalfOf?: string): string {
  if (actor.kind === 'token' && onBehalfOf) return `${onBehalfOf} (via ${actor.name})`;
  if (actor.kind === 'slack') return `slack:${actor.name}`;
  if (actor.kind === 'person') return actor.email ?? actor.name;
  return actor.name;
}
