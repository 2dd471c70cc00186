import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeOidc, type FakeUser } from '../../fakes/oidc';
import { startHarness, type Harness } from '../support/harness';
import { seedBase, seedIncident, type Seed } from '../support/seed';
import { signIn, signInFlow } from '../support/sign-in';

const INCIDENT = '11111111-1111-4111-8111-111111111111';
const ANA: FakeUser = { sub: 'U-ANA', email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UA8RXUSPL' };

describe('sign-in with OpenID Connect', () => {
  let h: Harness;
  let s: Seed;
  let fake: FakeOidc;
  before(async () => {
    fake = await FakeOidc.start();
    h = await startHarness({ temporal: 'down', env: { ...fake.env(), ADMIN_EMAILS: 'Boss@corp.example' } });
    s = await seedBase(h.db);
    await seedIncident(h.db, { id: INCIDENT, externalId: 'SIGN-1', impacts: [[s.customer.techcorp, 'high', 1, 'pending'], [s.customer.globalinc, 'high', 2, 'pending']] });
  });
  after(async () => { await h?.close(); await fake?.close(); });

  const me = (headers: Record<string, string>) => h.app.inject({ method: 'GET', url: '/api/me', headers });

  test('the sign-in page learns what is offered; sign-in goes to the provider with PKCE, state and nonce', async () => {
    const options = await h.app.inject({ method: 'GET', url: '/auth/options' });
    assert.deepEqual(options.json(), { oidc: { providerName: 'Slack', signInUrl: '/auth/sign-in' }, tokenSignIn: false });
    const start = await h.app.inject({ method: 'GET', url: '/auth/sign-in' });
    assert.equal(start.statusCode, 302);
    const to = new URL(start.headers.location as string);
    assert.equal(to.origin + to.pathname, `${fake.issuer}/authorize`);
    assert.equal(to.searchParams.get('client_id'), fake.clientId);
    assert.equal(to.searchParams.get('redirect_uri'), 'http://forewarn.test/auth/callback');
    assert.equal(to.searchParams.get('code_challenge_method'), 'S256');
    for (const p of ['state', 'nonce', 'code_challenge']) assert.ok((to.searchParams.get(p) ?? '').length >= 32, p);
    const cookie = start.cookies.find((c) => c.name === 'forewarn_sign_in')!;
    assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite, cookie.path], [true, true, 'Lax', '/auth/callback']);
  });

  test('a good sign-in: a session cookie (httpOnly, Secure, SameSite), the person matched to their CSM record, on record', async () => {
    const r = await signInFlow(h.app, fake, ANA);
    assert.equal(r.status, 302, r.body);
    assert.equal(r.location, '/dashboard');
    const who = await me({ cookie: r.sessionCookie! });
    assert.equal(who.statusCode, 200);
    const body = who.json();
    assert.deepEqual({ ...body.actor, id: undefined }, { kind: 'person', id: undefined, name: 'Ana Ruiz', email: 'ana@corp.example', role: 'csm' });
    assert.equal(body.via, 'session');
    assert.ok(body.csrfToken.length >= 32);
    const person = await h.db.selectFrom('people').selectAll().where('email', '=', 'ana@corp.example').executeTakeFirstOrThrow();
    assert.equal(person.slack_user_id, 'UA8RXUSPL');
    assert.ok(person.last_sign_in_at);
    const audit = await h.db.selectFrom('audit_log').selectAll().where('action', '=', 'session.signed_in').execute();
    assert.deepEqual(audit.map((a) => [a.actor_kind, a.actor_id, a.actor_name]), [['person', person.id, 'Ana Ruiz <ana@corp.example>']]);
    // The token exchange carried the PKCE verifier.
    assert.ok((fake.tokenRequests.at(-1)?.code_verifier ?? '').length >= 43);
    // The session is stored hashed: the cookie's value is nowhere in Postgres.
    const value = r.sessionCookie!.split('=')[1]!;
    assert.equal((await h.db.selectFrom('sessions').select('id_hash').where('id_hash', '=', value).execute()).length, 0);
  });

  test('a manager is a manager, ADMIN_EMAILS makes an admin, and a stranger is refused with the reason', async () => {
    const lee = await signIn(h.app, fake, { sub: 'U-LEE', email: 'lee@corp.example', name: 'Lee Chen' });
    assert.equal((await me(lee.headers)).json().actor.role, 'manager');
    const boss = await signIn(h.app, fake, { sub: 'U-BOSS', email: 'boss@corp.example', name: 'Bo Ss' });
    assert.equal((await me(boss.headers)).json().actor.role, 'admin');
    const stranger = await signInFlow(h.app, fake, { sub: 'U-X', email: 'x@elsewhere.example', name: 'X' });
    assert.equal(stranger.status, 403);
    assert.match(JSON.parse(stranger.body).detail, /x@elsewhere.example is not a CSM, a CS manager or an admin/);
    assert.equal(stranger.sessionCookie, undefined);
  });

  for (const [fault, why] of [
    ['expired', /exp|expired/i], ['wrongAudience', /aud/i], ['tamperedSignature', /signature/i], ['unknownKey', /key|signature|jwks/i], ['wrongNonce', /nonce/i],
  ] as const) {
    test(`an ID token with ${fault} is refused (401) and signs nobody in`, async () => {
      fake.nextFault = fault;
      const r = await signInFlow(h.app, fake, ANA);
      assert.equal(r.status, 401, r.body);
      assert.match(JSON.parse(r.body).detail, why);
      assert.equal(r.sessionCookie, undefined);
    });
  }

  test('a wrong state, a callback without the browser\'s attempt cookie, and a replayed callback are refused', async () => {
    const bad = await signInFlow(h.app, fake, ANA, (cb) => cb.searchParams.set('state', 'forged-state'));
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).detail, /state/);
    const noCookie = await signInFlow(h.app, fake, ANA, () => {}, { keepAttemptCookie: false });
    assert.equal(noCookie.status, 400);
    assert.match(JSON.parse(noCookie.body).detail, /not started in this browser/);
    assert.equal(bad.sessionCookie ?? noCookie.sessionCookie, undefined);

    fake.user = ANA;
    const start = await h.app.inject({ method: 'GET', url: '/auth/sign-in' });
    const cb = new URL((await fetch(start.headers.location as string, { redirect: 'manual' })).headers.get('location')!);
    const follow = () => h.app.inject({ method: 'GET', url: cb.pathname + cb.search, headers: { cookie: `forewarn_sign_in=${start.cookies.find((c) => c.name === 'forewarn_sign_in')!.value}` } });
    assert.equal((await follow()).statusCode, 302);
    assert.equal((await follow()).statusCode, 400, 'each sign-in attempt is used once');
  });

  test('a browser sees the refusal as a page', async () => {
    fake.nextFault = 'expired';
    fake.user = ANA;
    const start = await h.app.inject({ method: 'GET', url: '/auth/sign-in' });
    const cb = new URL((await fetch(start.headers.location as string, { redirect: 'manual' })).headers.get('location')!);
    const res = await h.app.inject({
      method: 'GET', url: cb.pathname + cb.search,
      headers: { accept: 'text/html', cookie: `forewarn_sign_in=${start.cookies.find((c) => c.name === 'forewarn_sign_in')!.value}` },
    });
    assert.equal(res.statusCode, 401);
    assert.match(res.body, /<h1>Sign-in failed<\/h1>/);
  });

  test('changes with the session cookie need the CSRF token; bearer clients do not', async () => {
    const ana = await signIn(h.app, fake, ANA);
    const url = `/api/incidents/${INCIDENT}/customers/${s.customer.techcorp}/outreach`;
    const noCsrf = await h.app.inject({ method: 'POST', url, headers: { cookie: ana.cookie }, payload: { status: 'drafted' } });
    assert.equal(noCsrf.statusCode, 403);
    assert.match(noCsrf.json().detail, /CSRF token/);
    const wrong = await h.app.inject({ method: 'POST', url, headers: { cookie: ana.cookie, 'x-csrf-token': 'guess' }, payload: { status: 'drafted' } });
    assert.equal(wrong.statusCode, 403);
    const ok = await h.app.inject({ method: 'POST', url, headers: ana.headers, payload: { status: 'drafted' } });
    assert.equal(ok.statusCode, 200, ok.body);
    const [entry] = await h.db.selectFrom('audit_log').selectAll().where('action', '=', 'outreach.changed').execute();
    assert.equal(entry!.actor_name, 'Ana Ruiz <ana@corp.example>');
    // Reads need no CSRF token.
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/audit', headers: { cookie: ana.cookie } })).statusCode, 200);
  });

  test('sign-out ends the session and clears the cookie; the old cookie no longer works', async () => {
    const ana = await signIn(h.app, fake, ANA);
    const refused = await h.app.inject({ method: 'POST', url: '/auth/sign-out', headers: { cookie: ana.cookie } });
    assert.equal(refused.statusCode, 403, 'sign-out is a change: CSRF token required');
    const out = await h.app.inject({ method: 'POST', url: '/auth/sign-out', headers: ana.headers });
    assert.equal(out.statusCode, 204);
    const cleared = out.cookies.find((c) => c.name === 'forewarn_session')!;
    assert.equal(cleared.value, '');
    assert.equal((await me({ cookie: ana.cookie })).statusCode, 401);
    const audit = await h.db.selectFrom('audit_log').select('actor_name').where('action', '=', 'session.signed_out').execute();
    assert.deepEqual(audit.map((a) => a.actor_name), ['Ana Ruiz <ana@corp.example>']);
  });

  test('an expired session is refused (and removed)', async () => {
    const ana = await signIn(h.app, fake, ANA);
    assert.equal((await me({ cookie: ana.cookie })).statusCode, 200);
    const before = await h.db.selectFrom('sessions').select('id_hash').execute();
    await h.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).execute();
    const res = await me({ cookie: ana.cookie });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal((await h.db.selectFrom('sessions').select('id_hash').execute()).length, before.length - 1);
  });

  test('a person whose CSM record is gone loses their session\'s access', async () => {
    const cy = { sub: 'U-CY', email: 'cy@corp.example', name: 'Cy Park' };
    await h.db.insertInto('csms').values({ email: cy.email, name: cy.name }).execute();
    const session = await signIn(h.app, fake, cy);
    await h.db.deleteFrom('csms').where('email', '=', cy.email).execute();
    assert.equal((await me(session.headers)).statusCode, 401);
  });
});
