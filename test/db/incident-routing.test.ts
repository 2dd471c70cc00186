/**
 * Correlation at ingest (db/incident-routing.ts) on a real database: the routing rule's cases, and the
 * race it exists for — concurrent first events of different source incidents for one component end in
 * one incident, every time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { routeIncidentEvent } from '../../db/incident-routing';
import type { IncidentEvent, IncidentSource } from '../../domain/types';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';

const SOURCES: IncidentSource[] = ['pagerduty', 'opsgenie', 'statuspage', 'generic'];
let n = 0;
function ev(source: IncidentSource, externalId: string, over: Partial<IncidentEvent> = {}): IncidentEvent {
  return { source, externalId, status: 'investigating', components: ['checkout'], occurredAt: new Date().toISOString(), deliveryId: `d-${++n}`, ...over };
}

describe('incident routing', () => {
  let t: TestDb;
  const opts = { windowMinutes: 30 };
  before(async () => { t = await createTestDb(); });
  after(async () => {
    await t?.close();
    await stopTestPostgres();
  });

  test('new, then the same source incident, then another on the component, then one on another component', async () => {
    assert.deepEqual(await routeIncidentEvent(t.db, ev('opsgenie', 'og-1'), opts), { workflowId: 'incident:opsgenie:og-1', how: 'new' });
    assert.deepEqual(await routeIncidentEvent(t.db, ev('opsgenie', 'og-1', { status: 'identified' }), opts), { workflowId: 'incident:opsgenie:og-1', how: 'route' });
    assert.deepEqual(await routeIncidentEvent(t.db, ev('statuspage', 'sp1aaaaaaaaa'), opts), { workflowId: 'incident:opsgenie:og-1', how: 'component' });
    assert.equal((await routeIncidentEvent(t.db, ev('pagerduty', 'PX', { components: ['search'] }), opts)).how, 'new');
    const route = await t.db.selectFrom('incident_routes').selectAll().where('external_id', '=', 'og-1').executeTakeFirstOrThrow();
    assert.equal(route.status, 'identified');
  });

  test('an explicit reference links across components and beyond the window', async () => {
    await routeIncidentEvent(t.db, ev('opsgenie', 'og-ref', { components: ['payments'], references: ['statuspage:p31zjtct2jer'] }), opts);
    await sql`update incident_routes set last_activity_at = now() - interval '3 hours' where external_id = 'og-ref'`.execute(t.db);
    assert.deepEqual(await routeIncidentEvent(t.db, ev('statuspage', 'p31zjtct2jer', { components: ['ledger'] }), opts), { workflowId: 'incident:opsgenie:og-ref', how: 'reference' });
  });

  test('no joining an incident past the window, resolved, or resolved by all its real sources', async () => {
    await routeIncidentEvent(t.db, ev('pagerduty', 'old', { components: ['mail'] }), opts);
    await sql`update incident_routes set last_activity_at = now() - interval '31 minutes' where external_id = 'old'`.execute(t.db);
    assert.equal((await routeIncidentEvent(t.db, ev('opsgenie', 'after-window', { components: ['mail'] }), opts)).how, 'new');

    await routeIncidentEvent(t.db, ev('pagerduty', 'done', { components: ['sms'] }), opts);
    await routeIncidentEvent(t.db, ev('pagerduty', 'done', { status: 'resolved' }), opts);
    assert.equal((await routeIncidentEvent(t.db, ev('opsgenie', 'after-resolution', { components: ['sms'] }), opts)).how, 'new');

    await routeIncidentEvent(t.db, ev('generic', 'closed', { components: ['push'] }), opts);
    await t.db.insertInto('product_incidents').values({
      id: '00000000-0000-8000-8000-000000000001', source: 'generic', external_id: 'closed', workflow_id: 'incident:generic:closed', title: 'x',
      severity: 'P2', status: 'resolved', started_at: new Date(),
    }).execute();
    assert.equal((await routeIncidentEvent(t.db, ev('opsgenie', 'after-closed', { components: ['push'] }), opts)).how, 'new');
  });

  test('a support spike joins no incident when asked for a note, and a real incident joins the spike\'s', async () => {
    await routeIncidentEvent(t.db, ev('pagerduty', 'open-on-api', { components: ['api'] }), opts);
    const spike = await routeIncidentEvent(t.db, ev('support', 'api-1', { components: ['api'] }), { ...opts, join: 'note' });
    assert.deepEqual(spike, { workflowId: 'incident:pagerduty:open-on-api', how: 'component' });
    assert.equal((await t.db.selectFrom('incident_routes').select('source').where('external_id', '=', 'api-1').execute()).length, 0, 'no route for a note');

    assert.equal((await routeIncidentEvent(t.db, ev('support', 'cdn-1', { components: ['cdn'] }), { ...opts, join: 'note' })).how, 'new');
    assert.deepEqual(await routeIncidentEvent(t.db, ev('opsgenie', 'cdn-alert', { components: ['cdn'], severity: 'P1' }), opts), { workflowId: 'incident:support:cdn-1', how: 'component' });
  });

  test('20 concurrent first events from different sources for one component: one incident, 20 times over', async () => {
    for (let round = 0; round < 20; round++) {
      const component = `race-${round}`;
      const choices = await Promise.all(Array.from({ length: 20 }, (_, i) => routeIncidentEvent(t.db, ev(SOURCES[i % SOURCES.length]!, `r${round}-${i}`, { components: [component] }), opts)));
      assert.equal(new Set(choices.map((c) => c.workflowId)).size, 1, `round ${round}: one incident`);
      assert.equal(choices.filter((c) => c.how === 'new').length, 1, `round ${round}: opened once`);
    }
  });
});
