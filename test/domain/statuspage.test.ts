import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import webhookIncident from '../fixtures/statuspage/webhook-incident-update.json';
import webhookComponent from '../fixtures/statuspage/webhook-component-update.json';
import unresolvedList from '../fixtures/statuspage/status-api-incidents-unresolved.json';
import recentList from '../fixtures/statuspage/status-api-incidents.json';
import {
  mergeStatuspageIncidents, normalizeStatuspageIncident, parseStatuspageIncidentList, parseStatuspageWebhook,
  selectStatuspageChanges, statuspageDeliveryId, StatuspagePayloadError, type StatuspageIncident,
} from '../../domain/sources/statuspage';

const clone = <T>(v: T): T => structuredClone(v);
const noAliases = new Map<string, string[]>();

describe('Statuspage webhook normalization', () => {
  test('the documented incident update becomes one P1 event with the latest update as message', () => {
    const parsed = parseStatuspageWebhook(clone(webhookIncident));
    assert.equal(parsed.kind, 'incident');
    const event = normalizeStatuspageIncident((parsed as { incident: StatuspageIncident }).incident, noAliases)!;
    assert.deepEqual(event, {
      source: 'statuspage',
      externalId: 'lbkhbwn21v5q',
      title: 'Virginia Is Down',
      status: 'monitoring',
      reopens: true,
      severity: 'P1',
      components: [],
      // 2013-05-29T16:30:35-06:00 in UTC
      occurredAt: '2013-05-29T22:30:35.000Z',
      deliveryId: 'lbkhbwn21v5q@2013-05-29T22:30:35.000Z/drfcwbnpxnr6',
      startedAt: '2013-05-29T21:08:51.000Z',
      statusPageUrl: 'http://j.mp/18zyDQx',
      message: 'A fix has been implemented and we are monitoring the results.',
    });
  });

  test('the latest update wins whatever order the updates are listed in', () => {
    const payload = clone(webhookIncident);
    payload.incident.incident_updates.reverse();
    const event = normalizeStatuspageIncident((parseStatuspageWebhook(payload) as { incident: StatuspageIncident }).incident, noAliases)!;
    assert.equal(event.message, 'A fix has been implemented and we are monitoring the results.');
  });

  test('components map through aliases; ids without an alias are left out', () => {
    const incident = { ...clone(webhookIncident.incident), components: [{ id: 'b13yz5g2cw10', name: 'API' }, { id: 'unmapped1', name: 'Blog' }] };
    const event = normalizeStatuspageIncident(incident, new Map([['b13yz5g2cw10', ['api-gateway']]]))!;
    assert.deepEqual(event.components, ['api-gateway']);
  });

  test('affected_components of updates count too, and two ids for one component give it once', () => {
    const incident: StatuspageIncident = {
      ...clone(webhookIncident.incident),
      components: [{ id: 'a1' }],
      incident_updates: [{ body: 'x', created_at: '2013-05-29T16:07:53-06:00', affected_components: [{ code: 'b2', name: 'Auth' }] }],
    };
    const event = normalizeStatuspageIncident(incident, new Map([['a1', ['login']], ['b2', ['login', 'sso']]]))!;
    assert.deepEqual(event.components, ['login', 'sso']);
  });

  test('status and impact mapping', () => {
    const base = clone(webhookIncident.incident);
    const map = (status: string, impact: string) => normalizeStatuspageIncident({ ...base, status, impact }, noAliases);
    assert.equal(map('investigating', 'major')!.severity, 'P2');
    assert.equal(map('identified', 'minor')!.severity, 'P3');
    assert.equal(map('identified', 'none')!.severity, 'P4');
    assert.equal(map('postmortem', 'major')!.status, 'resolved');
    assert.equal(map('completed', 'maintenance')!.status, 'resolved');
    assert.equal(map('in_progress', 'maintenance')!.status, 'identified');
    assert.equal(map('scheduled', 'maintenance'), null, 'a maintenance that has not started is no incident');
    // impact_override, set in the management UI, wins over the computed impact
    assert.equal(normalizeStatuspageIncident({ ...base, impact: 'minor', impact_override: 'critical' }, noAliases)!.severity, 'P1');
  });

  test('a resolved incident carries its resolution time', () => {
    const resolved = normalizeStatuspageIncident({ ...clone(webhookIncident.incident), status: 'resolved', resolved_at: '2013-05-29T17:00:00-06:00' }, noAliases)!;
    assert.equal(resolved.resolvedAt, '2013-05-29T23:00:00.000Z');
  });

  test('a component status change is recognised as such (no incident)', () => {
    assert.deepEqual(parseStatuspageWebhook(clone(webhookComponent)), {
      kind: 'component', componentUpdateId: 'k7730b5v92bv', componentId: 'rb5wq1dczvbm', newStatus: 'operational',
    });
  });

  test('unusable payloads are refused with every offending field named', () => {
    const err = (() => { try { parseStatuspageWebhook({ incident: { name: 'x', status: 'exploded', updated_at: 'yesterday' } }); } catch (e) { return e; } })();
    assert.ok(err instanceof StatuspagePayloadError);
    assert.deepEqual(err.errors.map((e) => e.path).sort(), ['incident/id', 'incident/updated_at']);
    assert.throws(() => parseStatuspageWebhook({ incident: { ...webhookIncident.incident, status: 'exploded' } }), /Unknown Statuspage incident status "exploded"/);
    assert.throws(() => parseStatuspageWebhook({ incident: { ...webhookIncident.incident, impact: 'apocalyptic' } }), /Unknown Statuspage impact/);
    assert.throws(() => parseStatuspageWebhook({ page: {} }), /incident or component update/);
    assert.throws(() => parseStatuspageWebhook([]), /JSON object/);
  });
});

describe('Status API v2 and the sync selection', () => {
  const unresolved = parseStatuspageIncidentList(clone(unresolvedList)).incidents;
  const recent = parseStatuspageIncidentList(clone(recentList)).incidents;

  test('the documented lists read; unresolved and recent merge to one entry per incident', () => {
    const merged = mergeStatuspageIncidents(unresolved, recent);
    assert.deepEqual(merged.map((i) => i.id).sort(), ['2z5g29qrrxvl', 'cp306tmzcl0y']);
    const event = normalizeStatuspageIncident(merged.find((i) => i.id === 'cp306tmzcl0y')!, noAliases)!;
    assert.equal(event.severity, 'P1');
    assert.equal(event.status, 'identified');
    assert.match(event.message!, /ham sandwiches/);
  });

  test('the same version gets the same delivery id from the webhook and from the API (offsets and milliseconds aside)', () => {
    assert.equal(statuspageDeliveryId({ id: 'x', updated_at: '2014-05-14T14:35:21.711-06:00' }), statuspageDeliveryId({ id: 'x', updated_at: '2014-05-14T20:35:21Z' }));
    assert.notEqual(statuspageDeliveryId({ id: 'x', updated_at: '2014-05-14T20:35:21Z' }), statuspageDeliveryId({ id: 'x', updated_at: '2014-05-14T20:35:22Z' }));
  });

  test('identified and resolved within one second are two versions, not one delivered twice', () => {
    const update = (id: string, status: string) => ({ id, status, body: status, created_at: '2014-05-14T20:35:21.100Z', display_at: '2014-05-14T20:35:21.100Z' });
    const identified = { id: 'x', updated_at: '2014-05-14T20:35:21.100Z', incident_updates: [update('u1', 'identified')] };
    const resolved = { id: 'x', updated_at: '2014-05-14T20:35:21.900Z', incident_updates: [update('u1', 'identified'), { ...update('u2', 'resolved'), display_at: '2014-05-14T20:35:21.800Z' }] };
    assert.notEqual(statuspageDeliveryId(identified), statuspageDeliveryId(resolved));
    assert.equal(statuspageDeliveryId(resolved), statuspageDeliveryId({ ...resolved, updated_at: '2014-05-14T14:35:21-06:00', incident_updates: [...resolved.incident_updates].reverse() }));
  });

  test('a list with one unreadable incident keeps the others and says which was set aside', () => {
    const body = clone(recentList);
    (body.incidents[1] as Record<string, unknown>).status = 'weird';
    const { incidents, rejected } = parseStatuspageIncidentList(body);
    assert.deepEqual(incidents.map((i) => i.id), ['cp306tmzcl0y']);
    assert.equal(rejected[0].path, 'incidents/1');
    assert.throws(() => parseStatuspageIncidentList({ page: {} }), /incidents/);
  });

  const now = new Date('2014-05-14T20:40:00Z');
  const lookback = 10 * 60_000;
  const select = (recorded: [string, string][], followed: string[] = [], incidents = mergeStatuspageIncidents(unresolved, recent)) =>
    selectStatuspageChanges({ incidents, recorded: new Map(recorded), followed: new Set(followed), now, resolvedLookbackMs: lookback });

  test('first sync: the open incident is news; an old resolved one Forewarn never followed is not', () => {
    const { changed, skipped } = select([]);
    assert.deepEqual(changed.map((i) => i.id), ['cp306tmzcl0y']);
    assert.deepEqual(skipped, [{ id: '2z5g29qrrxvl', reason: 'resolved_before_followed' }]);
  });

  test('a version already forwarded (by the webhook or an earlier sync) is not forwarded again', () => {
    const open = unresolved[0];
    assert.deepEqual(select([[statuspageDeliveryId(open), 'forwarded']]).changed, []);
  });

  test('a version recorded but never forwarded (Temporal was down) is forwarded by the sync', () => {
    const open = unresolved[0];
    assert.deepEqual(select([[statuspageDeliveryId(open), 'failed']]).changed.map((i) => i.id), ['cp306tmzcl0y']);
  });

  test('a changed version of a followed incident is news, also once it is resolved', () => {
    const open = unresolved[0];
    const resolvedLater = { ...open, status: 'resolved', resolved_at: '2014-05-14T14:39:00-06:00', updated_at: '2014-05-14T14:39:00-06:00' };
    const { changed } = select([[statuspageDeliveryId(open), 'forwarded']], [open.id], [resolvedLater]);
    assert.deepEqual(changed.map((i) => i.updated_at), ['2014-05-14T14:39:00-06:00']);
  });

  test('an incident opened and resolved between two ticks is still news within the lookback', () => {
    const brief = { ...recent[1], id: 'shortone', updated_at: '2014-05-14T20:35:00Z' };
    assert.deepEqual(select([], [], [brief]).changed.map((i) => i.id), ['shortone']);
  });
});
