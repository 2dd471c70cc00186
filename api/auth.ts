/**
 * Who is asking. `resolveActor` turns a request's credentials into an Actor; `requireAuth` is the
 * hook every non-webhook route runs (401 without credentials, 403 without the scope). The actor is
 * then on `request.actor` for the route, its role checks and the audit log.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { actorOfApiToken } from '../db/api-tokens';
import { actorOfPerson } from '../db/people';
import { findSession } from '../db/sessions';
import type { Database } from '../db/types';
import type { Actor, TokenScope } from '../domain/actor';
import { TOKEN_SCOPES } from '../domain/actor';
import { HttpProblem, sendProblem } from './problem';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated actor, set by `requireAuth` (undefined on webhook and public routes). */
    actor?: Actor;
    credentials?: Credentials;
  }
  interface FastifyInstance {
    /** Resolves a request's credentials (undefined: none or invalid). Decorated by `registerAuth`. */
    resolveCredentials(req: FastifyRequest): Promise<Credentials | undefined>;
  }
}

/** Constant-time comparison of two secrets of any length (hashing first equalizes lengths). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

export function tokenMatches(candidate: string | undefined, tokens: string[]): boolean {
  if (!candidate) return false;
  let ok = false;
  for (const t of tokens) ok = safeEqual(candidate, t) || ok;
  return ok;
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  const m = header?.match(/^Bearer\s+(.+)$/i);
  return m?.[1]?.trim();
}

/** The actor of an `API_TOKENS` entry: an admin with every scope, named by a hash prefix (never the token). */
export function bootstrapActor(token: string): Actor {
  const id = `bootstrap:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
  return { kind: 'token', id, name: 'API_TOKENS bootstrap token', role: 'admin', scopes: [...TOKEN_SCOPES] };
}

/** The dashboard session cookie (an opaque id; Postgres holds its hash). */
export const SESSION_COOKIE = 'forewarn_session';
export const CSRF_HEADER = 'x-csrf-token';

/** How a request proved who it is. A session also carries the CSRF token its changes must echo. */
export type Credentials =
  | { via: 'bearer'; actor: Actor }
  | { via: 'session'; actor: Actor; sessionId: string; csrfToken: string };

export interface AuthDeps { tokens: string[]; db: Kysely<Database> }

/**
 * Resolves credentials: a bearer token (API_TOKENS, then stored API tokens) when the request sends
 * one, else the session cookie. Undefined: none, or not valid (unknown, revoked, expired, or a
 * person who no longer has a role).
 */
export async function resolveCredentials(req: FastifyRequest, deps: AuthDeps): Promise<Credentials | undefined> {
  const token = bearerToken(req);
  if (token) {
    if (tokenMatches(token, deps.tokens)) return { via: 'bearer', actor: bootstrapActor(token) };
    const actor = await actorOfApiToken(deps.db, token);
    return actor && { via: 'bearer', actor };
  }
  const sessionId = req.cookies?.[SESSION_COOKIE];
  if (!sessionId) return undefined;
  const session = await findSession(deps.db, sessionId);
  const actor = session && await actorOfPerson(deps.db, session.personId);
  return actor && session && { via: 'session', actor, sessionId, csrfToken: session.csrfToken };
}

/** Decorates the app with the credential resolver; called once by buildApp before the routes. */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  app.decorateRequest('actor', undefined);
  app.decorateRequest('credentials', undefined);
  app.decorate('resolveCredentials', (req: FastifyRequest) => resolveCredentials(req, deps));
}

/** Reads need `read`, changes `write` (a GET/HEAD is a read). */
function scopeFor(req: FastifyRequest): TokenScope {
  return req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write';
}

const UNAUTHORIZED = 'Sign in, or send a valid API token as "Authorization: Bearer <token>".';

/**
 * Hook for every authenticated route: the request must carry valid credentials (401) whose scope
 * covers it (403). Scope defaults to `read` for GET/HEAD and `write` otherwise; `webhooks` takes a
 * bearer token only. A change made with the session cookie must echo the session's CSRF token in
 * the X-CSRF-Token header (403 otherwise): another site can make the browser send the cookie, not the header.
 */
export function requireAuth(options: { scope?: TokenScope } = {}) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const credentials = req.credentials ?? await req.server.resolveCredentials(req);
    const scope = options.scope ?? scopeFor(req);
    if (!credentials || (scope === 'webhooks' && credentials.via !== 'bearer')) {
      req.log.info('missing or invalid credentials');
      return sendProblem(reply.header('www-authenticate', 'Bearer'), 401, 'Unauthorized', UNAUTHORIZED);
    }
    req.credentials = credentials;
    req.actor = credentials.actor;
    const { actor } = credentials;
    if (actor.scopes && !actor.scopes.includes(scope)) {
      return sendProblem(reply, 403, 'Forbidden', `This token's scopes (${actor.scopes.join(', ') || 'none'}) do not include "${scope}", which this request needs.`);
    }
    if (credentials.via === 'session' && !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !safeEqual(sent, credentials.csrfToken)) {
        req.log.warn({ actor: actor.id }, 'CSRF token missing or wrong');
        return sendProblem(reply, 403, 'Forbidden', `A change made with the sign-in cookie must send the session's CSRF token in the ${CSRF_HEADER} header (the dashboard does).`);
      }
    }
  };
}

/** Same as `requireAuth()`; kept for routes written before people and scoped tokens. The tokens are read from the app. */
export function requireToken(_tokens?: string[]) {
  return requireAuth();
}

/** The request's actor inside a handler behind `requireAuth` (a route without it is a programming error). */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new HttpProblem(401, 'Unauthorized', UNAUTHORIZED);
  return req.actor;
}
