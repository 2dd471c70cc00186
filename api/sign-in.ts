/**
 * Signing people in to the dashboard with OpenID Connect ("Sign in with Slack" by default), their
 * sessions, and who is signed in:
 *   GET  /auth/options   what the sign-in page offers (public)
 *   GET  /auth/sign-in   → the identity provider (a short-lived cookie binds the attempt to this browser)
 *   GET  /auth/callback  ← the provider: code exchanged, ID token checked, session cookie set
 *   POST /auth/sign-out  ends the session (CSRF token required, like every cookie-authenticated change)
 *   GET  /api/me         the authenticated actor, and the session's CSRF token
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../db/audit';
import { signInPerson } from '../db/people';
import { createSession, createSignInAttempt, endSession, takeSignInAttempt } from '../db/sessions';
import { ACTOR_KINDS, ROLES, TOKEN_SCOPES } from '../domain/actor';
import type { RoutePlugin } from './app';
import { actorOf, requireAuth, SESSION_COOKIE } from './auth';
import { createOidcClient, SignInError } from './oidc';
import { problemSchema, sendProblem } from './problem';
import { mayManageIncidents, outreachScope } from './roles';
import { escapeHtml } from './html';

const ATTEMPT_COOKIE = 'forewarn_sign_in';
const ATTEMPT_TTL_MS = 10 * 60_000;
// Lax, not Strict: the provider's redirect back is a cross-site navigation, and a link to the
// dashboard from a Slack alert should open it signed in. Changes are covered by the CSRF token.
const cookieBase = { httpOnly: true, secure: true, sameSite: 'lax' } as const;

export const actorSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: [...ACTOR_KINDS] }, id: { type: 'string' }, name: { type: 'string' },
    email: { type: 'string' }, role: { type: 'string', enum: [...ROLES] },
    scopes: { type: 'array', items: { type: 'string', enum: [...TOKEN_SCOPES] } },
  },
} as const;

/** A refused sign-in: a short page for a browser, problem+json for anything else. */
function refuseSignIn(req: FastifyRequest, reply: FastifyReply, status: number, reason: string) {
  req.log.info({ status, reason }, 'sign-in refused');
  reply.clearCookie(ATTEMPT_COOKIE, { path: '/auth/callback' });
  if (!/text\/html/.test(req.headers.accept ?? '')) return sendProblem(reply, status, 'Sign-in failed', reason);
  return reply.code(status).type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'")
    .send(`<!doctype html><meta charset="utf-8"><title>Sign-in failed · Forewarn</title><h1>Sign-in failed</h1><p>${escapeHtml(reason)}</p><p><a href="/dashboard">Back to Forewarn</a></p>`);
}

export const signInRoutes: RoutePlugin = async (app, deps) => {
  const { auth } = deps.config;
  const client = auth.oidc && createOidcClient(auth.oidc);

  app.get('/auth/options', {
    schema: {
      tags: ['auth'], summary: 'How people can sign in (for the sign-in page)', security: [],
      response: {
        200: {
          type: 'object',
          properties: {
            oidc: { type: 'object', nullable: true, properties: { providerName: { type: 'string' }, signInUrl: { type: 'string' } } },
            tokenSignIn: { type: 'boolean', description: 'The dashboard offers sign-in with a pasted API token (local development).' },
          },
        },
      },
    },
  }, async () => ({
    oidc: auth.oidc ? { providerName: auth.oidc.providerName, signInUrl: '/auth/sign-in' } : null,
    tokenSignIn: auth.tokenSignIn,
  }));

  app.get('/auth/sign-in', { schema: { hide: true } }, async (req, reply) => {
    if (!client) return sendProblem(reply, 404, 'Not Found', 'Sign-in with OpenID Connect is not configured (OIDC_CLIENT_ID).');
    let start;
    try {
      start = await client.start();
    } catch (err) {
      req.log.warn({ err }, 'identity provider unreachable');
      return sendProblem(reply, 503, 'Service Unavailable', 'The identity provider cannot be reached right now; try again in a moment.');
    }
    const attemptId = await createSignInAttempt(deps.db, start, ATTEMPT_TTL_MS);
    reply.setCookie(ATTEMPT_COOKIE, attemptId, { ...cookieBase, path: '/auth/callback', maxAge: ATTEMPT_TTL_MS / 1000 });
    return reply.redirect(start.url, 302);
  });

  app.get<{ Querystring: Record<string, string> }>('/auth/callback', {
    schema: {
      hide: true,
      querystring: {
        type: 'object',
        properties: { code: { type: 'string', maxLength: 4096 }, state: { type: 'string', maxLength: 1024 }, error: { type: 'string', maxLength: 200 }, error_description: { type: 'string', maxLength: 2000 } },
      },
    },
  }, async (req, reply) => {
    if (!client) return sendProblem(reply, 404, 'Not Found', 'Sign-in with OpenID Connect is not configured (OIDC_CLIENT_ID).');
    const attemptId = req.cookies[ATTEMPT_COOKIE];
    const attempt = attemptId ? await takeSignInAttempt(deps.db, attemptId) : undefined;
    if (!attempt) return refuseSignIn(req, reply, 400, 'This sign-in was not started in this browser, or took longer than 10 minutes. Sign in again.');
    if (req.query.state !== attempt.state) return refuseSignIn(req, reply, 400, 'The sign-in answer does not match the sign-in this browser started (state). Sign in again.');
    if (req.query.error) return refuseSignIn(req, reply, 401, `The identity provider refused: ${req.query.error_description ?? req.query.error}`);
    let identity;
    try {
      identity = await client.finish(new URL(req.url, 'http://x').search, attempt);
    } catch (err) {
      if (err instanceof SignInError) return refuseSignIn(req, reply, 401, err.message);
      req.log.warn({ err }, 'identity provider unreachable');
      return refuseSignIn(req, reply, 503, 'The identity provider cannot be reached right now; try again in a moment.');
    }
    const actor = await signInPerson(deps.db, { ...identity, admin: auth.adminEmails.includes(identity.email.toLowerCase()) });
    if (!actor) {
      return refuseSignIn(req, reply, 403, `${identity.email} is not a CSM, a CS manager or an admin in Forewarn. `
        + 'Ask an admin to import your CSM record or to add you to ADMIN_EMAILS.');
    }
    const session = await createSession(deps.db, actor.id, auth.sessionTtlMinutes * 60_000);
    await recordAudit(deps.db, { actor, action: 'session.signed_in', detail: { issuer: auth.oidc!.issuer, role: actor.role } });
    reply.clearCookie(ATTEMPT_COOKIE, { path: '/auth/callback' });
    reply.setCookie(SESSION_COOKIE, session.id, { ...cookieBase, path: '/', maxAge: auth.sessionTtlMinutes * 60 });
    return reply.redirect('/dashboard', 302);
  });

  app.post('/auth/sign-out', {
    onRequest: requireAuth(),
    schema: {
      tags: ['auth'], summary: 'Sign out: ends the session and clears its cookie',
      description: 'With the session cookie, send the X-CSRF-Token header (from GET /api/me). With a bearer token there is no session: nothing to end.',
      response: { 204: { type: 'null', description: 'Signed out' }, 401: problemSchema, 403: problemSchema },
    },
  }, async (req, reply) => {
    const credentials = req.credentials!;
    if (credentials.via === 'session') {
      await endSession(deps.db, credentials.sessionId);
      await recordAudit(deps.db, { actor: credentials.actor, action: 'session.signed_out' });
    }
    reply.clearCookie(SESSION_COOKIE, { ...cookieBase, path: '/' });
    return reply.code(204).send();
  });

  app.get('/api/me', {
    onRequest: requireAuth(),
    schema: {
      tags: ['auth'], summary: 'Who the request is authenticated as',
      response: {
        200: {
          type: 'object',
          properties: {
            actor: actorSchema,
            via: { type: 'string', enum: ['bearer', 'session'] },
            csrfToken: { type: 'string', nullable: true, description: 'Send as X-CSRF-Token with every change made with the session cookie.' },
            outreachFor: {
              type: 'array', nullable: true, items: { type: 'string' },
              description: 'The CSMs (emails, lower case) whose customers\' outreach this actor may change; null: anyone\'s.',
            },
            mayManageIncidents: {
              type: 'boolean',
              description: 'Whether this actor may change incidents\' severity, status or public message, resolve, dismiss, merge and split them '
                + '(CS managers, admins, integration tokens with the write scope). Anyone signed in may declare one.',
            },
          },
        },
        401: problemSchema, 403: problemSchema,
      },
    },
  }, async (req) => {
    const credentials = req.credentials!;
    const actor = actorOf(req);
    return {
      actor, via: credentials.via, csrfToken: credentials.via === 'session' ? credentials.csrfToken : null,
      outreachFor: await outreachScope(deps.db, actor), mayManageIncidents: mayManageIncidents(actor),
    };
  });
};
