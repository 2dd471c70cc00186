/**
 * Who is asking. `resolveActor` turns a request's credentials into an Actor; `requireAuth` is the
 * hook every non-webhook route runs (401 without credentials, 403 without the scope). The actor is
 * then on `request.actor` for the route, its role checks and the audit log.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, TokenScope } from '../domain/actor';
import { TOKEN_SCOPES } from '../domain/actor';
import { HttpProblem, sendProblem } from './problem';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated actor, set by `requireAuth` (undefined on webhook and public routes). */
    actor?: Actor;
  }
  interface FastifyInstance {
    /** Resolves a request's credentials to an actor (undefined: none or invalid). Decorated by `registerAuth`. */
    resolveActor(req: FastifyRequest): Promise<Actor | undefined>;
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

export interface AuthDeps { tokens: string[] }

/** Decorates the app with the credential resolver; called once by buildApp before the routes. */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  app.decorateRequest('actor', undefined);
  app.decorate('resolveActor', async (req: FastifyRequest): Promise<Actor | undefined> => {
    const token = bearerToken(req);
    if (token && tokenMatches(token, deps.tokens)) return bootstrapActor(token);
    return undefined;
  });
}

/** Reads need `read`, changes `write` (a GET/HEAD is a read). */
function scopeFor(req: FastifyRequest): TokenScope {
  return req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write';
}

/**
 * Hook for every non-webhook route: the request must carry valid credentials (401) whose scope
 * covers it (403). Scope defaults to `read` for GET/HEAD and `write` otherwise.
 */
export function requireAuth(options: { scope?: TokenScope } = {}) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const actor = req.actor ?? await req.server.resolveActor(req);
    if (!actor) {
      req.log.info('missing or invalid credentials');
      return sendProblem(reply.header('www-authenticate', 'Bearer'), 401, 'Unauthorized',
        'Sign in, or send a valid API token as "Authorization: Bearer <token>".');
    }
    req.actor = actor;
    const scope = options.scope ?? scopeFor(req);
    if (actor.scopes && !actor.scopes.includes(scope)) {
      return sendProblem(reply, 403, 'Forbidden', `This token's scopes (${actor.scopes.join(', ') || 'none'}) do not include "${scope}", which this request needs.`);
    }
  };
}

/** Same as `requireAuth()`; kept for routes written before people and scoped tokens. The tokens are read from the app. */
export function requireToken(_tokens?: string[]) {
  return requireAuth();
}

/** The request's actor inside a handler behind `requireAuth` (a route without it is a programming error). */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new HttpProblem(401, 'Unauthorized', 'Sign in, or send a valid API token as "Authorization: Bearer <token>".');
  return req.actor;
}
