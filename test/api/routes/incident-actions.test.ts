import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { incidentIdFor } from '../../../domain/incident-state';
import type { IncidentEvent } from '../../../domain/types';
import { receivedEventsQuery } from '../support/fake-incident.workflow';
import { auth, startHarness, type Harness } from '../support/harness';
import { waitThroughErrors } from '../../helpers/wait-for';
import { seedBase, seedIncident } from '../support/seed';

const OPEN = '11111111-1111-4111-8111-111111111111';
const RESOLVED = '22222222-2222-4222-8222-222222222222';
const DISMISSED = '33333333-3333-4333-8333-333333333333';
const UNKNOWN = '99999999-9999-4999-8999-999999999999';

describe('incident actions: declare, change, resolve', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ temporal: 'dev' });
    await seedBase(h.db);
    await seedIncident(h.db, { id: OPEN, externalId: 'PD-OPEN', status: 'identified' });
    await seedIncident(h.db, { id: RESOLVED, externalId: 'PD-DONE', status: 'resolved', resolvedAt: '2026-01-29T21:00:00Z' });
    await seedIncident(h.db, { id: DISMISSED, source: 'support', externalId: 'api-gateway-1', status: 'dismissed' });
  });
  after(async () => { await h?.close(); });

  const post = (url: string, payload?: unknown, headers: Record<string, string> = auth) => h.app.inject({ method: 'POST', url, headers, payload: payload as object });

  test('declaring: the event reaches the manual incident\'s workflow, with the person as actor', async () => {
    const res = await post('/api/incidents', { id: 'war-1', title: 'Checkout down', severity: 'P1', affectedComponents: ['Pipeline'], actor: 'ana@corp.example' });
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), {
      status: 'accepted', workflowId: 'incident:manual:war-1', incidentId: incidentIdFor('incident:manual:war-1'), externalId: 'war-1',
      joined: false, title: 'Checkout down',
    });
    const events = await waitThroughErrors('the event delivered', async () => {
      const got = await h.temporal.workflow.getHandle('incident:manual:war-1').query(receivedEventsQuery);
      return got.length ? got : undefined;
    }, 10_000);
    const e: IncidentEvent = events[0]!;
    assert.deepEqual([e.source, e.externalId, e.status, e.severity, e.components, e.actor], ['manual', 'war-1', 'investigating', 'P1', ['data-pipeline'], 'ana@corp.example (via API_TOKENS bootstrap token)']);
    const audit = await h.app.inject({ method: 'GET', url: '/api/audit?action=incident.declared', headers: auth });
    const [entry] = audit.json().items;
    assert.equal(entry.incidentId, incidentIdFor('incident:manual:war-1'));
    assert.equal(entry.actor.name, 'API_TOKENS bootstrap token');
    assert.equal(entry.detail.onBehalfOf, 'ana@corp.example');
  });

  test('declaring refuses what the generic webhook refuses, and asks for a token', async () => {
    assert.equal((await post('/api/incidents', { title: 'x', severity: 'P1', affectedComponents: ['api-gateway'] }, {})).statusCode, 401);
    const missing = await post('/api/incidents', { severity: 'P1', affectedComponents: ['api-gateway'] });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().detail, /title/);
    assert.equal((await post('/api/incidents', { title: 'x', severity: 'P9', affectedComponents: ['api-gateway'] })).statusCode, 400);
    assert.equal((await post('/api/incidents', { title: 'x', severity: 'P1', affectedComponents: [] })).statusCode, 400);
    assert.equal((await post('/api/incidents', { title: 'x', severity: 'P1', affectedComponents: ['api-gateway'], status: 'dismissed' })).statusCode, 400);
    const unknown = await post('/api/incidents', { title: 'x', severity: 'P1', affectedComponents: ['warp-drive'] });
    assert.equal(unknown.statusCode, 422);
    assert.match(unknown.json().detail, /"warp-drive".*Known components: api-gateway, data-pipeline/);
    const backwards = await post('/api/incidents', {
      title: 'x', severity: 'P1', affectedComponents: ['api-gateway'], status: 'resolved', startedAt: '2026-01-29T20:00:00Z', resolvedAt: '2026-01-29T19:00:00Z',
    });
    assert.equal(backwards.statusCode, 422);
  });

  test('changing and resolving: 202 for an open incident, the workflow hears it as an event', async () => {
    const patched = await h.app.inject({ method: 'PATCH', url: `/api/incidents/${OPEN}`, headers: auth, payload: { severity: 'P2', actor: 'ben@corp.example' } });
    assert.equal(patched.statusCode, 202, patched.body);
    const resolved = await post(`/api/incidents/${OPEN}/resolve`);
    assert.equal(resolved.statusCode, 202, resolved.body);
    assert.equal(resolved.json().incidentId, OPEN);
    const events = await waitThroughErrors('both events delivered', async () => {
      const got = await h.temporal.workflow.getHandle('incident:pagerduty:PD-OPEN').query(receivedEventsQuery);
      return got.length === 2 ? got : undefined;
    }, 10_000);
    assert.deepEqual(events.map((e) => [e.source, e.externalId, e.severity, e.status, e.actor]), [
      ['pagerduty', 'PD-OPEN', 'P2', undefined, 'ben@corp.example (via API_TOKENS bootstrap token)'],
      ['pagerduty', 'PD-OPEN', undefined, 'resolved', 'API_TOKENS bootstrap token'],
    ]);
  });

  test('4xx: unknown incident, bad bodies, resolved or dismissed incidents, with the reason', async () => {
    assert.equal((await post(`/api/incidents/${UNKNOWN}/resolve`)).statusCode, 404);
    assert.equal((await post('/api/incidents/not-a-uuid/resolve')).statusCode, 400);
    assert.equal((await post(`/api/incidents/${OPEN}/resolve`, undefined, {})).statusCode, 401);
    assert.equal((await post(`/api/incidents/${OPEN}/resolve`, { unexpected: true })).statusCode, 400);
    const patch = (id: string, payload: unknown) => h.app.inject({ method: 'PATCH', url: `/api/incidents/${id}`, headers: auth, payload: payload as object });
    assert.equal((await patch(OPEN, {})).statusCode, 400, 'an empty change');
    assert.equal((await patch(OPEN, { status: 'dismissed' })).statusCode, 400, 'dismissing has its own route');
    assert.equal((await patch(OPEN, { severity: 'P0' })).statusCode, 400);
    assert.equal((await patch(UNKNOWN, { severity: 'P2' })).statusCode, 404);

    const again = await post(`/api/incidents/${RESOLVED}/resolve`);
    assert.equal(again.statusCode, 409);
    assert.match(again.json().detail, /already resolved/);
    const severity = await patch(RESOLVED, { severity: 'P1' });
    assert.equal(severity.statusCode, 409);
    assert.match(severity.json().detail, /reopen it first/);
    const dismissed = await post(`/api/incidents/${DISMISSED}/resolve`);
    assert.equal(dismissed.statusCode, 409);
    assert.match(dismissed.json().detail, /dismissed as a false alarm/);
  });

  test('dismiss 4xx: only a suspected incident, with the reason otherwise', async () => {
    assert.equal((await post(`/api/incidents/${UNKNOWN}/dismiss`)).statusCode, 404);
    assert.equal((await post(`/api/incidents/${OPEN}/dismiss`, undefined, {})).statusCode, 401);
    assert.equal((await post(`/api/incidents/${OPEN}/dismiss`, { reason: 42 })).statusCode, 400);
    const confirmed = await post(`/api/incidents/${OPEN}/dismiss`);
    assert.equal(confirmed.statusCode, 409);
    assert.match(confirmed.json().detail, /is a confirmed incident \(pagerduty, P\d, \w+\), not a suspected one: resolve it instead/);
    assert.match((await post(`/api/incidents/${RESOLVED}/dismiss`)).json().detail, /is resolved: there is nothing to dismiss/);
    const twice = await post(`/api/incidents/${DISMISSED}/dismiss`);
    assert.equal(twice.statusCode, 409);
    assert.match(twice.json().detail, /already dismissed/);
  });
});
