/**
 * The one forwarding path (db/deliveries.ts) on a real database, with a stand-in for the Temporal client
 * that counts signalWithStart calls: what a sender retrying, a delivery in flight twice, a deadline that
 * passed and a workflow engine that is down each lead to.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { DeliveryUnavailableError, forwardDelivery, STALE_CLAIM_SECONDS, type DeliveryDeps, type WorkflowStart } from '../../db/deliveries';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { seedIncident } from '../api/support/seed';

/** A Temporal client whose signalWithStart waits for `hold` (if given), then succeeds or throws what `fail` says. */
function fakeTemporal(opts: { hold?: Promise<unknown>; fail?: (workflowId: string) => Error | undefined } = {}) {
  const calls: string[] = [];
  const temporal = {
    workflow: {
      signalWithStart: async (_type: string, options: { workflowId: string }) => {
        calls.push(options.workflowId);
        await opts.hold;
        const err = opts.fail?.(options.workflowId);
        if (err) throw err;
        return {};
      },
    },
    connection: {
      withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
      withAbortSignal: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn(),
    },
  } as unknown as DeliveryDeps['temporal'];
  return { temporal, calls };
}

const start = (workflowId: string): WorkflowStart => ({ workflowType: 'incidentWorkflow', options: { workflowId, taskQueue: 'q', args: [], signal: 'incidentEvent', signalArgs: [] } as never });

describe('forwardDelivery', () => {
  let t: TestDb;
  before(async () => { t = await createTestDb(); });
  after(async () => {
    await t?.close();
    await stopTestPostgres();
  });

  const row = (deliveryId: string) => t.db.selectFrom('webhook_deliveries').selectAll().where('source', '=', 'test').where('delivery_id', '=', deliveryId).executeTakeFirstOrThrow();
  const delivery = (deliveryId: string) => ({ source: 'test', deliveryId, rawBody: `{"id":"${deliveryId}"}`, headers: { via: 'test' } });

  test('a delivery is recorded, signalled once and marked forwarded; the same delivery again signals nothing', async () => {
    const { temporal, calls } = fakeTemporal();
    const first = await forwardDelivery({ db: t.db, temporal }, delivery('d1'), [start('incident:test:1')]);
    assert.deepEqual(first, { status: 'forwarded', workflowIds: ['incident:test:1'], closed: [] });
    const again = await forwardDelivery({ db: t.db, temporal }, delivery('d1'), [start('incident:test:1')]);
    assert.equal(again.status, 'duplicate');
    assert.deepEqual(again.workflowIds, ['incident:test:1']);
    assert.deepEqual(calls, ['incident:test:1']);
    const r = await row('d1');
    assert.equal(r.status, 'forwarded');
    assert.equal(r.raw_body, '{"id":"d1"}');
  });

  test('the same delivery in flight twice at once signals the workflow once', async () => {
    // The signal is held until the other four requests have their answer: they are certain to arrive while it is in flight.
    let release = () => {};
    const { temporal, calls } = fakeTemporal({ hold: new Promise<void>((r) => { release = r; }) });
    const requests = Array.from({ length: 5 }, () => forwardDelivery({ db: t.db, temporal }, delivery('d2'), [start('incident:test:2')]));
    const answered: string[] = [];
    for (const r of requests) void r.then((x) => { answered.push(x.status); if (answered.length === 4) release(); });
    // Should a second request signal too (the bug this guards against), nothing would answer: let go after 10 s.
    const safety = setTimeout(release, 10_000);
    const results = await Promise.all(requests);
    clearTimeout(safety);
    assert.deepEqual(calls, ['incident:test:2']);
    assert.deepEqual(answered.slice(0, 4), ['in_flight', 'in_flight', 'in_flight', 'in_flight']);
    assert.deepEqual(results.map((r) => r.status).sort(), ['forwarded', 'in_flight', 'in_flight', 'in_flight', 'in_flight']);
    assert.equal((await row('d2')).status, 'forwarded');
  });

  test('when the workflow engine is down the delivery is kept as failed, and the retry forwards it', async () => {
    let down = true;
    const { temporal, calls } = fakeTemporal({ fail: () => (down ? Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED'), { name: 'ServiceError' }) : undefined) });
    await assert.rejects(forwardDelivery({ db: t.db, temporal }, delivery('d3'), [start('incident:test:3')]), DeliveryUnavailableError);
    const failed = await row('d3');
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /UNAVAILABLE/);
    down = false;
    const retry = await forwardDelivery({ db: t.db, temporal }, delivery('d3'), [start('incident:test:3')]);
    assert.equal(retry.status, 'forwarded');
    assert.equal(calls.length, 2);
  });

  test('a request past its deadline signals nothing: it is released as failed for the sender\'s retry', async () => {
    const { temporal, calls } = fakeTemporal();
    await assert.rejects(
      forwardDelivery({ db: t.db, temporal }, delivery('d4'), [start('incident:test:4')], { deadline: Date.now() - 1 }),
      /deadline passed/,
    );
    assert.deepEqual(calls, []);
    assert.equal((await row('d4')).status, 'failed');
    assert.equal((await forwardDelivery({ db: t.db, temporal }, delivery('d4'), [start('incident:test:4')])).status, 'forwarded');
  });

  test('a claim left by a process that died is taken over once stale, not before', async () => {
    const { temporal, calls } = fakeTemporal();
    await t.db.insertInto('webhook_deliveries').values({ source: 'test', delivery_id: 'd5', raw_body: '{}', status: 'forwarding', claimed_at: new Date() }).execute();
    assert.equal((await forwardDelivery({ db: t.db, temporal }, delivery('d5'), [start('incident:test:5')])).status, 'in_flight');
    await t.db.updateTable('webhook_deliveries').set({ claimed_at: sql`now() - make_interval(secs => ${STALE_CLAIM_SECONDS + 1})` })
      .where('delivery_id', '=', 'd5').execute();
    assert.equal((await forwardDelivery({ db: t.db, temporal }, delivery('d5'), [start('incident:test:5')])).status, 'forwarded');
    assert.deepEqual(calls, ['incident:test:5']);
  });

  test('nothing to signal: recorded as ignored with the reason; a finished workflow: recorded, not applied', async () => {
    const { temporal } = fakeTemporal({ fail: () => Object.assign(new Error('already started'), { name: 'WorkflowExecutionAlreadyStartedError' }) });
    const ignored = await forwardDelivery({ db: t.db, temporal }, delivery('d6'), [], { ignoredReason: 'event type not used' });
    assert.equal(ignored.status, 'ignored');
    assert.equal((await row('d6')).error, 'event type not used');
    const late = await forwardDelivery({ db: t.db, temporal }, delivery('d7'), [start('incident:test:7')]);
    assert.deepEqual(late, { status: 'ignored', workflowIds: ['incident:test:7'], closed: ['incident:test:7'] });
    assert.equal((await row('d7')).status, 'ignored');
  });

  test('an event for an incident merged a moment ago follows the merge to the incident that absorbed it (and its own merge)', async () => {
    // B was merged into C, C into D; B and C have finished. Only D still runs.
    for (const x of ['B', 'C', 'D']) await seedIncident(t.db, { id: randomUUID(), externalId: `M${x}`, source: 'test' });
    await t.db.updateTable('product_incidents').set({ merged_into: 'incident:test:MC', merged_at: new Date() }).where('workflow_id', '=', 'incident:test:MB').execute();
    await t.db.updateTable('product_incidents').set({ merged_into: 'incident:test:MD', merged_at: new Date() }).where('workflow_id', '=', 'incident:test:MC').execute();
    const finished = new Set(['incident:test:MB', 'incident:test:MC']);
    const { temporal, calls } = fakeTemporal({ fail: (id) => (finished.has(id) ? Object.assign(new Error('already started'), { name: 'WorkflowExecutionAlreadyStartedError' }) : undefined) });
    const result = await forwardDelivery({ db: t.db, temporal }, delivery('d8'), [start('incident:test:MB')]);
    assert.deepEqual(result, { status: 'forwarded', workflowIds: ['incident:test:MD'], closed: [] });
    assert.deepEqual(calls, ['incident:test:MB', 'incident:test:MC', 'incident:test:MD']);
    assert.deepEqual([(await row('d8')).status, (await row('d8')).workflow_id], ['forwarded', 'incident:test:MD']);
    // Once D has finished too, the event is recorded and not applied, as for any finished incident.
    finished.add('incident:test:MD');
    const late = await forwardDelivery({ db: t.db, temporal }, delivery('d9'), [start('incident:test:MB')]);
    assert.deepEqual(late, { status: 'ignored', workflowIds: ['incident:test:MB'], closed: ['incident:test:MB'] });
  });
});
