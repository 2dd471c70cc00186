/** Signing in through the fake OIDC provider with `app.inject`, the way a browser follows the redirects. */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { FakeOidc, FakeUser } from '../../fakes/oidc';

export interface CallbackResult { status: number; body: string; sessionCookie?: string; location?: string }

/** Starts a sign-in and lets the provider answer; `tweak` may change the callback URL before it is followed. */
export async function signInFlow(app: FastifyInstance, fake: FakeOidc, user: FakeUser, tweak: (callback: URL) => void = () => {}, opts: { keepAttemptCookie?: boolean } = {}): Promise<CallbackResult> {
  fake.user = user;
  const start = await app.inject({ method: 'GET', url: '/auth/sign-in' });
  assert.equal(start.statusCode, 302, start.body);
  const attempt = start.cookies.find((c) => c.name === 'forewarn_sign_in');
  assert.ok(attempt, 'the sign-in attempt cookie is set');
  const atProvider = await fetch(start.headers.location as string, { redirect: 'manual' });
  assert.equal(atProvider.status, 302);
  const callback = new URL(atProvider.headers.get('location')!);
  tweak(callback);
  const res = await app.inject({
    method: 'GET', url: `${callback.pathname}${callback.search}`,
    headers: opts.keepAttemptCookie === false ? {} : { cookie: `forewarn_sign_in=${attempt.value}` },
  });
  const session = res.cookies.find((c) => c.name === 'forewarn_session' && c.value);
  return { status: res.statusCode, body: res.body, location: res.headers.location as string | undefined, ...(session ? { sessionCookie: `forewarn_session=${session.value}` } : {}) };
}

/** A signed-in session: its cookie header and CSRF token. */
export async function signIn(app: FastifyInstance, fake: FakeOidc, user: FakeUser): Promise<{ cookie: string; csrf: string; headers: Record<string, string> }> {
  const r = await signInFlow(app, fake, user);
  assert.equal(r.status, 302, r.body);
  assert.ok(r.sessionCookie);
  const me = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: r.sessionCookie } });
  assert.equal(me.statusCode, 200, me.body);
  const csrf = me.json().csrfToken as string;
  return { cookie: r.sessionCookie, csrf, headers: { cookie: r.sessionCookie, 'x-csrf-token': csrf } };
}
