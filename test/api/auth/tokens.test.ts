import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { FakeOidc } from '../../fakes/oidc';
import { auth, startHarness, type Harness } from '../support/harness';
import { seedBase, seedIncident, type Seed } from '../support/seed';
import { signIn } from '../support/sign-in';

const INCIDENT = '11111111-1111-4111-8111-111111111111';

describe('API tokens', () => {
  let h: Harness;
  let s: Seed;
  let fake: FakeOidc;
  before(async () => {
    fake = await FakeOidc.start();
    h = await startHarness({ temporal: 'down', env: fake.env() });
    s = await seedBase(h.db);
    await seedIncident(h.db, { id: INCIDENT, externalId: 'TOK-1', impacts: [[s.customer.techcorp, 'high', 1, 'pending'], [s.customer.globalinc, 'high', 2, 'pending']] });
  });
  after(async () => { await h?.close(); await fake?.close(); });

  const create = async (payload: object, headers: Record<string, string> = auth) => {
    const res = await h.app.inject({ method: 'POST', url: '/api/tokens', headers, payload });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { id: string; token: string; prefix: string; scopes: string[]; lastUsedAt: string | null };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const call = (method: 'GET' | 'POST', url: string, token: string, payload?: object) => h.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  test('created by an admin, shown once, stored hashed, listed without the secret, on record', async () => {
    const t = await create({ name: 'Reporting', scopes: ['read'] });
    assert.match(t.token, /^fwt_[A-Za-z0-9_-]{43}$/);
    assert.ok(t.token.startsWith(t.prefix));
    const row = await h.db.selectFrom('api_tokens').selectAll().where('id', '=', t.id).executeTakeFirstOrThrow();
    assert.equal(row.token_hash, createHash('sha256').update(t.token).digest('hex'));
    const list = await h.app.inject({ method: 'GET', url: '/api/tokens', headers: auth });
    assert.ok(!list.body.includes(t.token), 'never shown again');
    assert.deepEqual(list.json().items.map((i: { name: string; scopes: string[] }) => [i.name, i.scopes]), [['Reporting', ['read']]]);
    const [entry] = await h.db.selectFrom('audit_log').selectAll().where('action', '=', 'token.created').execute();
    assert.deepEqual([entry!.target, entry!.detail], [t.id, { name: 'Reporting', scopes: ['read'] }]);
  });

  test('scopes: read reads, write changes, import imports, webhooks posts incidents; anything else is 403 with the reason', async () => {
    const read = (await create({ name: 'read', scopes: ['read'] })).token;
    const write = (await create({ name: 'write', scopes: ['read', 'write'] })).token;
    const importer = (await create({ name: 'crm sync', scopes: ['import'] })).token;
    const hooks = (await create({ name: 'monitoring', scopes: ['webhooks'] })).token;
    const outreachUrl = `/api/incidents/${INCIDENT}/customers/${s.customer.techcorp}/outreach`;
    const doc = { csms: [{ email: 'dee@corp.example', name: 'Dee' }] };
    const incident = { id: 'X-1', title: 'Down', status: 'investigating', severity: 'P2', affectedComponents: ['no-such-component'], startedAt: new Date().toISOString() };

    assert.equal((await call('GET', '/api/incidents', read)).statusCode, 200);
    const refused = await call('POST', outreachUrl, read, { status: 'drafted' });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().detail, 'This token\'s scopes (read) do not include "write", which this request needs.');
    assert.equal((await call('POST', '/api/import', read, doc)).statusCode, 403);
    assert.equal((await call('POST', '/api/webhooks/incidents', read, incident)).statusCode, 403);

    assert.equal((await call('POST', outreachUrl, write, { status: 'drafted' })).statusCode, 200, 'an integration token is not limited to a team');
    assert.equal((await call('POST', '/api/import', write, doc)).statusCode, 403);

    assert.equal((await call('POST', '/api/import', importer, doc)).statusCode, 200);
    assert.equal((await call('GET', '/api/incidents', importer)).statusCode, 403);

    // 422 (the component is unknown) means the token was accepted for the webhook.
    assert.equal((await call('POST', '/api/webhooks/incidents', hooks, incident)).statusCode, 422);
    assert.equal((await call('GET', '/api/incidents', hooks)).statusCode, 403);
    assert.equal((await call('POST', '/api/webhooks/incidents', 'fwt_not-a-real-token', incident)).statusCode, 401);
  });

  test("a person's token acts as that person: their role applies within its scopes", async () => {
    await signIn(h.app, fake, { sub: 'U-ANA', email: 'ana@corp.example', name: 'Ana Ruiz' });
    const ana = await h.db.selectFrom('people').select('id').where('email', '=', 'ana@corp.example').executeTakeFirstOrThrow();
    const t = (await create({ name: "Ana's script", scopes: ['read', 'write'], personId: ana.id })).token;
    const own = await call('POST', `/api/incidents/${INCIDENT}/customers/${s.customer.techcorp}/outreach`, t, { status: 'sent' });
    assert.equal(own.statusCode, 200, own.body);
    const other = await call('POST', `/api/incidents/${INCIDENT}/customers/${s.customer.globalinc}/outreach`, t, { status: 'drafted' });
    assert.equal(other.statusCode, 403);
    assert.match(other.json().detail, /only for their own customers/);
    const me = (await call('GET', '/api/me', t)).json();
    assert.deepEqual([me.actor.kind, me.actor.name, me.actor.email, me.actor.role, me.via], ['token', "Ana's script (Ana Ruiz)", 'ana@corp.example', 'csm', 'bearer']);
    const unknown = await h.app.inject({ method: 'POST', url: '/api/tokens', headers: auth, payload: { name: 'x', scopes: ['read'], personId: '99999999-9999-4999-8999-999999999999' } });
    assert.equal(unknown.statusCode, 422);
  });

  test('last use is recorded; a revoked token stops working at once; revoking is on record', async () => {
    const t = await create({ name: 'temporary', scopes: ['read'] });
    assert.equal(t.lastUsedAt, null);
    assert.equal((await call('GET', '/api/incidents', t.token)).statusCode, 200);
    const used = await h.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', t.id).executeTakeFirstOrThrow();
    assert.ok(used.last_used_at && Date.now() - used.last_used_at.getTime() < 60_000);

    const revoked = await h.app.inject({ method: 'DELETE', url: `/api/tokens/${t.id}`, headers: auth });
    assert.equal(revoked.statusCode, 200);
    assert.ok(revoked.json().revokedAt);
    const after = await call('GET', '/api/incidents', t.token);
    assert.equal(after.statusCode, 401);
    assert.equal(after.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal((await h.app.inject({ method: 'DELETE', url: '/api/tokens/99999999-9999-4999-8999-999999999999', headers: auth })).statusCode, 404);
    const [entry] = await h.db.selectFrom('audit_log').selectAll().where('action', '=', 'token.revoked').execute();
    assert.equal(entry!.target, t.id);
  });

  test('bad token requests are 400s', async () => {
    for (const payload of [{ name: '', scopes: ['read'] }, { name: 'x', scopes: [] }, { name: 'x', scopes: ['root'] }, { name: 'x', scopes: ['read', 'read'] }, { scopes: ['read'] }]) {
      assert.equal((await h.app.inject({ method: 'POST', url: '/api/tokens', headers: auth, payload })).statusCode, 400, JSON.stringify(payload));
    }
  });
});
