import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncidentState } from '../../../domain/incident/model';
import { incidentEventSignal, WORKFLOW_TYPES } from '../../../workflows/contract';
import { receivedSignalsQuery, type FakeCustomer, type FakeIncidentInput } from '../support/fake-incident.workflow';
import { auth, startHarness, type Harness } from '../support/harness';
import { seedBase, seedIncident, type Seed } from '../support/seed';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';
const UNKNOWN = '99999999-9999-4999-8999-999999999999';

describe('incident routes', () => {
  let h: Harness;
  let s: Seed;
  before(async () => {
    h = await startHarness({ temporal: 'dev' });
    s = await seedBase(h.db);
    await seedIncident(h.db, {
      id: A, externalId: 'PGR0VU2', severity: 'P1', status: 'investigating', components: ['api-gateway'], startedAt: '2026-01-29T19:30:00Z',
      impacts: [
        [s.customer.techcorp, 'high', 1, 'pending'], [s.customer.globalinc, 'high', 2, 'sent'],
        [s.customer.dataflow, 'medium', 3, 'pending'], [s.customer.smallbiz, 'low', 4, 'drafted'], [s.customer.retired, 'none', 5, 'pending'],
      ],
    });
    await seedIncident(h.db, {
      id: B, source: 'generic', externalId: 'INC-7', severity: 'P3', status: 'resolved', components: ['data-pipeline'],
      startedAt: '2026-01-20T08:00:00Z', resolvedAt: '2026-01-20T09:00:00Z', impacts: [[s.customer.dataflow, 'medium', 1, 'resolution_sent']],
    });
    await seedIncident(h.db, { id: C, source: 'opsgenie', externalId: 'og-1', severity: 'P2', status: 'identified', components: ['api-gateway', 'data-pipeline'], startedAt: '2026-01-25T12:00:00Z' });
    await h.db.insertInto('incident_updates').values([
      { incident_id: A, kind: 'alert', summary: 'Alerted Ana Ruiz (3 customers)', dedupe_key: 'a2', occurred_at: '2026-01-29T19:30:09Z', actor: null, details: JSON.stringify({ csm: 'ana@corp.example' }) },
      { incident_id: A, kind: 'created', summary: 'Incident opened from PagerDuty', dedupe_key: 'a1', occurred_at: '2026-01-29T19:30:05Z' },
      { incident_id: A, kind: 'note', summary: 'Rolled back deploy', dedupe_key: 'a3', occurred_at: '2026-01-29T19:50:00Z', actor: 'Tenex Engineer' },
      { incident_id: B, kind: 'created', summary: 'other incident', dedupe_key: 'b1', occurred_at: '2026-01-20T08:00:00Z' },
    ]).execute();

    // The running incident workflow for A (the current type), carrying what the real one would know:
    // per-CSM summaries only; the stand-in is also told the customers it answers drafts for.
    const carried = {
      incident: { id: A, workflowId: 'incident:pagerduty:PGR0VU2', source: 'pagerduty', externalId: 'PGR0VU2', title: 'API Latency Issues', status: 'investigating', severity: 'P1', components: ['api-gateway'], regions: [], startedAt: '2026-01-29T19:30:00Z' },
      phase: 'active',
      csms: [
        { email: 'ana@corp.example', slackUserId: 'UA8RXUSPL', customers: 3, arrAtRisk: 725000, highImpact: 1 },
        { email: 'ben@corp.example', customers: 1, arrAtRisk: 350000, highImpact: 1 },
      ],
      totals: { customers: 4, arrAtRisk: 1075000, businessImpact: 0, highImpact: 2 },
      detectedAt: '2026-01-29T19:30:05Z', appliedAt: {}, deliveryIds: [], revision: 1,
    } satisfies IncidentState;
    const customers: FakeCustomer[] = [
      { id: s.customer.techcorp, name: 'TechCorp', csmEmail: 'ana@corp.example', outreachStatus: 'sent' },
      { id: s.customer.globalinc, name: 'GlobalInc', csmEmail: 'ben@corp.example', outreachStatus: 'sent' },
      { id: s.customer.dataflow, name: 'DataFlow', csmEmail: 'ana@corp.example', outreachStatus: 'pending' },
      { id: s.customer.smallbiz, name: 'SmallBiz', csmEmail: 'ana@corp.example', outreachStatus: 'drafted' },
    ];
    await h.temporal.workflow.start(WORKFLOW_TYPES.incident, {
      workflowId: 'incident:pagerduty:PGR0VU2', taskQueue: h.taskQueue, args: [{ settings: {} as never, carried, customers } satisfies FakeIncidentInput],
    });
  });
  after(async () => { await h?.close(); });

  const get = (url: string, headers: Record<string, string> = auth) => h.app.inject({ method: 'GET', url, headers });
  const post = (url: string, payload?: object, headers: Record<string, string> = auth) => h.app.inject({ method: 'POST', url, payload, headers });

  test('GET /api/incidents lists newest first with totals, and every filter narrows it', async () => {
    const all = await get('/api/incidents');
    assert.equal(all.statusCode, 200, all.body);
    assert.deepEqual(all.json().items.map((i: { id: string }) => i.id), [A, C, B]);
    assert.equal(all.json().total, 3);
    const first = all.json().items[0];
    assert.equal(first.workflowId, 'incident:pagerduty:PGR0VU2');
    assert.equal(first.arrAtRisk, 1075000);
    assert.equal(first.affectedCustomerCount, 4);

    const ids = async (q: string) => (await get(`/api/incidents?${q}`)).json().items.map((i: { id: string }) => i.id);
    assert.deepEqual(await ids('status=resolved'), [B]);
    assert.deepEqual(await ids('status=investigating&status=identified'), [A, C]);
    assert.deepEqual(await ids('severity=P1&severity=P3'), [A, B]);
    assert.deepEqual(await ids('active=true'), [A, C]);
    assert.deepEqual(await ids('active=false'), [B]);
    assert.deepEqual(await ids('source=opsgenie'), [C]);
    assert.deepEqual(await ids('externalId=INC-7'), [B]);
    assert.deepEqual(await ids('component=data-pipeline'), [C, B]);
    const page = (await get('/api/incidents?limit=1&offset=1')).json();
    assert.deepEqual(page.items.map((i: { id: string }) => i.id), [C]);
    assert.deepEqual([page.total, page.limit, page.offset], [3, 1, 1]);
    const beyond = (await get('/api/incidents?limit=5&offset=10')).json();
    assert.deepEqual([beyond.items.length, beyond.total], [0, 3]);
  });

  test('bad list parameters are 400 naming the parameter', async () => {
    for (const [q, field] of [['severity=P0', 'querystring/severity/0'], ['limit=0', 'querystring/limit'], ['active=maybe', 'querystring/active'], ['colour=red', 'querystring/colour']]) {
      const res = await get(`/api/incidents?${q}`);
      assert.equal(res.statusCode, 400, q);
      assert.ok(res.json().errors.some((e: { path: string }) => e.path === field), `${field} in ${res.body}`);
    }
  });

  test('one incident, its timeline oldest first; unknown ids 404, malformed ids 400', async () => {
    const one = await get(`/api/incidents/${C}`);
    assert.equal(one.statusCode, 200);
    assert.equal(one.json().source, 'opsgenie');
    assert.deepEqual(one.json().components, ['api-gateway', 'data-pipeline']);
    const timeline = (await get(`/api/incidents/${A}/timeline`)).json();
    assert.deepEqual(timeline.entries.map((e: { kind: string }) => e.kind), ['created', 'alert', 'note']);
    assert.deepEqual(timeline.entries[1].details, { csm: 'ana@corp.example' });
    assert.equal(timeline.entries[2].actor, 'Tenex Engineer');
    const missing = await get(`/api/incidents/${UNKNOWN}`);
    assert.equal(missing.statusCode, 404);
    assert.match(missing.headers['content-type'] as string, /problem\+json/);
    assert.equal((await get(`/api/incidents/${UNKNOWN}/timeline`)).statusCode, 404);
    const bad = await get('/api/incidents/not-a-uuid');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail, /params\/incidentId must match format "uuid"/);
  });

  test('GET /customers answers exactly the product spec shape, in priority order, without the no-longer-affected', async () => {
    const res = await get(`/api/incidents/${A}/customers`);
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['affectedCustomers', 'incident', 'totalARRAtRisk']);
    assert.equal(body.incident.id, A);
    assert.deepEqual(body.affectedCustomers.map((c: { customer: { name: string } }) => c.customer.name), ['TechCorp', 'GlobalInc', 'DataFlow', 'SmallBiz']);
    for (const c of body.affectedCustomers) assert.deepEqual(Object.keys(c).sort(), ['customer', 'impactLevel', 'outreachStatus', 'reason']);
    assert.deepEqual(body.affectedCustomers[0], {
      customer: {
        id: s.customer.techcorp, externalId: 'acct-001', name: 'TechCorp', arr: 500000, segment: 'enterprise', region: 'us-east',
        contactName: 'Sam Lee', contactEmail: 'sam@techcorp.example', csm: { email: 'ana@corp.example', name: 'Ana Ruiz' },
      },
      impactLevel: 'high', reason: 'high impact', outreachStatus: 'pending',
    });
    assert.equal(body.totalARRAtRisk, 1075000);
    const none = (await get(`/api/incidents/${C}/customers`)).json();
    assert.deepEqual([none.affectedCustomers, none.totalARRAtRisk], [[], 0]);
  });

  const impact = (incident: string, customer: string) => h.db.selectFrom('incident_customer_impact')
    .select(['outreach_status', 'outreach_note']).where('incident_id', '=', incident).where('customer_id', '=', customer).executeTakeFirstOrThrow();

  test('outreach is recorded in Postgres under the state machine\'s rules; the running workflow only hears that the CSM acted', async () => {
    const url = (customer: string) => `/api/incidents/${A}/customers/${customer}/outreach`;
    const signals = () => h.temporal.workflow.getHandle('incident:pagerduty:PGR0VU2').query(receivedSignalsQuery);
    const ok = await post(url(s.customer.techcorp), { status: 'sent', note: 'Called Sam', actor: 'ana' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { customerId: s.customer.techcorp, previous: 'pending', status: 'sent' });
    assert.deepEqual(await impact(A, s.customer.techcorp), { outreach_status: 'sent', outreach_note: 'Called Sam' });
    const entries = (await get(`/api/incidents/${A}/timeline`)).json().entries as { kind: string; summary: string; actor: string }[];
    assert.deepEqual(entries.filter((e) => e.kind === 'outreach').map((e) => [e.summary, e.actor]), [['Outreach to TechCorp: sent — Called Sam', 'ana (via API_TOKENS bootstrap token)']]);
    const told = (await signals()).outreach;
    assert.deepEqual(told.map(({ at: _at, ...rest }) => rest), [{ csmEmail: 'ana@corp.example', customerId: s.customer.techcorp, impactLevel: 'high', status: 'sent' }]);
    assert.ok(!Number.isNaN(Date.parse(told[0]!.at)));

    // The same status again is a no-op: answered, and nothing new for the workflow.
    const again = await post(url(s.customer.techcorp), { status: 'sent' });
    assert.deepEqual([again.statusCode, again.json()], [200, { customerId: s.customer.techcorp, previous: 'sent', status: 'sent' }]);
    assert.equal((await signals()).outreach.length, 1);

    const skip = await post(url(s.customer.dataflow), { status: 'responded' });
    assert.equal(skip.statusCode, 409);
    assert.match(skip.headers['content-type'] as string, /problem\+json/);
    assert.equal(skip.json().title, 'Invalid transition');
    assert.equal(skip.json().detail,
      'Outreach to DataFlow is "pending" and cannot become "responded": a customer can only respond once an email was sent. From "pending" it can become "drafted" or "sent".');
    const back = await post(url(s.customer.smallbiz), { status: 'pending' });
    assert.equal(back.statusCode, 409);
    assert.match(back.json().detail, /^Outreach to SmallBiz is "drafted" and cannot become "pending": outreach never moves backwards\./);
    assert.deepEqual(await impact(A, s.customer.dataflow), { outreach_status: 'pending', outreach_note: null }, 'a refused move changes nothing');

    const stranger = await post(url(UNKNOWN), { status: 'sent' });
    assert.equal(stranger.statusCode, 404);
    assert.equal(stranger.json().title, 'Unknown customer');
    assert.equal(stranger.json().detail, `Customer ${UNKNOWN} is not among the customers affected by "API Latency Issues".`);

    const badStatus = await post(url(s.customer.dataflow), { status: 'called' });
    assert.equal(badStatus.statusCode, 400);
    assert.match(badStatus.json().detail, /body\/status must be equal to one of the allowed values: pending, drafted, sent/);
    assert.equal((await post(`/api/incidents/${UNKNOWN}/customers/${s.customer.techcorp}/outreach`, { status: 'sent' })).statusCode, 404);
    assert.equal((await signals()).outreach.length, 1, 'nothing refused reached the workflow');
  });

  test('outreach can still be recorded once the incident\'s workflow has completed', async () => {
    const handle = await h.temporal.workflow.start(WORKFLOW_TYPES.incident, { workflowId: 'incident:generic:INC-7', taskQueue: h.taskQueue, args: [{ settings: {} as never }] });
    await handle.terminate('test: incident closed');
    const res = await post(`/api/incidents/${B}/customers/${s.customer.dataflow}/outreach`, { status: 'followed_up', note: 'Call done' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { customerId: s.customer.dataflow, previous: 'resolution_sent', status: 'followed_up' });
    assert.deepEqual(await impact(B, s.customer.dataflow), { outreach_status: 'followed_up', outreach_note: 'Call done' });
    const closed = await post(`/api/incidents/${B}/customers/${s.customer.dataflow}/outreach`, { status: 'responded' });
    assert.equal(closed.statusCode, 409);
    assert.match(closed.json().detail, /the follow-up is done and outreach is closed/);
  });

  test('an incident still on the first workflow type keeps its outreach in the workflow (its update), until that workflow ends', async () => {
    const customers: FakeCustomer[] = [
      { id: s.customer.techcorp, name: 'TechCorp', csmEmail: 'ana@corp.example', outreachStatus: 'pending' },
      { id: s.customer.dataflow, name: 'DataFlow', csmEmail: 'ana@corp.example', outreachStatus: 'pending' },
    ];
    const handle = await h.temporal.workflow.start(WORKFLOW_TYPES.incidentV1, {
      workflowId: 'incident:opsgenie:og-1', taskQueue: h.taskQueue, args: [{ settings: {} as never, customers } satisfies FakeIncidentInput],
    });
    const url = (customer: string) => `/api/incidents/${C}/customers/${customer}/outreach`;
    const ok = await post(url(s.customer.techcorp), { status: 'sent' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { customerId: s.customer.techcorp, previous: 'pending', status: 'sent' }, 'answered by the workflow: C has no customer rows');
    const skip = await post(url(s.customer.dataflow), { status: 'responded' });
    assert.equal(skip.statusCode, 409);
    assert.equal(skip.json().detail, 'Outreach for DataFlow cannot go from pending to responded; next: drafted, sent.');
    const stranger = await post(url(UNKNOWN), { status: 'sent' });
    assert.equal(stranger.statusCode, 404);
    assert.match(stranger.json().detail, /not affected by this incident/);
    await handle.terminate('test: incident closed');
    const after = await post(url(s.customer.techcorp), { status: 'sent' });
    assert.equal(after.statusCode, 404, 'once it ended, Postgres answers (and C has no affected customers)');
  });

  test('drafts, follow-ups and acknowledgements mirror the Slack buttons; resolution emails wait for resolution', async () => {
    const drafts = await post(`/api/incidents/${A}/drafts`, { csmEmail: 'ana@corp.example' });
    assert.equal(drafts.statusCode, 200, drafts.body);
    assert.deepEqual(drafts.json(), { drafted: 1, failed: 0 });
    const again = await post(`/api/incidents/${A}/drafts`, { csmEmail: 'ana@corp.example' });
    assert.deepEqual(again.json(), { drafted: 0, failed: 0 }, 'drafting twice drafts nothing more');
    const nobody = await post(`/api/incidents/${A}/drafts`);
    assert.equal(nobody.statusCode, 400);
    assert.deepEqual(nobody.json().errors, [{ path: 'body/csmEmail', message: "must have required property 'csmEmail'" }]);

    const early = await post(`/api/incidents/${A}/resolution-emails`, { csmEmail: 'ana@corp.example' });
    assert.equal(early.statusCode, 409);
    assert.match(early.json().detail, /not resolved yet/);

    await h.temporal.workflow.getHandle('incident:pagerduty:PGR0VU2').signal(incidentEventSignal, {
      source: 'pagerduty', externalId: 'PGR0VU2', status: 'resolved', occurredAt: '2026-01-29T21:00:00Z', deliveryId: 'resolve-1',
    });
    const resolution = await post(`/api/incidents/${A}/resolution-emails`, { csmEmail: 'ana@corp.example' });
    assert.equal(resolution.statusCode, 200, resolution.body);
    assert.deepEqual(resolution.json(), { drafted: 1, failed: 0 });

    const followUps = await post(`/api/incidents/${A}/follow-ups`, { csmEmail: 'ana@corp.example', inHours: 2 });
    assert.equal(followUps.statusCode, 200);
    assert.ok(Math.abs(Date.parse(followUps.json().dueAt) - (Date.now() + 2 * 3_600_000)) < 60_000);

    const ack = await post(`/api/incidents/${A}/acknowledgements`, { csmEmail: 'ben@corp.example' });
    assert.equal(ack.statusCode, 202);
    const signals = await h.temporal.workflow.getHandle('incident:pagerduty:PGR0VU2').query(receivedSignalsQuery);
    assert.deepEqual(signals.acks, [{ csmEmail: 'ben@corp.example' }]);

    assert.equal((await post(`/api/incidents/${A}/drafts`, { csmEmail: 'not-an-email' })).statusCode, 400);
    assert.equal((await post(`/api/incidents/${A}/acknowledgements`, {})).statusCode, 400);
  });

  test('every incident route wants the API token', async () => {
    for (const [method, url] of [['GET', '/api/incidents'], ['GET', `/api/incidents/${A}`], ['GET', `/api/incidents/${A}/timeline`],
      ['GET', `/api/incidents/${A}/customers`], ['POST', `/api/incidents/${A}/customers/${s.customer.techcorp}/outreach`],
      ['POST', `/api/incidents/${A}/drafts`], ['POST', `/api/incidents/${A}/resolution-emails`], ['POST', `/api/incidents/${A}/follow-ups`],
      ['POST', `/api/incidents/${A}/acknowledgements`]] as const) {
      const res = await h.app.inject({ method, url, headers: { authorization: 'Bearer wrong-token-0000000000' }, payload: method === 'POST' ? {} : undefined });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
    }
  });

  test('the OpenAPI document describes the routes with their parameters and bodies', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const paths = doc.paths;
    for (const p of ['/api/incidents', '/api/incidents/{incidentId}', '/api/incidents/{incidentId}/timeline', '/api/incidents/{incidentId}/customers',
      '/api/incidents/{incidentId}/customers/{customerId}/outreach', '/api/incidents/{incidentId}/drafts', '/api/incidents/{incidentId}/resolution-emails',
      '/api/csms/{email}/queue', '/api/metrics/summary', '/api/webhooks/incidents', '/api/webhooks/pagerduty', '/api/webhooks/opsgenie',
      '/api/slack/interactions', '/api/slack/commands']) {
      assert.ok(paths[p], `${p} documented`);
    }
    const list = paths['/api/incidents'].get;
    assert.deepEqual(list.parameters.map((x: { name: string }) => x.name).sort(), ['active', 'component', 'externalId', 'limit', 'offset', 'severity', 'source', 'status']);
    const outreach = paths['/api/incidents/{incidentId}/customers/{customerId}/outreach'].post;
    assert.deepEqual(outreach.requestBody.content['application/json'].schema.required, ['status']);
    assert.ok(outreach.responses['409'], 'the refusal is documented');
    assert.deepEqual(paths['/api/webhooks/incidents'].post.requestBody.content['application/json'].schema.required,
      ['id', 'title', 'status', 'severity', 'affectedComponents', 'startedAt']);
  });

  test('with Temporal down, workflow-backed routes answer 503; outreach (Postgres) and read routes keep working', async () => {
    const down = await startHarness({ temporal: 'down' });
    try {
      const ss = await seedBase(down.db);
      await seedIncident(down.db, { id: A, externalId: 'PGR0VU2', impacts: [[ss.customer.techcorp, 'high', 1, 'pending']] });
      const drafts = await down.app.inject({ method: 'POST', url: `/api/incidents/${A}/drafts`, headers: auth, payload: { csmEmail: 'ana@corp.example' } });
      assert.equal(drafts.statusCode, 503);
      assert.match(drafts.json().detail, /try again/);
      const res = await down.app.inject({ method: 'POST', url: `/api/incidents/${A}/customers/${ss.customer.techcorp}/outreach`, headers: auth, payload: { status: 'sent' } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal((await down.db.selectFrom('incident_customer_impact').select('outreach_status').where('incident_id', '=', A).executeTakeFirstOrThrow()).outreach_status, 'sent');
      assert.equal((await down.app.inject({ method: 'GET', url: `/api/incidents/${A}/customers`, headers: auth })).statusCode, 200);
      // An incident of the first workflow type keeps its outreach in the workflow: nothing is written without it.
      const old = '0b7c9a1e-5d2f-4c3b-9a8e-1f2e3d4c5b6a';
      await seedIncident(down.db, { id: old, externalId: 'OLD1', revision: null, impacts: [[ss.customer.techcorp, 'high', 1, 'pending']] });
      const refused = await down.app.inject({ method: 'POST', url: `/api/incidents/${old}/customers/${ss.customer.techcorp}/outreach`, headers: auth, payload: { status: 'sent' } });
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal((await down.db.selectFrom('incident_customer_impact').select('outreach_status').where('incident_id', '=', old).executeTakeFirstOrThrow()).outreach_status, 'pending');
    } finally { await down.close(); }
  });
});
