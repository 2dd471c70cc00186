/**
 * The support-spike detector with durable timers on the time-skipping server: tickets go in through the real
 * support webhook, the real detection activities run against Postgres and Temporal, and a stand-in incident
 * workflow records what the detector delivered.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createDetectionActivities, type DetectionActivities } from '../../activities/detection';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import type { IncidentEvent } from '../../domain/types';
import { supportDetectorStateQuery, supportDetectorWorkflowId, type SupportDetectorState } from '../../workflows/contract';
import { createTestDb, type TestDb } from '../helpers/db';
import { recordedEventsQuery } from '../helpers/detection-workflows';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { waitThroughErrors } from '../helpers/wait-for';

const TASK_QUEUE = 'support-detector-test';
const TOKEN = 'support-token-detector-test';
const config = loadConfig({
  TEMPORAL_TASK_QUEUE: TASK_QUEUE, SUPPORT_WEBHOOK_TOKEN: TOKEN, SUPPORT_SPIKE_THRESHOLD: '5', SUPPORT_SPIKE_WINDOW_MINUTES: '15',
});
const MINUTE = 60_000;

describe('support-spike detector', () => {
  let t: TestDb;
  let env: TestWorkflowEnvironment;
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;
  const calls: { open: Parameters<DetectionActivities['openSuspectedIncident']>[0][]; add: Parameters<DetectionActivities['addTicketsToIncident']>[0][] } = { open: [], add: [] };

  before(async () => {
    let bundle: WorkflowBundleWithSourceMap;
    [t, env, bundle] = await Promise.all([
      createTestDb(),
      createTimeSkippingEnv(),
      bundleWorkflowCode({ workflowsPath: require.resolve('../helpers/detection-workflows'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } }),
    ]);
    await t.db.insertInto('components').values([
      { key: 'checkout', name: 'Checkout', ticket_tags: ['checkout'], ticket_keywords: [] },
      { key: 'search', name: 'Search', ticket_tags: [], ticket_keywords: ['search'] },
      { key: 'billing', name: 'Billing', ticket_tags: ['billing'], ticket_keywords: [] },
      { key: 'exports', name: 'Exports', ticket_tags: ['exports'], ticket_keywords: [] },
    ]).execute();
    const real = createDetectionActivities({ config, db: t.db, temporal: env.client });
    // The real activities, watched: which incidents were opened, which notes were sent.
    const activities: DetectionActivities = {
      ...real,
      openSuspectedIncident: async (input) => { calls.open.push(input); return real.openSuspectedIncident(input); },
      addTicketsToIncident: async (input) => { calls.add.push(input); return real.addTicketsToIncident(input); },
    };
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: bundle, activities });
    running = worker.run();
    app = await buildApp({ config, db: t.db, temporal: env.client });
  });
  after(async () => {
    await app?.close();
    worker?.shutdown();
    await running?.catch(() => {});
    await Promise.allSettled([env?.teardown(), t?.close()]);
  });

  let ticketNo = 0;
  async function report(customer: string, fields: { tags?: string[]; subject?: string }) {
    ticketNo += 1;
    const res = await app.inject({
      method: 'POST', url: '/api/webhooks/support', headers: { authorization: `Bearer ${TOKEN}` },
      payload: { ticketId: `T-${ticketNo}`, customerExternalId: customer, subject: fields.subject ?? 'Something is broken', tags: fields.tags ?? [], createdAt: new Date().toISOString() },
    });
    assert.equal(res.statusCode, 202, res.body);
    return `T-${ticketNo}`;
  }
  const detector = (key: string) => env.client.workflow.getHandle(supportDetectorWorkflowId(key));
  /** Waits until the detector has taken the ticket in (so a time jump cannot overtake it). */
  const counted = (key: string, ticketId: string) =>
    waitThroughErrors(`${key} to count ${ticketId}`, async () => (await detector(key).query(supportDetectorStateQuery)).tickets.some((x) => x.ticketId === ticketId), 15_000);
  const recorded = (workflowId: string) => env.client.workflow.getHandle(workflowId).query(recordedEventsQuery);
  const opensFor = (key: string) => calls.open.filter((c) => c.componentKey === key);

  test('4 tickets, then a 5th after the window: no incident', async () => {
    for (const c of ['acct-1', 'acct-2', 'acct-3', 'acct-4']) await counted('checkout', await report(c, { tags: ['checkout'] }));
    const firstRun = await detector('checkout').describe();
    await env.sleep(16 * MINUTE);
    // The window emptied: that run is over, and said it opened nothing.
    await waitThroughErrors('the first detector run to complete', async () => (await env.client.workflow.getHandle(firstRun.workflowId, firstRun.runId).describe()).status.name === 'COMPLETED', 15_000);
    assert.deepEqual(await env.client.workflow.getHandle(firstRun.workflowId, firstRun.runId).result(), { componentKey: 'checkout', incidentsOpened: 0 });

    await counted('checkout', await report('acct-5', { tags: ['checkout'] }));
    const state: SupportDetectorState = await detector('checkout').query(supportDetectorStateQuery);
    assert.deepEqual(state.tickets.map((x) => x.customerExternalId), ['acct-5']);
    assert.equal(state.attachedTo, undefined);
    assert.equal(opensFor('checkout').length, 0);
  });

  test('5 distinct customers within the window: one suspected incident; a 6th ticket: a timeline note on it', async () => {
    const customers = ['acct-10', 'acct-11', 'acct-12', 'acct-13', 'acct-14'];
    for (const [i, c] of customers.entries()) {
      await counted('search', await report(c, { subject: `Search returns nothing (${i})` }));
      if (i < customers.length - 1) await env.sleep(3 * MINUTE); // spread over 12 of the 15 minutes
    }
    const opened = await waitThroughErrors('the suspected incident', async () => (await detector('search').query(supportDetectorStateQuery)).attachedTo, 15_000);
    assert.match(opened.workflowId, /^incident:support:search-\d{8}T\d{6}Z$/);
    assert.equal(opensFor('search').length, 1);

    const [first] = await waitThroughErrors('the opening event', async () => { const e = await recorded(opened.workflowId); return e.length === 1 && e; }, 15_000);
    assert.equal(first.source, 'support');
    assert.equal(first.severity, 'P3');
    assert.equal(first.status, 'investigating');
    assert.deepEqual(first.components, ['search']);
    assert.equal(first.title, 'Suspected incident on Search: 5 support tickets from 5 customers in 15 minutes');

    const sixth = await report('acct-15', { subject: 'search is down for us too' });
    const events: IncidentEvent[] = await waitThroughErrors('the timeline note', async () => { const e = await recorded(opened.workflowId); return e.length === 2 && e; }, 15_000);
    assert.equal(events[1].externalId, first.externalId);
    assert.equal(events[1].status, undefined, 'a note changes no field');
    assert.match(events[1].note!, new RegExp(`^1 support ticket from 1 customer about Search\\n#${sixth} \\(acct-15\\)`));
    assert.equal(opensFor('search').length, 1, 'no second incident');
  });

  test('once that incident is resolved, a new spike opens a new incident instead of feeding the old one', async () => {
    const first = (await detector('search').query(supportDetectorStateQuery)).attachedTo!;
    await t.db.insertInto('product_incidents').values({
      id: crypto.randomUUID(), source: 'support', external_id: first.externalId, workflow_id: first.workflowId, title: first.title ?? 'x',
      severity: 'P3', status: 'resolved', affected_components: ['search'], started_at: new Date(), resolved_at: new Date(),
    }).execute();
    await env.sleep(MINUTE);
    const before = (await recorded(first.workflowId)).length;
    for (const c of ['acct-40', 'acct-41', 'acct-42', 'acct-43']) await counted('search', await report(c, { subject: 'search broken again' }));
    assert.equal((await detector('search').query(supportDetectorStateQuery)).attachedTo, undefined, 'let go of the resolved incident');
    assert.equal(opensFor('search').length, 1, 'four customers are not a spike yet');
    await counted('search', await report('acct-44', { subject: 'search broken again' }));
    const second = await waitThroughErrors('the second incident', async () => (await detector('search').query(supportDetectorStateQuery)).attachedTo, 15_000);
    assert.notEqual(second.workflowId, first.workflowId);
    assert.equal(opensFor('search').length, 2);
    assert.equal((await recorded(first.workflowId)).length, before, 'the resolved incident got none of the new tickets');
  });

  test('an incident already open on the component gets the tickets instead of a new incident', async () => {
    const workflowId = 'incident:pagerduty:PBILL01';
    await t.db.insertInto('product_incidents').values({
      id: crypto.randomUUID(), source: 'pagerduty', external_id: 'PBILL01', workflow_id: workflowId, title: 'Payments failing',
      severity: 'P2', status: 'identified', affected_components: ['billing'], started_at: new Date(),
    }).execute();
    await env.client.workflow.start('incidentWorkflow', { workflowId, taskQueue: TASK_QUEUE, args: [{ settings: {} }] });

    for (const c of ['acct-20', 'acct-21', 'acct-22', 'acct-23', 'acct-24']) await counted('billing', await report(c, { tags: ['billing'] }));
    const [note] = await waitThroughErrors('the note on the open incident', async () => { const e = await recorded(workflowId); return e.length === 1 && e; }, 15_000);
    assert.equal(note.source, 'pagerduty');
    assert.equal(note.externalId, 'PBILL01');
    assert.match(note.note!, /^5 support tickets from 5 customers about Billing/);
    assert.equal(opensFor('billing').length, 0);
    assert.equal((await detector('billing').query(supportDetectorStateQuery)).attachedTo?.workflowId, workflowId);
  });

  test('many tickets from one customer are not a spike', async () => {
    for (let i = 0; i < 6; i += 1) await counted('exports', await report('acct-30', { tags: ['exports'] }));
    const state = await detector('exports').query(supportDetectorStateQuery);
    assert.equal(state.tickets.length, 6);
    assert.equal(state.attachedTo, undefined);
    assert.equal(opensFor('exports').length, 0);
  });
});
