import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canApproveTemplates } from '../../../db/people';
import { customerActionValue } from '../../../domain/messages/actions';
import { performAction } from '../../../api/slack/button-actions';
import { runSlashCommand } from '../../../api/slack/commands';
import { incidentSettings } from '../../../config';
import { FakeOidc } from '../../fakes/oidc';
import { auth, startHarness, type Harness } from '../support/harness';
import { seedBase, seedIncident, type Seed } from '../support/seed';
import { signIn } from '../support/sign-in';

const INCIDENT = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
/** Steering it is refused by the incident itself (409) once the role check passed: no workflow engine needed. */
const DISMISSED = '33333333-3333-4333-8333-333333333333';

/** Ana and Ben are CSMs; Lee manages Ana (seedBase); Boss is an admin by ADMIN_EMAILS. */
describe('roles: who may change what', () => {
  let h: Harness;
  let s: Seed;
  let fake: FakeOidc;
  let ana: Record<string, string>;
  let lee: Record<string, string>;
  let boss: Record<string, string>;
  before(async () => {
    fake = await FakeOidc.start();
    h = await startHarness({ temporal: 'down', env: { ...fake.env(), ADMIN_EMAILS: 'boss@corp.example' } });
    s = await seedBase(h.db);
    await seedIncident(h.db, { id: INCIDENT, externalId: 'ROLE-1', impacts: [
      [s.customer.techcorp, 'high', 1, 'pending'], [s.customer.globalinc, 'high', 2, 'pending'], [s.customer.dataflow, 'medium', 3, 'pending'], [s.customer.smallbiz, 'low', 4, 'pending'],
    ] });
    await seedIncident(h.db, { id: OTHER, externalId: 'ROLE-2', title: 'Other incident' });
    await seedIncident(h.db, { id: DISMISSED, source: 'support', externalId: 'ROLE-3', title: 'False alarm', status: 'dismissed' });
    ana = (await signIn(h.app, fake, { sub: 'U-ANA', email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UA8RXUSPL' })).headers;
    lee = (await signIn(h.app, fake, { sub: 'U-LEE', email: 'lee@corp.example', name: 'Lee Chen', slackUserId: 'ULEE00001' })).headers;
    boss = (await signIn(h.app, fake, { sub: 'U-BOSS', email: 'boss@corp.example', name: 'Bo Boss' })).headers;
  });
  after(async () => { await h?.close(); await fake?.close(); });

  const outreach = (headers: Record<string, string>, customer: string, status = 'drafted') => h.app.inject({
    method: 'POST', url: `/api/incidents/${INCIDENT}/customers/${customer}/outreach`, headers, payload: { status },
  });

  test('a CSM changes outreach for their own customers only; the refusal says why', async () => {
    assert.equal((await outreach(ana, s.customer.techcorp)).statusCode, 200);
    const refused = await outreach(ana, s.customer.globalinc);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(refused.json().detail, "Ana Ruiz (CSM) may change outreach only for their own customers; GlobalInc is ben@corp.example's customer.");
  });

  test("a CS manager changes their team's outreach, not another team's", async () => {
    assert.equal((await outreach(lee, s.customer.dataflow)).statusCode, 200, "Ana's customer: Lee's team");
    const refused = await outreach(lee, s.customer.globalinc);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.json().detail, /Lee Chen \(CS manager\) may change outreach only for their team's customers; GlobalInc is ben@corp.example's customer/);
  });

  test('an admin changes anything, and only admins import, manage tokens and people', async () => {
    assert.equal((await outreach(boss, s.customer.globalinc)).statusCode, 200);
    const doc = { csms: [{ email: 'dee@corp.example', name: 'Dee' }] };
    for (const who of [ana, lee]) {
      const res = await h.app.inject({ method: 'POST', url: '/api/import', headers: who, payload: doc });
      assert.equal(res.statusCode, 403);
      assert.match(res.json().detail, /Only admins may import data/);
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/tokens', headers: who })).statusCode, 403);
      assert.equal((await h.app.inject({ method: 'POST', url: '/api/tokens', headers: who, payload: { name: 'x', scopes: ['read'] } })).statusCode, 403);
    }
    assert.equal((await h.app.inject({ method: 'POST', url: '/api/import', headers: boss, payload: doc })).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/tokens', headers: boss })).statusCode, 200);
  });

  test('acting for another CSM (drafts, follow-ups, acknowledgement) is refused unless it is one\'s team', async () => {
    for (const route of ['drafts', 'resolution-emails', 'follow-ups', 'acknowledgements']) {
      const res = await h.app.inject({ method: 'POST', url: `/api/incidents/${INCIDENT}/${route}`, headers: ana, payload: { csmEmail: 'ben@corp.example' } });
      assert.equal(res.statusCode, 403, route);
      assert.equal(res.json().detail, 'Ana Ruiz (CSM) may act only for themselves, not for ben@corp.example.');
      const team = await h.app.inject({ method: 'POST', url: `/api/incidents/${INCIDENT}/${route}`, headers: lee, payload: { csmEmail: 'ben@corp.example' } });
      assert.equal(team.statusCode, 403, route);
      assert.match(team.json().detail, /may act only for their team; ben@corp.example is not on it/);
    }
    // Allowed, so it reaches the workflow engine (down in this test).
    const own = await h.app.inject({ method: 'POST', url: `/api/incidents/${INCIDENT}/acknowledgements`, headers: ana, payload: { csmEmail: 'ana@corp.example' } });
    assert.notEqual(own.statusCode, 403);
  });

  test("a Slack click on another CSM's customer is refused with the reason; the CSM's own goes through", async () => {
    const click = (userId: string, customer: string) => performAction(
      { temporal: h.temporal, db: h.db, user: { id: userId } },
      { action_id: 'forewarn:mark_contacted', value: customerActionValue(INCIDENT, customer) },
    );
    const refused = await click('UBEN00001', s.customer.smallbiz);
    assert.equal(refused?.text, ":warning: That did not work: Ben Okafor (CSM) may change outreach only for their own customers; SmallBiz is ana@corp.example's customer.");
    const own = await click('UA8RXUSPL', s.customer.smallbiz);
    assert.match(JSON.stringify(own), /SmallBiz\* marked \*contacted\*/);
    const stranger = await click('UNOBODY01', s.customer.smallbiz);
    assert.match(stranger?.text ?? '', /UNOBODY01 is not a CSM, CS manager or admin in Forewarn/);
  });

  test('admins decide who may approve message templates, and the template lifecycle asks', async () => {
    const people = (await h.app.inject({ method: 'GET', url: '/api/people', headers: boss })).json().items as { id: string; email: string; role: string; canApproveTemplates: boolean }[];
    assert.deepEqual(people.map((p) => [p.email, p.role, p.canApproveTemplates]), [
      ['ana@corp.example', 'csm', false], ['boss@corp.example', 'admin', false], ['lee@corp.example', 'manager', false],
    ]);
    const leeId = people.find((p) => p.email === 'lee@corp.example')!.id;
    const template = (path: string, headers: Record<string, string>, payload?: object) => h.app.inject({ method: 'POST', url: `/api/templates/role-test/versions${path}`, headers, ...(payload ? { payload } : {}) });
    assert.equal((await template('', boss, { body: 'We are looking into {{incident.title}}.' })).statusCode, 201);
    assert.equal((await template('/1/submit', boss)).statusCode, 200);
    const notYet = await template('/1/approve', lee);
    assert.equal(notYet.statusCode, 403);
    const leeActor = { kind: 'person' as const, id: leeId, name: 'Lee Chen', email: 'lee@corp.example', role: 'manager' as const };
    assert.equal(await canApproveTemplates(h.db, leeActor), false);
    assert.equal((await h.app.inject({ method: 'PATCH', url: `/api/people/${leeId}`, headers: ana, payload: { canApproveTemplates: true } })).statusCode, 403);
    const ok = await h.app.inject({ method: 'PATCH', url: `/api/people/${leeId}`, headers: boss, payload: { canApproveTemplates: true } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().canApproveTemplates, true);
    assert.equal(await canApproveTemplates(h.db, leeActor), true);
    const approved = await template('/1/approve', lee);
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().version.state, 'active');
    assert.equal(await canApproveTemplates(h.db, { kind: 'token', id: 'bootstrap:x', name: 'b', role: 'admin' }), true, 'admins always may');
    const [entry] = await h.db.selectFrom('audit_log').selectAll().where('action', '=', 'person.updated').execute();
    assert.deepEqual([entry!.actor_name, entry!.target, entry!.detail], ['Bo Boss <boss@corp.example>', 'lee@corp.example', { canApproveTemplates: true }]);
  });

  test('the bootstrap API_TOKENS token is an admin', async () => {
    assert.equal((await outreach(auth, s.customer.globalinc, 'sent')).statusCode, 200);
  });
  describe('incident lifecycle: anyone signed in declares; steering an incident takes a CS manager or an admin', () => {
    const steering: [method: 'PATCH' | 'POST', url: string, payload: object, what: string][] = [
      ['PATCH', `/api/incidents/${DISMISSED}`, { severity: 'P2' }, 'change incidents (severity, status, public message)'],
      ['POST', `/api/incidents/${DISMISSED}/resolve`, {}, 'resolve incidents'],
      ['POST', `/api/incidents/${DISMISSED}/dismiss`, {}, 'dismiss incidents'],
      ['POST', `/api/incidents/${DISMISSED}/merge`, { incidentId: OTHER }, 'merge incidents'],
      ['POST', `/api/incidents/${DISMISSED}/split`, { source: 'opsgenie', externalId: 'og-1' }, 'split incidents'],
    ];
    const send = (method: 'PATCH' | 'POST', url: string, headers: Record<string, string>, payload: object) => h.app.inject({ method, url, headers, payload });
    const token = async (scopes: string[]) => {
      const res = await h.app.inject({ method: 'POST', url: '/api/tokens', headers: boss, payload: { name: `Incident tool (${scopes.join(', ')})`, scopes } });
      assert.equal(res.statusCode, 201, res.body);
      return { authorization: `Bearer ${res.json().token as string}` };
    };

    test('a CSM is refused each steering action with the reason (403 problem+json); a CS manager, an admin and a write token pass the role check', async () => {
      const writer = await token(['read', 'write']);
      for (const [method, url, payload, what] of steering) {
        const refused = await send(method, url, ana, payload);
        assert.equal(refused.statusCode, 403, `${method} ${url}`);
        assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
        assert.equal(refused.json().detail, `Only CS managers and admins may ${what}; Ana Ruiz (CSM) may declare incidents, not steer them.`);
        // Allowed: past the role check, the dismissed incident itself refuses (409 with its reason).
        for (const [name, who] of [['manager', lee], ['admin', boss], ['write token', writer]] as const) {
          const allowed = await send(method, url, who, payload);
          assert.equal(allowed.statusCode, 409, `${method} ${url} by the ${name}: ${allowed.body}`);
          assert.match(allowed.json().detail, /dismissed/);
        }
      }
      const refusedActions = await h.db.selectFrom('audit_log').select('action').where('actor_name', 'like', 'Ana Ruiz%')
        .where('action', 'in', ['incident.changed', 'incident.resolved', 'incident.dismissed', 'incident.merged', 'incident.split']).execute();
      assert.deepEqual(refusedActions, [], 'nothing refused is on the audit log');
    });

    test('a read-only token is refused for its scope; anyone signed in (a CSM too) may declare', async () => {
      const reader = await token(['read']);
      const refused = await send('POST', `/api/incidents/${INCIDENT}/resolve`, reader, {});
      assert.equal(refused.statusCode, 403);
      assert.match(refused.json().detail, /do not include "write"/);
      const declared = await send('POST', '/api/incidents', ana, { title: 'Ana declares', severity: 'P3', affectedComponents: ['api-gateway'] });
      assert.notEqual(declared.statusCode, 403, declared.body);
    });

    test('GET /api/me says who may steer incidents, so the dashboard offers only what the server accepts', async () => {
      const may = async (headers: Record<string, string>) => (await h.app.inject({ method: 'GET', url: '/api/me', headers })).json().mayManageIncidents;
      assert.deepEqual([await may(ana), await may(lee), await may(boss), await may(auth), await may(await token(['read'])), await may(await token(['read', 'write']))],
        [false, true, true, true, false, true]);
    });

    test('Slack: /forewarn merge and split apply the same rule to the Slack user', async () => {
      const correlation = { db: h.db, temporal: h.temporal, taskQueue: h.config.temporal.taskQueue, settings: incidentSettings(h.config), log: h.app.log };
      const slash = (text: string, userId: string) => runSlashCommand(h.db, { text, userId, dashboardUrl: 'http://forewarn.test/dashboard' }, correlation)
        .then((r) => r.text, (err: Error) => `failed: ${err.message}`);
      assert.equal(await slash(`merge ${DISMISSED} ${OTHER}`, 'UA8RXUSPL'),
        ':warning: Only CS managers and admins may merge incidents; Ana Ruiz (CSM) may declare incidents, not steer them.');
      assert.equal(await slash(`split ${DISMISSED} opsgenie:og-1`, 'UA8RXUSPL'),
        ':warning: Only CS managers and admins may split incidents; Ana Ruiz (CSM) may declare incidents, not steer them.');
      assert.equal(await slash(`merge ${DISMISSED} ${OTHER}`, 'ULEE00001'), ':warning: "False alarm" was dismissed as a false alarm.', 'a CS manager passes the role check');
      assert.match(await slash(`merge ${DISMISSED} ${OTHER}`, 'UNOBODY01'), /not linked to a person/);
    });
  });
});
