import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncidentEvent } from '../../../domain/types';
import { receivedEventsQuery } from '../support/fake-incident.workflow';
import { auth, startHarness, type Harness } from '../support/harness';
import { seedBase } from '../support/seed';
import { workflowInbox } from '../../helpers/workflow-history';

const URL = '/api/webhooks/incidents';
const incident = {
  id: 'API-2026-0129-001', title: 'API Latency Issues', status: 'investigating', severity: 'P1',
  affectedComponents: ['api-gateway', 'Pipeline'], startedAt: '2026-01-29T19:30:00Z',
  description: 'Elevated latency on all API endpoints', affectedRegions: ['us-east'],
  statusPageUrl: 'https://status.example.com/incidents/abc', message: "We're investigating elevated API latency.",
};
const WORKFLOW = 'incident:generic:API-2026-0129-001';

describe('POST /api/webhooks/incidents (generic)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ temporal: 'dev' });
    await seedBase(h.db);
  });
  after(async () => { await h?.close(); });

  const post = (body: unknown, headers: Record<string, string> = auth) => h.app.inject({ method: 'POST', url: URL, payload: body as object, headers });
  const events = () => h.temporal.workflow.getHandle(WORKFLOW).query(receivedEventsQuery) as Promise<IncidentEvent[]>;

  test('the product spec body starts the incident; component keys and "generic" aliases both resolve', async () => {
    const res = await post(incident);
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), { status: 'accepted', workflowId: WORKFLOW });
    const [e] = await events();
    assert.deepEqual(e.components, ['api-gateway', 'data-pipeline']);
    assert.equal(e.severity, 'P1');
    assert.deepEqual(e.regions, ['us-east']);
    assert.equal(e.statusPageUrl, incident.statusPageUrl);
    assert.equal(e.message, incident.message);
  });

  test('the same body posted twice changes nothing; an Idempotency-Key makes a new delivery explicit', async () => {
    const again = await post(incident);
    assert.equal(again.statusCode, 202);
    assert.equal(again.json().status, 'duplicate');
    assert.equal((await events()).length, 1);
    const keyed = await post({ ...incident, status: 'identified' }, { ...auth, 'idempotency-key': 'update-7' });
    assert.equal(keyed.json().status, 'accepted');
    const sameKey = await post({ ...incident, status: 'monitoring' }, { ...auth, 'idempotency-key': 'update-7' });
    assert.equal(sameKey.json().status, 'duplicate');
    assert.deepEqual((await events()).map((e) => e.status), ['investigating', 'identified']);
  });

  test('once the workflow recorded the incident, its id is returned', async () => {
    await h.db.insertInto('product_incidents').values({
      id: '2b7e3f10-5c2d-4b8e-a1f0-9e8d7c6b5a41', source: 'generic', external_id: incident.id, workflow_id: WORKFLOW,
      title: incident.title, severity: 'P1', status: 'identified', started_at: incident.startedAt,
    }).execute();
    const res = await post({ ...incident, status: 'resolved', resolvedAt: '2026-01-29T21:45:00Z' });
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json(), { status: 'accepted', workflowId: WORKFLOW, incidentId: '2b7e3f10-5c2d-4b8e-a1f0-9e8d7c6b5a41' });
    assert.equal((await events()).at(-1)!.resolvedAt, '2026-01-29T21:45:00.000Z');
  });

  test('an unknown component is a 422 naming it and the known ones; nothing is forwarded', async () => {
    const res = await post({ ...incident, id: 'INC-typo', affectedComponents: ['api-gateway', 'api-gatway'] });
    assert.equal(res.statusCode, 422);
    const p = res.json();
    assert.equal(p.title, 'Unknown component');
    assert.match(p.detail, /"api-gatway"/);
    assert.match(p.detail, /Known components: api-gateway, data-pipeline/);
    assert.deepEqual(p.errors, [{ path: 'body/affectedComponents/1', message: 'unknown component "api-gatway"' }]);
    const rows = await h.db.selectFrom('webhook_deliveries').select('delivery_id').where('source', '=', 'generic').execute();
    assert.equal(rows.length, 3, 'only the accepted deliveries are on record');
  });

  test('schema errors name the field and why', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ ...incident, severity: 'SEV1' }, 'body/severity', /allowed values: P1, P2, P3, P4/],
      [{ ...incident, status: 'fixed' }, 'body/status', /investigating, identified, monitoring, resolved/],
      [{ ...incident, startedAt: 'last tuesday' }, 'body/startedAt', /date-time/],
      [{ ...incident, affectedComponents: { key: 'api-gateway' } }, 'body/affectedComponents', /array/],
      [{ ...incident, affectedComponents: [] }, 'body/affectedComponents', /fewer than 1/],
      [{ ...incident, statusPageUrl: 'not a url' }, 'body/statusPageUrl', /uri/],
      [{ ...incident, sevrity: 'P1' }, 'body/sevrity', /additional properties/],
      [(({ title: _t, ...rest }) => rest)(incident), 'body/title', /required/],
    ];
    for (const [body, pathExpected, why] of cases) {
      const res = await post(body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      const err = res.json().errors.find((e: { path: string }) => e.path === pathExpected);
      assert.ok(err, `${pathExpected} in ${JSON.stringify(res.json().errors)}`);
      assert.match(err.message, why);
    }
    const resolvedBeforeStart = await post({ ...incident, id: 'INC-time', status: 'resolved', resolvedAt: '2026-01-29T18:00:00Z' });
    assert.equal(resolvedBeforeStart.statusCode, 422);
    assert.equal(resolvedBeforeStart.json().errors[0].path, 'body/resolvedAt');
  });

  test('the API token is required, checked before anything else', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-token-at-all-xx' }, { authorization: 'Basic dXNlcjpwYXNz' }];
    for (const headers of attempts) {
      const res = await post({ garbage: true }, headers);
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    }
    const second = await post({ ...incident, id: 'INC-second-token' }, { authorization: 'Bearer second-token-abcdefghijklmnop' });
    assert.equal(second.statusCode, 202, 'every token in API_TOKENS works');
  });

  test('a late event for a finished incident: a resolved one is recorded and ignored; one saying it is happening again reopens it', async () => {
    const finished = { ...incident, id: 'INC-finished' };
    assert.equal((await post(finished)).statusCode, 202);
    const handle = h.temporal.workflow.getHandle('incident:generic:INC-finished');
    await handle.terminate('the incident finished its follow-ups');
    const late = await post({ ...finished, status: 'resolved', resolvedAt: '2026-01-29T21:00:00Z' }, { ...auth, 'idempotency-key': 'late-resolve' });
    assert.equal(late.statusCode, 202);
    assert.equal(late.json().status, 'ignored');
    assert.match(late.json().reason, /finished/);
    assert.equal((await handle.describe()).status.name, 'TERMINATED', 'no new run was started');
    const delivery = await h.db.selectFrom('webhook_deliveries').selectAll().where('delivery_id', '=', 'late-resolve').executeTakeFirstOrThrow();
    assert.equal(delivery.status, 'ignored');

    const back = await post({ ...finished, status: 'identified' }, { ...auth, 'idempotency-key': 'back-again' });
    assert.equal(back.statusCode, 202);
    assert.equal(back.json().status, 'accepted');
    const run = await handle.describe();
    assert.equal(run.status.name, 'RUNNING', 'a new run of the same workflow id');
    const inbox = await workflowInbox(h.temporal, 'incident:generic:INC-finished');
    assert.equal((inbox!.input[0] as { reopen?: boolean }).reopen, true, 'told to restore the incident from Postgres');
  });
});
