/**
 * The incident lifecycle steered by people and by late events, through the real stack on one
 * machine: the API (buildApp), the Temporal dev server, a real worker (real workflow bundle and
 * activities), embedded Postgres, and the fake Slack and Gmail.
 */
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { incidentSettings, type Config } from '../../config';
import { recordRoute } from '../../db/incident-routing';
import { incidentIdFor } from '../../domain/incident-state';
import type { IncidentEvent } from '../../domain/types';
import { incidentStartOptions, WORKFLOW_TYPES, type IncidentSettings } from '../../workflows/contract';
import type { FakeMessage, FakeSlack } from '../fakes/slack';
import type { TestDb } from '../helpers/db';
import { startStack, type Stack } from '../helpers/stack';
import { waitingUpTo } from '../helpers/wait-for';
import pagerdutyTriggered from '../fixtures/pagerduty/incident.triggered.json';

const TOKEN = 'lifecycle-test-token-0123456789';
const PD_SECRET = 'lifecycle-pagerduty-secret-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

const CSMS = [
  { email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UANA', managerEmail: 'lee@corp.example' },
  { email: 'ben@corp.example', name: 'Ben Okafor', slackUserId: 'UBEN', managerEmail: 'lee@corp.example' },
  { email: 'dan@corp.example', name: 'Dan Berg', slackUserId: 'UDAN', managerEmail: 'lee@corp.example' },
  { email: 'lee@corp.example', name: 'Lee Park', slackUserId: 'ULEE' },
];
const SLACK_USERS = CSMS.map((c) => ({ id: c.slackUserId, email: c.email, name: c.email.split('@')[0]! }));

/** Ana and Ben look after checkout and billing customers, Dan after search customers; Ana and Dan after ledger customers, Ben after payroll's. */
const customerBase = {
  csms: CSMS,
  components: [
    { key: 'checkout', name: 'Checkout' }, { key: 'search', name: 'Search' },
    { key: 'billing', name: 'Billing', aliases: [{ source: 'pagerduty', externalId: 'PBILLING' }] }, { key: 'ledger', name: 'Ledger' },
    { key: 'payroll', name: 'Payroll' },
  ],
  customers: [
    ['acct-1', 'Acme', 500_000, 'ana@corp.example', 'checkout', 'heavy'],
    ['acct-2', 'Globex', 200_000, 'ana@corp.example', 'checkout', 'light'],
    ['acct-3', 'Initech', 300_000, 'ben@corp.example', 'checkout', 'moderate'],
    ['acct-4', 'Umbrella', 100_000, 'dan@corp.example', 'search', 'heavy'],
    ['acct-5', 'Hooli', 400_000, 'ana@corp.example', 'billing', 'heavy'],
    ['acct-6', 'Vandelay', 150_000, 'ben@corp.example', 'billing', 'moderate'],
    ['acct-7', 'Stark', 600_000, 'ana@corp.example', 'ledger', 'heavy'],
    ['acct-8', 'Wayne', 250_000, 'dan@corp.example', 'ledger', 'heavy'],
    ['acct-9', 'Soylent', 120_000, 'ben@corp.example', 'payroll', 'heavy'],
  ].map(([externalId, name, arr, csmEmail, component, usage]) => ({
    externalId, name, arr, segment: Number(arr) >= 300_000 ? 'enterprise' : 'mid-market', region: 'us-east', csmEmail,
    contactName: `${name} Ops`, contactEmail: `ops@${String(name).toLowerCase()}.example`,
    components: [{ key: component, usage, integrationDependent: false }],
  })),
};

const waitFor = waitingUpTo(30_000);

describe('incident lifecycle by hand and by events (dev server, Postgres, fake Slack and Gmail)', () => {
  let stack: Stack<'slack' | 'gmail'>;
  let env: TestWorkflowEnvironment;
  let t: TestDb;
  let slack: FakeSlack;
  let config: Config;
  let app: FastifyInstance;
  /** The same API with correlation by component on (30 minutes), for the routing of declared incidents. */
  let routed: FastifyInstance;

  const dmsAbout = (userId: string, title: string): FakeMessage[] => slack.dmsTo(userId).filter((m) => m.text.includes(title));
  const incident = async (id: string) => (await app.inject({ method: 'GET', url: `/api/incidents/${id}`, headers: auth })).json();
  const timeline = async (id: string) => (await app.inject({ method: 'GET', url: `/api/incidents/${id}/timeline`, headers: auth })).json().entries as
    { kind: string; summary: string; actor: string | null; occurredAt: string }[];

  /** A suspected incident as the support-spike detector opens it (activities/detection.ts): started, and its route recorded. */
  async function openSuspected(externalId: string, title: string, settings: Partial<IncidentSettings> = {}, components = ['checkout']): Promise<{ workflowId: string; incidentId: string }> {
    const now = new Date().toISOString();
    const event: IncidentEvent = {
      source: 'support', externalId, title, status: 'investigating', severity: 'P3', components,
      startedAt: now, occurredAt: now, deliveryId: `support-open:${externalId}`,
    };
    const options = incidentStartOptions(event, { ...incidentSettings(config), ...settings }, config.temporal.taskQueue);
    await env.client.workflow.signalWithStart(WORKFLOW_TYPES.incident, options);
    await recordRoute(t.db, event, options.workflowId, 'new');
    return { workflowId: options.workflowId, incidentId: incidentIdFor(options.workflowId) };
  }

  /** The reply in each alerted CSM's thread that tells them it was a false alarm. */
  async function toldInThread(user: string, title: string, pattern: RegExp): Promise<FakeMessage> {
    const alert = await waitFor(`${user}'s alert`, () => dmsAbout(user, title)[0]);
    return waitFor(`${user}'s thread reply`, () => slack.messages.find((m) => m.threadTs === alert.ts && pattern.test(m.text)));
  }

  before(async () => {
    stack = await startStack({
      slack: { users: SLACK_USERS },
      gmail: true,
      customerBase,
      config: {
        TEMPORAL_TASK_QUEUE: 'it-incident-lifecycle', API_TOKENS: TOKEN, PAGERDUTY_WEBHOOK_SECRETS: PD_SECRET,
        // Each test's incident stands alone (no correlation by component), and a resolved incident's
        // follow-up and post-mortem reminders come within seconds, so it completes during the test.
        CORRELATION_WINDOW_MINUTES: '0', FOLLOW_UP_HOURS: '0.0008', POST_MORTEM_HOURS: '0.0008',
      },
    });
    ({ env, testDb: t, slack, config, app } = stack);
    routed = await buildApp({ config: { ...config, correlation: { ...config.correlation, windowMinutes: 30 } }, db: t.db, temporal: env.client });
    await routed.ready();
  });

  after(async () => {
    await routed?.close();
    await stack?.stop();
  });

  test('declared by hand: CSMs alerted; resolved by a person: resolution DMs, and the timeline says who', async () => {
    const title = 'Checkout declared by hand';
    const declared = await app.inject({
      method: 'POST', url: '/api/incidents', headers: { ...auth, 'idempotency-key': 'declare-1' },
      payload: { title, severity: 'P2', affectedComponents: ['checkout'], actor: 'ops@corp.example' },
    });
    assert.equal(declared.statusCode, 202, declared.body);
    const { incidentId, workflowId, status } = declared.json();
    assert.equal(status, 'accepted');
    assert.match(workflowId, /^incident:manual:\d{8}-[0-9a-f]{6}$/);

    // The same request again (a double click): the same incident, nothing new.
    const again = await app.inject({
      method: 'POST', url: '/api/incidents', headers: { ...auth, 'idempotency-key': 'declare-1' },
      payload: { title, severity: 'P2', affectedComponents: ['checkout'], actor: 'ops@corp.example' },
    });
    assert.equal(again.statusCode, 202);
    assert.deepEqual([again.json().status, again.json().incidentId], ['duplicate', incidentId]);

    for (const user of ['UANA', 'UBEN']) await waitFor(`${user}'s alert`, () => dmsAbout(user, title).length > 0);
    assert.equal(dmsAbout('UDAN', title).length, 0, 'a CSM without affected customers hears nothing');
    const open = await waitFor('the incident on record', async () => { const i = await incident(incidentId); return i.id && i; });
    assert.deepEqual([open.source, open.severity, open.status, open.components], ['manual', 'P2', 'investigating', ['checkout']]);

    const changed = await app.inject({ method: 'PATCH', url: `/api/incidents/${incidentId}`, headers: auth, payload: { severity: 'P1', actor: 'ops@corp.example' } });
    assert.equal(changed.statusCode, 202, changed.body);
    await waitFor('the severity change in Ana\'s thread', () => slack.messages.some((m) => m.threadTs && m.text.includes('Severity: P2 → P1')));

    const resolved = await app.inject({ method: 'POST', url: `/api/incidents/${incidentId}/resolve`, headers: auth, payload: { actor: 'ops@corp.example', note: 'Rolled back the deploy' } });
    assert.equal(resolved.statusCode, 202, resolved.body);
    for (const user of ['UANA', 'UBEN']) {
      await waitFor(`${user}'s resolution DM`, () => dmsAbout(user, title).some((m) => /resolved/i.test(m.text) && !m.threadTs && m !== dmsAbout(user, title)[0]));
    }
    const after = await waitFor('resolved on record', async () => { const i = await incident(incidentId); return i.status === 'resolved' && i; });
    assert.ok(after.resolvedAt);
    const entries = await timeline(incidentId);
    const resolution = entries.find((e) => e.kind === 'status' && e.summary.includes('→ Resolved'));
    assert.equal(resolution?.actor, 'ops@corp.example (via API_TOKENS bootstrap token)', 'the timeline records who resolved it');
    assert.ok(entries.some((e) => e.kind === 'note' && e.summary === 'Rolled back the deploy'));

    const twice = await app.inject({ method: 'POST', url: `/api/incidents/${incidentId}/resolve`, headers: auth });
    assert.equal(twice.statusCode, 409);
    assert.match(twice.json().detail, /already resolved/);
  });

  test('a suspected incident dismissed by a person: alerted CSMs told in their thread, status dismissed everywhere', async () => {
    const title = 'Suspected incident on Checkout: 5 support tickets from 5 customers in 15 minutes';
    const { workflowId, incidentId } = await openSuspected('checkout-dismiss', title);
    for (const user of ['UANA', 'UBEN']) await waitFor(`${user}'s alert`, () => dmsAbout(user, title).length > 0);
    const suspected = await waitFor('suspected on record', async () => { const i = await incident(incidentId); return i.suspected === true && i; });
    assert.equal(suspected.status, 'investigating');

    const res = await app.inject({ method: 'POST', url: `/api/incidents/${incidentId}/dismiss`, headers: auth, payload: { reason: 'A customer\'s own proxy', actor: 'ana@corp.example' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual([res.json().status, res.json().csmsTold], ['dismissed', 2]);
    for (const user of ['UANA', 'UBEN']) {
      const reply = await toldInThread(user, title, /Dismissed as a false alarm by ana@corp\.example \(via API_TOKENS bootstrap token\): A customer's own proxy/);
      assert.match(reply.text, /No action needed for your customers/);
    }
    const after = await incident(incidentId);
    assert.deepEqual([after.status, after.suspected], ['dismissed', false]);
    const listed = (await app.inject({ method: 'GET', url: '/api/incidents?active=false&source=support', headers: auth })).json();
    assert.ok(listed.items.some((i: { id: string }) => i.id === incidentId), 'a dismissed incident is no longer active');
    const d = await env.client.workflow.getHandle(workflowId).describe();
    assert.equal(d.status.name, 'COMPLETED');
    assert.deepEqual(d.searchAttributes.IncidentStatus, ['dismissed']);
    const again = await app.inject({ method: 'POST', url: `/api/incidents/${incidentId}/dismiss`, headers: auth });
    assert.equal(again.statusCode, 409);
    assert.match(again.json().detail, /already dismissed/);
  });

  test('a confirmed incident cannot be dismissed: 409 with the reason', async () => {
    const title = 'Suspected incident on Checkout, then confirmed';
    const { incidentId } = await openSuspected('checkout-confirmed', title);
    await waitFor('suspected on record', async () => (await incident(incidentId)).suspected === true);
    const confirm = await app.inject({ method: 'PATCH', url: `/api/incidents/${incidentId}`, headers: auth, payload: { status: 'identified' } });
    assert.equal(confirm.statusCode, 202);
    await waitFor('confirmed on record', async () => (await incident(incidentId)).suspected === false);
    const res = await app.inject({ method: 'POST', url: `/api/incidents/${incidentId}/dismiss`, headers: auth });
    assert.equal(res.statusCode, 409);
    assert.match(res.json().detail, /is a confirmed incident \(support, P3, identified\), not a suspected one: resolve it instead/);
  });

  test('a suspected incident with no new tickets for its quiet period closes by itself; a ticket in between starts the period afresh', async () => {
    const title = 'Suspected incident on Checkout that goes quiet';
    const quietMs = 4_000;
    const { workflowId, incidentId } = await openSuspected('checkout-quiet', title, { suspectedAutoCloseMinutes: quietMs / 60_000 });
    await waitFor('Ana\'s alert', () => dmsAbout('UANA', title).length > 0);
    await new Promise((r) => setTimeout(r, quietMs / 2));
    const now = new Date().toISOString();
    await env.client.workflow.getHandle(workflowId).signal('incidentEvent', {
      source: 'support', externalId: 'checkout-quiet', note: '1 more support ticket', occurredAt: now, deliveryId: 'support-note:late',
    } satisfies IncidentEvent);
    await toldInThread('UANA', title, /Closed as a false alarm: No new tickets or events for 0\.0\d+ minutes/);
    const closed = await waitFor('dismissed on record', async () => { const i = await incident(incidentId); return i.status === 'dismissed' && i; });
    assert.equal(closed.suspected, false);
    const entries = await waitFor('the closing on the timeline', async () => {
      const all = await timeline(incidentId);
      return all.some((e) => e.summary.startsWith('Closed as a false alarm')) && all;
    });
    const note = entries.find((e) => e.kind === 'note' && e.summary === '1 more support ticket')!;
    const closing = entries.find((e) => e.summary.startsWith('Closed as a false alarm'))!;
    assert.equal(closing.actor, 'Forewarn');
    // The workflow's own clock: the quiet period counted from the late ticket, not from the opening.
    assert.ok(Date.parse(closing.occurredAt) - Date.parse(note.occurredAt) >= quietMs, 'the ticket started the quiet period afresh');
  });

  test('after completion: outreach is recorded, a late resolve is ignored, a late "investigating" reopens the same incident in the CSMs\' threads', async () => {
    const title = 'Search is down';
    const post = (payload: Record<string, unknown>) => app.inject({
      method: 'POST', url: '/api/webhooks/incidents', headers: auth,
      payload: { id: 'MON-7', title, severity: 'P2', affectedComponents: ['search'], startedAt: '2026-12-01T10:00:00Z', ...payload },
    });
    const opened = await post({ status: 'investigating', updatedAt: new Date().toISOString() });
    assert.equal(opened.statusCode, 202, opened.body);
    const workflowId = 'incident:generic:MON-7';
    const incidentId = incidentIdFor(workflowId);
    const alert = await waitFor('Dan\'s alert', () => dmsAbout('UDAN', title).find((m) => / INCIDENT: /.test(m.text)));
    const resolvedAt = new Date().toISOString();
    assert.equal((await post({ status: 'resolved', resolvedAt, updatedAt: resolvedAt })).statusCode, 202);
    const first = await waitFor('the incident completed (follow-ups and post-mortem done)', async () => {
      const d = await env.client.workflow.getHandle(workflowId).describe();
      return d.status.name === 'COMPLETED' && d;
    });

    // Outreach after completion: Postgres is the record.
    const umbrella = await t.db.selectFrom('customers').select('id').where('external_id', '=', 'acct-4').executeTakeFirstOrThrow();
    const outreach = await app.inject({
      method: 'POST', url: `/api/incidents/${incidentId}/customers/${umbrella.id}/outreach`, headers: auth, payload: { status: 'sent', note: 'Called their ops lead' },
    });
    assert.equal(outreach.statusCode, 200, outreach.body);
    assert.deepEqual(outreach.json(), { customerId: umbrella.id, previous: 'drafted', status: 'sent' });
    const row = await t.db.selectFrom('incident_customer_impact').select('outreach_status')
      .where('incident_id', '=', incidentId).where('customer_id', '=', umbrella.id).executeTakeFirstOrThrow();
    assert.equal(row.outreach_status, 'sent');

    // A late event that does not say the incident is happening again: recorded, not applied.
    const late = await post({ status: 'resolved', resolvedAt, updatedAt: new Date().toISOString(), message: 'Post-mortem published' });
    assert.equal(late.statusCode, 202, late.body);
    assert.equal(late.json().status, 'ignored');

    // It comes back: the same workflow id runs again, restored from Postgres.
    const back = await post({ status: 'investigating', updatedAt: new Date().toISOString(), message: 'Search errors again' });
    assert.equal(back.statusCode, 202, back.body);
    assert.deepEqual([back.json().status, back.json().incidentId], ['accepted', incidentId]);
    const reply = await waitFor('the news in Dan\'s thread', () => slack.messages.find((m) => m.threadTs === alert.ts && /It is back/.test(m.text)));
    assert.match(reply.text, /Status: Resolved → Investigating \(reopened\)/);
    const reopened = await waitFor('reopened on record', async () => { const i = await incident(incidentId); return i.status === 'investigating' && i; });
    assert.equal(reopened.id, incidentId);
    assert.equal(reopened.resolvedAt, null);
    const run = await env.client.workflow.getHandle(workflowId).describe();
    assert.equal(run.status.name, 'RUNNING');
    assert.notEqual(run.runId, first.runId, 'a new run of the same workflow id');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(dmsAbout('UDAN', title).filter((m) => / INCIDENT: /.test(m.text) && !m.threadTs).length, 1, 'no second top-level alert');
    assert.equal(slack.dmsTo('UANA').filter((m) => m.text.includes(title)).length, 0, 'CSMs without affected customers hear nothing');
    const entries = await timeline(incidentId);
    assert.ok(entries.some((e) => e.kind === 'reopened'));
    // The outreach recorded after completion is still there.
    const customers = (await app.inject({ method: 'GET', url: `/api/incidents/${incidentId}/customers`, headers: auth })).json();
    assert.equal(customers.affectedCustomers.find((c: { customer: { id: string } }) => c.customer.id === umbrella.id).outreachStatus, 'sent');
  });
  /** A PagerDuty incident.triggered delivery (the vendor's V3 webhook format), signed. */
  const pagerduty = (id: string, service: string, title: string) => {
    const envelope = { event: { ...pagerdutyTriggered.event, id: `pd-${id}`, occurred_at: new Date().toISOString(),
      data: { ...pagerdutyTriggered.event.data, id, title, service: { ...pagerdutyTriggered.event.data.service, id: service, summary: service } } } };
    const payload = JSON.stringify(envelope);
    const signature = `v1=${createHmac('sha256', PD_SECRET).update(payload, 'utf8').digest('hex')}`;
    return routed.inject({ method: 'POST', url: '/api/webhooks/pagerduty', payload, headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature } });
  };
  /** Top-level Slack messages (alerts, not thread replies) to a CSM naming any of these titles. */
  const topLevel = (user: string, ...titles: string[]) => slack.dmsTo(user).filter((m) => titles.some((title) => m.text.includes(title)));

  test('declared, then PagerDuty reports the same component: the PagerDuty incident joins the declared one (one alert per CSM, news in the thread)', async () => {
    const title = 'Billing declared by hand';
    const declared = await routed.inject({
      method: 'POST', url: '/api/incidents', headers: auth, payload: { title, severity: 'P2', affectedComponents: ['billing'], actor: 'ops@corp.example' },
    });
    assert.equal(declared.statusCode, 202, declared.body);
    const { workflowId, incidentId, joined } = declared.json();
    assert.equal(joined, false, 'no open incident on billing: a new one');
    assert.match(workflowId, /^incident:manual:/);
    const alerts = new Map<string, FakeMessage>();
    for (const user of ['UANA', 'UBEN']) alerts.set(user, await waitFor(`${user}'s alert`, () => dmsAbout(user, title)[0]));
    // Declared 40 minutes ago (past the 30-minute window), and kept current by people since: still open to join.
    await t.db.updateTable('incident_routes').set({ last_activity_at: new Date(Date.now() - 40 * 60_000) }).where('workflow_id', '=', workflowId).execute();
    const update = await routed.inject({ method: 'PATCH', url: `/api/incidents/${incidentId}`, headers: auth, payload: { note: 'Failover to the standby biller in progress' } });
    assert.equal(update.statusCode, 202, update.body);

    const pdTitle = 'Billing API returns 500s';
    const pd = await pagerduty('PBILL01', 'PBILLING', pdTitle);
    assert.equal(pd.statusCode, 202, pd.body);
    assert.equal(pd.json().workflowId, workflowId, 'the PagerDuty incident joined the declared one');
    for (const user of ['UANA', 'UBEN']) {
      const alert = alerts.get(user)!;
      await waitFor(`PagerDuty's news in ${user}'s thread`, () => slack.messages.find((m) => m.threadTs === alert.ts && m.text.includes(`Also reported by PagerDuty: ${pdTitle}`)));
    }
    const joinedIncident = await waitFor('the linked sources on record', async () => { const i = await incident(incidentId); return i.linkedSources?.length === 2 && i; });
    assert.deepEqual(joinedIncident.linkedSources.map((l: { source: string }) => l.source).sort(), ['manual', 'pagerduty']);
    assert.equal((await t.db.selectFrom('product_incidents').select('id').where('source', '=', 'pagerduty').where('external_id', '=', 'PBILL01').execute()).length, 0,
      'no second incident');
    for (const user of ['UANA', 'UBEN']) assert.equal(topLevel(user, title, pdTitle).length, 1, `${user}: one top-level alert`);
    assert.equal(topLevel('UDAN', title, pdTitle).length, 0);
    assert.equal((await app.inject({ method: 'POST', url: `/api/incidents/${incidentId}/resolve`, headers: auth })).statusCode, 202);
  });

  test('declared while an open incident covers the component: the declaration joins it, nobody is alerted twice, and the answer says so', async () => {
    const title = 'Ledger sync failing';
    const opened = await routed.inject({
      method: 'POST', url: '/api/webhooks/incidents', headers: auth,
      payload: { id: 'MON-LEDGER', title, status: 'identified', severity: 'P2', affectedComponents: ['ledger'], startedAt: new Date().toISOString() },
    });
    assert.equal(opened.statusCode, 202, opened.body);
    const openId = incidentIdFor('incident:generic:MON-LEDGER');
    for (const user of ['UANA', 'UDAN']) await waitFor(`${user}'s alert`, () => dmsAbout(user, title).length > 0);
    await waitFor('the open incident on record', async () => (await incident(openId)).status === 'identified');

    const declare = () => routed.inject({
      method: 'POST', url: '/api/incidents', headers: { ...auth, 'idempotency-key': 'declare-ledger' },
      payload: { title: 'Ledger is down', severity: 'P3', affectedComponents: ['ledger'], actor: 'ops@corp.example' },
    });
    const declared = await declare();
    assert.equal(declared.statusCode, 202, declared.body);
    assert.deepEqual(declared.json(), {
      status: 'accepted', joined: true, workflowId: 'incident:generic:MON-LEDGER', incidentId: openId, externalId: 'MON-LEDGER', title,
    });
    const again = await declare();
    assert.deepEqual([again.json().status, again.json().joined, again.json().incidentId], ['duplicate', true, openId], 'a retried request: the same answer');

    const note = await waitFor('the declaration on the open incident\'s timeline', async () => (await timeline(openId))
      .find((e) => e.summary === 'Declared by ops@corp.example (via API_TOKENS bootstrap token): Ledger is down (P3, ledger)'));
    assert.equal(note.actor, 'ops@corp.example (via API_TOKENS bootstrap token)');
    const after = await incident(openId);
    assert.deepEqual([after.severity, after.status, after.title], ['P2', 'identified', title], 'a lower severity or an earlier status does not move it back');
    assert.equal((await t.db.selectFrom('product_incidents').select('id').where('title', '=', 'Ledger is down').execute()).length, 0, 'no second incident');
    await new Promise((r) => setTimeout(r, 1000));
    for (const user of ['UANA', 'UDAN']) assert.equal(topLevel(user, title, 'Ledger is down').length, 1, `${user}: one alert`);
    assert.equal(topLevel('UBEN', title, 'Ledger is down').length, 0);
    const [audit] = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'incident.declared').where('incident_id', '=', openId).execute();
    assert.deepEqual([audit?.detail && (audit.detail as { joined?: boolean }).joined, (audit?.detail as { title?: string }).title], [true, 'Ledger is down']);
  });
  test('declared while a suspected incident (support spike) is open on the component: the declaration joins it and confirms it', async () => {
    const title = 'Suspected incident on Payroll: 4 support tickets from 4 customers in 15 minutes';
    const { workflowId, incidentId } = await openSuspected('payroll-1', title, {}, ['payroll']);
    await waitFor('Ben\'s alert', () => dmsAbout('UBEN', title).length > 0);
    await waitFor('suspected on record', async () => (await incident(incidentId)).suspected === true);
    // A lower severity than the spike's: the declaration changes no field, and still confirms it.
    const declared = await routed.inject({ method: 'POST', url: '/api/incidents', headers: auth, payload: { title: 'Payroll exports fail', severity: 'P4', affectedComponents: ['payroll'] } });
    assert.equal(declared.statusCode, 202, declared.body);
    assert.deepEqual([declared.json().joined, declared.json().workflowId, declared.json().title], [true, workflowId, title]);
    const confirmed = await waitFor('confirmed on record', async () => { const i = await incident(incidentId); return i.suspected === false && i; });
    assert.deepEqual([confirmed.severity, confirmed.status], ['P3', 'investigating']);
    const entries = await timeline(incidentId);
    assert.ok(entries.some((e) => e.summary === 'Confirmed by API_TOKENS bootstrap token: no longer a suspected incident'), JSON.stringify(entries.map((e) => e.summary)));
    const dismiss = await app.inject({ method: 'POST', url: `/api/incidents/${incidentId}/dismiss`, headers: auth });
    assert.equal(dismiss.statusCode, 409, 'no longer a false alarm to dismiss');
    assert.equal(topLevel('UBEN', title, 'Payroll exports fail').length, 1, 'one alert');
  });
});
