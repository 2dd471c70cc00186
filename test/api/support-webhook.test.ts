import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import zendeskTicketCreated from '../fixtures/zendesk/ticket-created.json';
import { createTestDb, type TestDb } from '../helpers/db';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { workflowInbox } from '../helpers/workflow-history';

const SUPPORT_TOKEN = 'support-token-7a1d2c3b4e';
const API_TOKEN = 'api-token-0123456789abcdef';
const ZENDESK_SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
const env = {
  SUPPORT_WEBHOOK_TOKEN: SUPPORT_TOKEN, API_TOKENS: API_TOKEN, ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET,
  SUPPORT_SPIKE_THRESHOLD: '4', SUPPORT_SPIKE_WINDOW_MINUTES: '10', TEMPORAL_TASK_QUEUE: 'support-webhook-test',
};

const zendeskSignature = (timestamp: string, body: string, secret = ZENDESK_SECRET) =>
  createHmac('sha256', secret).update(timestamp + body).digest('base64');

describe('POST /api/webhooks/support', () => {
  let t: TestDb;
  let temporal: TestWorkflowEnvironment;
  let app: FastifyInstance;

  before(async () => {
    [t, temporal] = await Promise.all([createTestDb(), createTimeSkippingEnv()]);
    await t.db.insertInto('components').values([
      { key: 'api-gateway', name: 'API Gateway', ticket_tags: ['api', 'ticket-info-test-tag'], ticket_keywords: ['api gateway', '502'] },
      { key: 'login', name: 'Login', ticket_tags: ['sso'], ticket_keywords: ['login'] },
      { key: 'reports', name: 'Reports', ticket_tags: [], ticket_keywords: [] },
    ]).execute();
    app = await buildApp({ config: loadConfig(env), db: t.db, temporal: temporal.client });
  });
  after(async () => {
    await app?.close();
    await Promise.allSettled([temporal?.teardown(), t?.close()]);
  });

  const postJson = (body: unknown, headers: Record<string, string> = {}, target = app) => target.inject({
    method: 'POST', url: '/api/webhooks/support',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const bearer = (token = SUPPORT_TOKEN) => ({ authorization: `Bearer ${token}` });
  const delivery = (id: string) => t.db.selectFrom('webhook_deliveries').selectAll().where('source', '=', 'support').where('delivery_id', '=', id).executeTakeFirst();
  const ticketSignals = async (component: string) =>
    (await workflowInbox(temporal.client, `support-detector:${component}`))?.signals.filter((s) => s.name === 'supportTicket').map((s) => s.args[0] as Record<string, unknown>) ?? [];

  const ticket = (id: string, extra: Record<string, unknown> = {}) => ({
    ticketId: id, customerExternalId: 'acct-001', subject: 'Getting 502 from the API Gateway', tags: ['urgent'], createdAt: '2026-11-26T14:00:00Z', ...extra,
  });

  test('no credentials, or a wrong token: 401 and nothing recorded', async () => {
    const none = await postJson(ticket('T-0'));
    assert.equal(none.statusCode, 401);
    assert.equal(none.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.equal((await postJson(ticket('T-0'), bearer('wrong-token-xxxxxxxx'))).statusCode, 401);
    assert.equal(await delivery('ticket:T-0'), undefined);
  });

  test('a generic ticket reaches the spike detector of each component it matches', async () => {
    const res = await postJson(ticket('T-1', { subject: 'Login fails with 502 from the API gateway', tags: ['SSO'] }), bearer());
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), {
      status: 'accepted', deliveryId: 'ticket:T-1', components: ['api-gateway', 'login'],
      workflowIds: ['support-detector:api-gateway', 'support-detector:login'],
    });
    const expected = {
      ticketId: 'T-1', customerExternalId: 'acct-001', subject: 'Login fails with 502 from the API gateway', tags: ['SSO'],
      createdAt: '2026-11-26T14:00:00.000Z', components: ['api-gateway', 'login'],
    };
    assert.deepEqual(await ticketSignals('api-gateway'), [expected]);
    assert.deepEqual(await ticketSignals('login'), [expected]);
    const inbox = await workflowInbox(temporal.client, 'support-detector:api-gateway');
    assert.deepEqual(inbox!.input, [{ componentKey: 'api-gateway', threshold: 4, windowMinutes: 10 }], 'threshold and window come from the config');
    assert.equal((await delivery('ticket:T-1'))?.status, 'forwarded');
  });

  test('an API token is accepted too; the same ticket delivered twice reaches the detector once', async () => {
    assert.equal((await postJson(ticket('T-2', { tags: ['api'] }), bearer(API_TOKEN))).statusCode, 202);
    const again = await postJson(ticket('T-2', { tags: ['api'] }), bearer(API_TOKEN));
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().status, 'duplicate');
    assert.equal((await ticketSignals('api-gateway')).filter((s) => s.ticketId === 'T-2').length, 1);
  });

  test('a signed Zendesk ticket-created event is verified and forwarded (customer = organization)', async () => {
    const body = JSON.stringify(zendeskTicketCreated);
    const timestamp = new Date().toISOString();
    const res = await postJson(body, { 'x-zendesk-webhook-signature': zendeskSignature(timestamp, body), 'x-zendesk-webhook-signature-timestamp': timestamp });
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json().components, ['api-gateway']);
    const forwarded = (await ticketSignals('api-gateway')).find((s) => s.ticketId === '5158');
    assert.equal(forwarded?.customerExternalId, '8447346622462');
    const row = await delivery('zendesk:cbe4028c-7239-495d-b020-f22348516046');
    assert.equal(row?.raw_body, body);
  });

  test('Zendesk signatures that do not verify are refused', async () => {
    const body = JSON.stringify({ ...zendeskTicketCreated, id: 'other-event' });
    const timestamp = new Date().toISOString();
    const good = zendeskSignature(timestamp, body);
    const stale = new Date(Date.now() - 6 * 60_000).toISOString();
    const cases: [string, Record<string, string>, string][] = [
      ['wrong secret', { 'x-zendesk-webhook-signature': zendeskSignature(timestamp, body, 'another-secret'), 'x-zendesk-webhook-signature-timestamp': timestamp }, body],
      ['tampered body', { 'x-zendesk-webhook-signature': good, 'x-zendesk-webhook-signature-timestamp': timestamp }, body.replace('5158', '5159')],
      ['other timestamp', { 'x-zendesk-webhook-signature': good, 'x-zendesk-webhook-signature-timestamp': new Date(Date.now() + 1000).toISOString() }, body],
      ['no timestamp', { 'x-zendesk-webhook-signature': good }, body],
      // Correctly signed, but 6 minutes old: a replay.
      ['stale timestamp', { 'x-zendesk-webhook-signature': zendeskSignature(stale, body), 'x-zendesk-webhook-signature-timestamp': stale }, body],
    ];
    for (const [name, headers, payload] of cases) {
      const res = await postJson(payload, headers);
      assert.equal(res.statusCode, 401, name);
      assert.equal(res.json().title, 'Unauthorized', name);
      if (name === 'stale timestamp') assert.match(res.json().detail, /more than 5 minutes/);
    }
    assert.equal(await delivery('zendesk:other-event'), undefined);
  });

  test('a Zendesk signature cannot be checked without ZENDESK_WEBHOOK_SECRET: refused with the reason', async () => {
    const noSecret = await buildApp({ config: loadConfig({ ...env, ZENDESK_WEBHOOK_SECRET: '' }), db: t.db, temporal: temporal.client });
    try {
      const body = JSON.stringify(zendeskTicketCreated);
      const res = await postJson(body, { 'x-zendesk-webhook-signature': zendeskSignature('x', body), 'x-zendesk-webhook-signature-timestamp': 'x' }, noSecret);
      assert.equal(res.statusCode, 401);
      assert.match(res.json().detail, /ZENDESK_WEBHOOK_SECRET is not configured/);
      // Zendesk's own bearer-token authentication works without a signing secret.
      const viaToken = await postJson({ ...zendeskTicketCreated, id: 'evt-token-auth', detail: { ...zendeskTicketCreated.detail, id: '6001' } }, bearer(), noSecret);
      assert.equal(viaToken.statusCode, 202);
    } finally {
      await noSecret.close();
    }
  });

  test('a ticket that matches no component is recorded and ignored; other Zendesk events too', async () => {
    const res = await postJson(ticket('T-3', { subject: 'How do I export a PDF?', tags: ['question'] }), bearer());
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, 'ignored');
    assert.match(res.json().reason, /matched no component/);
    assert.equal((await delivery('ticket:T-3'))?.status, 'ignored');

    const statusChanged = await postJson({ ...zendeskTicketCreated, id: 'evt-status', type: 'zen:event-type:ticket.status_changed' }, bearer());
    assert.equal(statusChanged.statusCode, 200);
    assert.equal(statusChanged.json().status, 'ignored');
    assert.equal((await delivery('zendesk:evt-status'))?.status, 'ignored');
  });

  test('bad tickets get problem+json naming each field; nothing is recorded', async () => {
    const res = await postJson({ ticketId: 'T-4', subject: 7, tags: 'ok', createdAt: 'tomorrow' }, bearer());
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.deepEqual(res.json().errors.map((e: { path: string }) => e.path), ['body/customerExternalId', 'body/subject', 'body/createdAt']);
    assert.equal(await delivery('ticket:T-4'), undefined);
    const notJson = await postJson('{"ticketId": ', bearer());
    assert.equal(notJson.statusCode, 400);
    const array = await postJson([ticket('T-5')], bearer());
    assert.equal(array.statusCode, 400);
  });

  test('when Temporal is down: 503 and the ticket stays on record for the retry', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' });
    const down = await buildApp({ config: loadConfig(env), db: t.db, temporal: new Client({ connection }) });
    try {
      const res = await postJson(ticket('T-6', { tags: ['api'] }), bearer(), down);
      assert.equal(res.statusCode, 503);
      assert.equal((await delivery('ticket:T-6'))?.status, 'failed');
      const retry = await postJson(ticket('T-6', { tags: ['api'] }), bearer());
      assert.equal(retry.statusCode, 202);
      assert.equal((await ticketSignals('api-gateway')).filter((s) => s.ticketId === 'T-6').length, 1);
    } finally {
      await down.close();
      await connection.close().catch(() => {});
    }
  });
});
