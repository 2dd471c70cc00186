/**
 * What every route refuses before anything is recorded or forwarded: text Postgres or JSON cannot hold
 * (NUL, unpaired surrogates) in any body, query or path; bodies of other media types; numbers where the
 * schema says text. And the OpenAPI document is one generated clients can use.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  API_TOKEN, OPSGENIE_TOKEN, PD_SECRETS, auth, pagerdutySignature, slackHeaders, startHarness, type Harness,
} from './support/harness';

const fixture = (p: string) => JSON.parse(readFileSync(path.join(__dirname, '../fixtures', p), 'utf8'));
const STATUSPAGE_TOKEN = 'sp-hook-secret-edge-0123';
const ZENDESK_SECRET = 'zendesk-secret-edge-0123456789';
const INCIDENT = '0b6b8f2e-6f1d-4c36-9a57-3c1f1e0c7a11';
const CUSTOMER = '7d0f5c0e-1f63-4b9a-8b8f-2f6a1c9d4e22';

/** The two kinds of text that cannot be stored, and what the answer says about each. */
const BAD = [
  { name: 'NUL', text: 'Checkout \u0000 errors', says: /NUL character/ },
  { name: 'unpaired surrogate', text: 'Checkout \ud800 errors', says: /unpaired surrogate/ },
];

const genericBody = (title: unknown) => ({
  id: 'INC-EDGE', title, status: 'investigating', severity: 'P2', affectedComponents: ['api-gateway'], startedAt: '2026-02-01T10:00:00Z',
});

describe('input the API refuses at the edge', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ temporal: 'down', env: { STATUSPAGE_WEBHOOK_TOKEN: STATUSPAGE_TOKEN, ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET } });
  });
  after(async () => { await h?.close(); });

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) => h.app.inject({
    method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const deliveries = async () => (await h.db.selectFrom('webhook_deliveries').select('id').execute()).length;

  /** Each route that takes text, with a body whose one field carries `text`, and the path of that field. */
  const routes: { route: string; field: string; send: (text: string) => ReturnType<typeof post> }[] = [
    { route: 'generic webhook', field: 'body/title', send: (text) => post('/api/webhooks/incidents', genericBody(text), auth) },
    {
      route: 'PagerDuty webhook', field: 'body/event/data/title',
      send: (text) => {
        const envelope = fixture('pagerduty/incident.triggered.json');
        envelope.event.data.title = text;
        const body = JSON.stringify(envelope);
        return post('/api/webhooks/pagerduty', body, { 'x-pagerduty-signature': pagerdutySignature(body, PD_SECRETS) });
      },
    },
    {
      route: 'Opsgenie webhook', field: 'body/alert/message',
      send: (text) => {
        const body = fixture('opsgenie/create.json');
        body.alert.message = text;
        return post('/api/webhooks/opsgenie', body, { authorization: `Bearer ${OPSGENIE_TOKEN}` });
      },
    },
    {
      route: 'Statuspage webhook', field: 'body/incident/name',
      send: (text) => {
        const body = fixture('statuspage/webhook-incident-update.json');
        body.incident.name = text;
        return post(`/api/webhooks/statuspage/${STATUSPAGE_TOKEN}`, body);
      },
    },
    {
      route: 'support webhook (generic ticket)', field: 'body/subject',
      send: (text) => post('/api/webhooks/support', { ticketId: 'T-1', customerExternalId: 'acct-1', subject: text, tags: [], createdAt: '2026-02-01T10:00:00Z' }, auth),
    },
    {
      route: 'support webhook (signed Zendesk event)', field: 'body/detail/subject',
      send: (text) => {
        const event = fixture('zendesk/ticket-created.json');
        event.detail.subject = text;
        const body = JSON.stringify(event);
        const timestamp = new Date().toISOString();
        const signature = createHmac('sha256', ZENDESK_SECRET).update(timestamp + body).digest('base64');
        return post('/api/webhooks/support', body, { 'x-zendesk-webhook-signature': signature, 'x-zendesk-webhook-signature-timestamp': timestamp });
      },
    },
    {
      route: 'import (JSON)', field: 'body/customers/0/name',
      send: (text) => post('/api/import', { customers: [{ externalId: 'c-1', name: text, arr: 1000, segment: 'smb', region: 'us' }] }, auth),
    },
    {
      route: 'outreach', field: 'body/note',
      send: (text) => post(`/api/incidents/${INCIDENT}/customers/${CUSTOMER}/outreach`, { status: 'sent', note: text }, auth),
    },
    { route: 'drafts', field: 'body/actor', send: (text) => post(`/api/incidents/${INCIDENT}/drafts`, { csmEmail: 'ana@example.com', actor: text }, auth) },
    { route: 'resolution emails', field: 'body/actor', send: (text) => post(`/api/incidents/${INCIDENT}/resolution-emails`, { csmEmail: 'ana@example.com', actor: text }, auth) },
    { route: 'follow-ups', field: 'body/csmEmail', send: (text) => post(`/api/incidents/${INCIDENT}/follow-ups`, { csmEmail: text }, auth) },
    { route: 'acknowledgements', field: 'body/csmEmail', send: (text) => post(`/api/incidents/${INCIDENT}/acknowledgements`, { csmEmail: text }, auth) },
  ];

  for (const r of routes) {
    test(`${r.route}: NUL and unpaired surrogates are a 400 naming ${r.field}; nothing is recorded`, async () => {
      for (const bad of BAD) {
        const res = await r.send(bad.text);
        assert.equal(res.statusCode, 400, `${bad.name}: ${res.body}`);
        assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
        const problem = res.json();
        assert.ok(problem.errors.some((e: { path: string; message: string }) => e.path === r.field && bad.says.test(e.message)), `${bad.name}: ${res.body}`);
      }
      assert.equal(await deliveries(), 0);
    });
  }

  test('import (CSV): a NUL in the file is a 400; nothing is imported', async () => {
    const csv = 'externalId,name,arr,segment,region\nc-1,Acme\u0000 Corp,1000,smb,us\n';
    const res = await h.app.inject({ method: 'POST', url: '/api/import?entity=customers', headers: { ...auth, 'content-type': 'text/csv' }, payload: csv });
    assert.equal(res.statusCode, 400, res.body);
    assert.match(res.json().detail, /body contains a NUL character/);
    assert.equal((await h.db.selectFrom('customers').select('id').execute()).length, 0);
  });

  test('a query string or path segment with a NUL is a 400, not a database error', async () => {
    const list = await h.app.inject({ method: 'GET', url: '/api/incidents?externalId=a%00b', headers: auth });
    assert.equal(list.statusCode, 400, list.body);
    assert.equal(list.json().errors[0].path, 'querystring/externalId');
    const queue = await h.app.inject({ method: 'GET', url: '/api/csms/ana%00%40example.com/queue', headers: auth });
    assert.equal(queue.statusCode, 400, queue.body);
  });

  test('Slack: a signed interaction or command carrying a NUL is a 400', async () => {
    const payload = JSON.stringify({ type: 'block_actions', user: { id: 'U1', username: 'ana\u0000' }, actions: [] });
    const form = new URLSearchParams({ payload }).toString();
    const click = await h.app.inject({ method: 'POST', url: '/api/slack/interactions', headers: slackHeaders(form), payload: form });
    assert.equal(click.statusCode, 400, click.body);
    assert.equal(click.json().errors[0].path, 'body/payload/user/username');
    const command = new URLSearchParams({ command: '/forewarn', text: 'queue\u0000', user_id: 'U1' }).toString();
    const res = await h.app.inject({ method: 'POST', url: '/api/slack/commands', headers: slackHeaders(command), payload: command });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().errors[0].path, 'body/text');
  });

  test('a number where the schema says text is refused, not turned into a string', async () => {
    const res = await post('/api/webhooks/incidents', genericBody(42), auth);
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(res.json().errors.map((e: { path: string }) => e.path), ['body/title']);
    const outreach = await post(`/api/incidents/${INCIDENT}/customers/${CUSTOMER}/outreach`, { status: 'sent', note: 7 }, auth);
    assert.equal(outreach.statusCode, 400, outreach.body);
    // Query strings are text by nature: numbers and booleans there are still read as such.
    const list = await h.app.inject({ method: 'GET', url: '/api/incidents?limit=5&active=true', headers: auth });
    assert.equal(list.statusCode, 200, list.body);
    assert.equal(list.json().limit, 5);
  });

  test('text/plain, form bodies and a body without a content type are 415 on JSON routes', async () => {
    const body = JSON.stringify(genericBody('Checkout errors'));
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const res = await h.app.inject({
        method: 'POST', url: '/api/webhooks/incidents', payload: body,
        headers: { ...auth, ...(contentType ? { 'content-type': contentType } : {}) },
      });
      assert.equal(res.statusCode, 415, `${contentType}: ${res.body}`);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      assert.match(res.json().detail, /application\/json/);
    }
    const form = await h.app.inject({ method: 'POST', url: `/api/incidents/${INCIDENT}/acknowledgements`, headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'csmEmail=a%40b.c' });
    assert.equal(form.statusCode, 415);
    // Slack's form routes take forms, and JSON there is the mismatch.
    const slackJson = await h.app.inject({ method: 'POST', url: '/api/slack/commands', headers: { 'content-type': 'application/json' }, payload: '{}' });
    assert.equal(slackJson.statusCode, 415);
    assert.equal(await deliveries(), 0);
  });

  test('PagerDuty: an unsigned body that is not JSON is 401; a signed one is 400', async () => {
    const body = '{"event": {"id": "x",';
    const unsigned = await post('/api/webhooks/pagerduty', body, { 'x-pagerduty-signature': 'v1=00' });
    assert.equal(unsigned.statusCode, 401, unsigned.body);
    const signed = await post('/api/webhooks/pagerduty', body, { 'x-pagerduty-signature': pagerdutySignature(body, PD_SECRETS) });
    assert.equal(signed.statusCode, 400, signed.body);
    assert.equal(signed.json().title, 'Invalid JSON');
  });

  test('the generic webhook checks the token before saying the JSON is invalid', async () => {
    const res = await post('/api/webhooks/incidents', '{"id":', { authorization: 'Bearer wrong-token-0123456789' });
    assert.equal(res.statusCode, 401);
    const ok = await post('/api/webhooks/incidents', '{"id":', { authorization: `Bearer ${API_TOKEN}` });
    assert.equal(ok.statusCode, 400);
  });

  test('/openapi.json is OpenAPI 3.0.3: no numeric exclusiveMinimum, no empty required lists, no null types', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.equal(doc.openapi, '3.0.3');
    const offenders: string[] = [];
    const walk = (v: unknown, at: string) => {
      if (!v || typeof v !== 'object') return;
      const o = v as Record<string, unknown>;
      if ('exclusiveMinimum' in o && typeof o.exclusiveMinimum !== 'boolean') offenders.push(`${at}/exclusiveMinimum`);
      if ('exclusiveMaximum' in o && typeof o.exclusiveMaximum !== 'boolean') offenders.push(`${at}/exclusiveMaximum`);
      if (Array.isArray(o.required) && o.required.length === 0) offenders.push(`${at}/required`);
      if (o.type === 'null' || Array.isArray(o.type) || 'const' in o) offenders.push(`${at}/type`);
      for (const [k, child] of Object.entries(o)) walk(child, `${at}/${k}`);
    };
    walk(doc.paths, '#/paths');
    assert.deepEqual(offenders, []);
  });
});
