import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { recordAudit } from '../../../db/audit';
import { SYSTEM_ACTOR } from '../../../domain/actor';
import { auth, startHarness, type Harness } from '../support/harness';
import { seedBase, seedIncident, type Seed } from '../support/seed';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

interface Entry { id: number; at: string; actor: { kind: string; id: string; name: string }; action: string; incidentId: string | null; target: string | null; detail: Record<string, unknown> }

describe('audit log', () => {
  let h: Harness;
  let s: Seed;
  before(async () => {
    h = await startHarness({ temporal: 'down' });
    s = await seedBase(h.db);
    await seedIncident(h.db, { id: A, externalId: 'AUD-1', impacts: [[s.customer.techcorp, 'high', 1, 'pending'], [s.customer.dataflow, 'medium', 2, 'pending']] });
    await seedIncident(h.db, { id: B, externalId: 'AUD-2', impacts: [[s.customer.globalinc, 'high', 1, 'pending']] });
  });
  after(async () => { await h?.close(); });

  const audit = async (query = '', headers: Record<string, string> = auth) => {
    const res = await h.app.inject({ method: 'GET', url: `/api/audit${query}`, headers });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { items: Entry[]; nextBefore: number | null };
  };
  const outreach = (incident: string, customer: string, payload: object) => h.app.inject({
    method: 'POST', url: `/api/incidents/${incident}/customers/${customer}/outreach`, headers: auth, payload,
  });

  test('an outreach change is recorded with the authenticated actor, the incident, the customer and the move', async () => {
    const res = await outreach(A, s.customer.techcorp, { status: 'sent', note: 'Called Sam', actor: 'ana@corp.example' });
    assert.equal(res.statusCode, 200, res.body);
    const [entry] = (await audit('?action=outreach.changed')).items;
    assert.equal(entry!.actor.kind, 'token');
    assert.equal(entry!.actor.name, 'API_TOKENS bootstrap token');
    assert.match(entry!.actor.id, /^bootstrap:[0-9a-f]{12}$/);
    assert.equal(entry!.incidentId, A);
    assert.equal(entry!.target, s.customer.techcorp);
    assert.deepEqual(entry!.detail, { previous: 'pending', status: 'sent', note: 'Called Sam', onBehalfOf: 'ana@corp.example' });
    assert.ok(Date.now() - Date.parse(entry!.at) < 60_000);

    // Setting the same status again changes nothing and records nothing; a refused move neither.
    await outreach(A, s.customer.techcorp, { status: 'sent' });
    assert.equal((await outreach(A, s.customer.dataflow, { status: 'responded' })).statusCode, 409);
    assert.equal((await audit('?action=outreach.changed')).items.length, 1);
  });

  test('an import is recorded with its counts; a dry run is not', async () => {
    const doc = { csms: [{ email: 'cy@corp.example', name: 'Cy Park' }] };
    assert.equal((await h.app.inject({ method: 'POST', url: '/api/import?dryRun=true', headers: auth, payload: doc })).statusCode, 200);
    assert.equal((await audit('?action=import.applied')).items.length, 0);
    assert.equal((await h.app.inject({ method: 'POST', url: '/api/import', headers: auth, payload: doc })).statusCode, 200);
    const [entry] = (await audit('?action=import.applied')).items;
    assert.equal(entry!.detail.format, 'json');
    assert.deepEqual((entry!.detail.counts as Record<string, unknown>).csms, { inserted: 1, updated: 0, unchanged: 0 });
  });

  test('newest first, filtered by actor, action and incident, in pages', async () => {
    await outreach(B, s.customer.globalinc, { status: 'drafted' });
    await recordAudit(h.db, { actor: { ...SYSTEM_ACTOR }, action: 'incident.auto_closed', incidentId: B });
    await recordAudit(h.db, { actor: { kind: 'person', id: 'p-1', name: 'Lee Chen', email: 'lee@corp.example', role: 'manager' }, action: 'outreach.changed', incidentId: A });

    const all = await audit();
    assert.deepEqual(all.items.map((e) => e.action), ['outreach.changed', 'incident.auto_closed', 'outreach.changed', 'import.applied', 'outreach.changed']);
    assert.ok(all.items.every((e, i) => i === 0 || e.id < all.items[i - 1]!.id));
    assert.equal(all.nextBefore, null);

    assert.deepEqual((await audit(`?incidentId=${B}`)).items.map((e) => e.action), ['incident.auto_closed', 'outreach.changed']);
    assert.deepEqual((await audit('?actorKind=system')).items.map((e) => e.actor), [{ kind: 'system', id: 'forewarn', name: 'Forewarn' }]);
    for (const who of ['p-1', 'lee@corp.example', 'Lee Chen <lee@corp.example>']) {
      assert.deepEqual((await audit(`?actor=${encodeURIComponent(who)}`)).items.map((e) => e.actor.name), ['Lee Chen <lee@corp.example>'], who);
    }
    assert.equal((await audit(`?action=outreach.changed&incidentId=${A}`)).items.length, 2);

    const first = await audit('?limit=2');
    assert.equal(first.items.length, 2);
    assert.equal(first.nextBefore, first.items[1]!.id);
    const second = await audit(`?limit=2&before=${first.nextBefore}`);
    const third = await audit(`?limit=2&before=${second.nextBefore}`);
    assert.deepEqual([...first.items, ...second.items, ...third.items].map((e) => e.id), all.items.map((e) => e.id));
    assert.equal(third.nextBefore, null);
  });

  test('without credentials 401; bad filters 400 as problem+json', async () => {
    const anon = await h.app.inject({ method: 'GET', url: '/api/audit' });
    assert.equal(anon.statusCode, 401);
    assert.match(anon.headers['content-type'] as string, /problem\+json/);
    for (const q of ['?incidentId=nope', '?limit=0', '?actorKind=robot', '?before=-1', '?color=red']) {
      const res = await h.app.inject({ method: 'GET', url: `/api/audit${q}`, headers: auth });
      assert.equal(res.statusCode, 400, q);
    }
  });
});
