import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IncidentEvent } from '../../../domain/types';
import { receivedEventsQuery } from '../support/fake-incident.workflow';
import { PD_SECRETS, pagerdutySignature, startHarness, webhookCount, type Harness } from '../support/harness';
import { seedBase } from '../support/seed';
import { workflowInbox } from '../../helpers/workflow-history';

const raw = (name: string) => readFileSync(path.join(__dirname, '../../fixtures/pagerduty', `${name}.json`), 'utf8');
const URL = '/api/webhooks/pagerduty';

describe('POST /api/webhooks/pagerduty', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ temporal: 'dev' });
    await seedBase(h.db);
  });
  after(async () => { await h?.close(); });

  const post = (body: string, signature?: string, headers: Record<string, string> = {}) => h.app.inject({
    method: 'POST', url: URL, payload: body,
    headers: { 'content-type': 'application/json', ...(signature ? { 'x-pagerduty-signature': signature } : {}), ...headers },
  });
  const events = (workflowId: string) => h.temporal.workflow.getHandle(workflowId).query(receivedEventsQuery) as Promise<IncidentEvent[]>;
  const delivery = (id: string) => h.db.selectFrom('webhook_deliveries').selectAll().where('source', '=', 'pagerduty').where('delivery_id', '=', id).executeTakeFirst();

  test('a signed incident.triggered starts the incident workflow with the mapped component and severity', async () => {
    const body = raw('incident.triggered');
    const res = await post(body, pagerdutySignature(body, [PD_SECRETS[0]]));
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), { status: 'accepted', workflowId: 'incident:pagerduty:PGR0VU2' });
    const got = await events('incident:pagerduty:PGR0VU2');
    assert.equal(got.length, 1);
    assert.equal(got[0].deliveryId, '01DEN2Y5ZK7ZSGDG8DKXCZ1QGV');
    assert.deepEqual(got[0].components, ['api-gateway'], 'service PF9KMXH is aliased to api-gateway');
    assert.equal(got[0].severity, 'P1');
    assert.equal(got[0].status, 'investigating');
    const row = await delivery('01DEN2Y5ZK7ZSGDG8DKXCZ1QGV');
    assert.equal(row?.status, 'forwarded');
    assert.equal(row?.raw_body, body, 'the raw body is kept as received');
    assert.equal(row?.workflow_id, 'incident:pagerduty:PGR0VU2');
  });

  test('the same delivery again answers 2xx and signals nothing more', async () => {
    const body = raw('incident.triggered');
    const res = await post(body, pagerdutySignature(body, [PD_SECRETS[0]]));
    assert.equal(res.statusCode, 202);
    assert.equal(res.json().status, 'duplicate');
    assert.equal((await events('incident:pagerduty:PGR0VU2')).length, 1);
    assert.equal(await webhookCount(h.metrics, 'pagerduty', 'duplicate'), 1);
  });

  test('the same delivery in flight several times at once signals the workflow once; the others are told to retry', async () => {
    const envelope = JSON.parse(raw('incident.triggered'));
    envelope.event.id = 'EVT-CONCURRENT';
    envelope.event.data.id = 'PCONCUR';
    const body = JSON.stringify(envelope);
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(body, pagerdutySignature(body, PD_SECRETS))));
    for (const res of answers) {
      assert.ok([202, 503].includes(res.statusCode), res.body);
      if (res.statusCode === 503) assert.ok(res.headers['retry-after']);
    }
    assert.ok(answers.some((r) => r.statusCode === 202 && r.json().status === 'accepted'));
    // The sender retries the ones told 503: each finds the delivery forwarded.
    const retry = await post(body, pagerdutySignature(body, PD_SECRETS));
    assert.equal(retry.json().status, 'duplicate');
    // Counted in the workflow's history: the workflow would drop a repeat itself, but it must not even get one.
    const inbox = await workflowInbox(h.temporal, 'incident:pagerduty:PCONCUR');
    assert.equal(inbox?.signals.filter((sig) => (sig.args[0] as IncidentEvent).deliveryId === 'EVT-CONCURRENT').length, 1);
    assert.equal((await delivery('EVT-CONCURRENT'))?.status, 'forwarded');
  });

  test('during rotation either secret verifies, with one or several signatures in the header', async () => {
    const ack = raw('incident.acknowledged');
    const onlyNext = await post(ack, pagerdutySignature(ack, [PD_SECRETS[1]]));
    assert.equal(onlyNext.statusCode, 202, onlyNext.body);
    const note = raw('incident.annotated');
    const both = await post(note, `v1=${'0'.repeat(64)},${pagerdutySignature(note, [PD_SECRETS[1]])}`);
    assert.equal(both.statusCode, 202, both.body);
    const got = await events('incident:pagerduty:PGR0VU2');
    assert.deepEqual(got.map((e) => e.note), [undefined, 'Acknowledged in PagerDuty by Tenex Engineer', 'Note in PagerDuty by Tenex Engineer: I sure am glad we are using PagerDuty!']);
  });

  test('bad, missing, foreign-secret signatures and tampered bodies are refused with 401 and nothing recorded', async () => {
    const body = raw('incident.resolved');
    const tampered = body.replace('"resolved"', '"triggered"');
    const cases = [
      await post(body),
      await post(body, 'v1=deadbeef'),
      await post(body, pagerdutySignature(body, ['some-other-secret'])),
      await post(tampered, pagerdutySignature(body, PD_SECRETS)),
      await post(body, pagerdutySignature(body, PD_SECRETS).replace(/v1=/g, 'v0=')),
    ];
    for (const res of cases) {
      assert.equal(res.statusCode, 401);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      assert.match(res.json().detail, /X-PagerDuty-Signature/);
    }
    assert.equal(await delivery('01DEN3B1DPY3V6M1WFNGQWP3XK'), undefined);
    assert.equal(await webhookCount(h.metrics, 'pagerduty', 'rejected'), cases.length);
  });

  test('without configured secrets every delivery is refused, saying why', async () => {
    const other = await startHarness({ temporal: 'down', env: { PAGERDUTY_WEBHOOK_SECRETS: '' } });
    try {
      const body = raw('incident.triggered');
      const res = await other.app.inject({ method: 'POST', url: URL, payload: body, headers: { 'content-type': 'application/json', 'x-pagerduty-signature': pagerdutySignature(body, PD_SECRETS) } });
      assert.equal(res.statusCode, 401);
      assert.match(res.json().detail, /PAGERDUTY_WEBHOOK_SECRETS/);
    } finally { await other.close(); }
  });

  test('event types Forewarn does not use are recorded and answered 200', async () => {
    const body = raw('incident.responder.added');
    const res = await post(body, pagerdutySignature(body, PD_SECRETS));
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, 'ignored');
    assert.match(res.json().reason, /incident\.responder\.added/);
    assert.equal((await delivery('01DEN30AX6H6F1CTYVHZ8Y4NQE'))?.status, 'ignored');
    assert.equal((await events('incident:pagerduty:PGR0VU2')).length, 3);
  });

  test('resolved reaches the workflow with its time, and the incident id is returned once recorded', async () => {
    await h.db.insertInto('product_incidents').values({
      id: '7d0f5b1e-1f6a-4c1e-9d1a-0c3a2b1e4f50', source: 'pagerduty', external_id: 'PGR0VU2', workflow_id: 'incident:pagerduty:PGR0VU2',
      title: 'A little bump in the road', severity: 'P1', status: 'investigating', started_at: '2020-10-02T18:40:00Z',
    }).execute();
    const body = raw('incident.resolved');
    const res = await post(body, pagerdutySignature(body, PD_SECRETS));
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json(), { status: 'accepted', workflowId: 'incident:pagerduty:PGR0VU2', incidentId: '7d0f5b1e-1f6a-4c1e-9d1a-0c3a2b1e4f50' });
    const last = (await events('incident:pagerduty:PGR0VU2')).at(-1)!;
    assert.equal(last.status, 'resolved');
    assert.equal(last.resolvedAt, '2020-10-02T20:15:00.000Z');
  });

  test('a service with no alias still opens the incident, with a note saying what to map', async () => {
    const env = JSON.parse(raw('incident.triggered'));
    env.event.id = 'evt-unmapped-1';
    env.event.data.id = 'PUNMAPPED';
    env.event.data.service = { id: 'PXXXXXX', summary: 'Billing Service', type: 'service_reference' };
    const body = JSON.stringify(env);
    const res = await post(body, pagerdutySignature(body, PD_SECRETS));
    assert.equal(res.statusCode, 202);
    const [e] = await events('incident:pagerduty:PUNMAPPED');
    assert.equal(e.components, undefined);
    assert.match(e.note!, /PXXXXXX \/ Billing Service is not mapped/);
  });

  test('schema errors, invalid JSON, wrong media type and oversized bodies are 4xx problem+json', async () => {
    const noId = JSON.stringify({ event: { event_type: 'incident.triggered', occurred_at: 'yesterday', data: {} } });
    const r1 = await post(noId, pagerdutySignature(noId, PD_SECRETS));
    assert.equal(r1.statusCode, 400);
    const paths = r1.json().errors.map((e: { path: string }) => e.path);
    assert.ok(paths.includes('body/event/id'), paths.join());
    assert.ok(paths.includes('body/event/occurred_at'), paths.join());

    const broken = '{"event": {"id": "x",';
    const r2 = await post(broken, pagerdutySignature(broken, PD_SECRETS));
    assert.equal(r2.statusCode, 400);
    assert.equal(r2.json().title, 'Invalid JSON');

    const r3 = await h.app.inject({ method: 'POST', url: URL, payload: 'hello', headers: { 'content-type': 'application/xml' } });
    assert.equal(r3.statusCode, 415);

    const huge = JSON.stringify({ event: { id: 'big', event_type: 'incident.annotated', occurred_at: '2020-10-02T18:50:00Z', data: { pad: 'x'.repeat(300 * 1024) } } });
    const r4 = await post(huge, pagerdutySignature(huge, PD_SECRETS));
    assert.equal(r4.statusCode, 413);
    assert.match(r4.headers['content-type'] as string, /application\/problem\+json/);
    assert.equal(await delivery('big'), undefined);
  });
});
