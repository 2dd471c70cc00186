/**
 * The incident workflow in the time-skipping test server, with mocked activities: escalation,
 * retries, update validation, and continue-as-new. Lifecycle and events: incident.workflow.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  acknowledgeSignal, draftEmailsUpdate, scheduleFollowUpsUpdate, sendResolutionEmailsUpdate, setOutreachStatusUpdate, UPDATE_REJECTIONS,
} from '../../workflows/contract';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { at, HOUR, IncidentHarness, MINUTE, pdEvent, rejection } from './incident-harness';

let env: TestWorkflowEnvironment;
before(async () => { env = await createTimeSkippingEnv(); });
after(async () => { await env?.teardown(); });

describe('incident workflow: CSMs', () => {
  test('a silent CSM is escalated to their manager once; CSMs who acknowledged or acted are not; P1 cadence reminders', async () => {
    const h = new IncidentHarness(env);
    await h.run('escalation and cadence', async () => {
      const { mock } = h;
      const wf = await h.send(pdEvent('ESC1', { components: ['api-gateway', 'billing'] }));
      await h.until(wf, 'three CSMs alerted, drafts made', (x) => x.csms.filter((c) => c.alertedAt).length === 3
        && x.customers.find((c) => c.id === 'c-eurobank')?.outreachStatus === 'drafted');
      await wf.signal(acknowledgeSignal, { csmEmail: 'ana@example.com' });
      await wf.executeUpdate(setOutreachStatusUpdate, { args: [{ customerId: 'c-eurobank', status: 'sent', actor: 'cy@example.com' }] });

      await env.sleep(16 * MINUTE);
      await h.eventually('bo escalated', () => mock.timeline.some((t) => t.kind === 'escalation'));
      let s = await h.state(wf);
      const escalations = mock.sent.filter((m) => m.kind === 'escalation');
      assert.deepEqual(escalations.map((m) => [m.to, m.customers]), [['mo@example.com', ['ShopCo', 'StartupXYZ', 'SmallBiz']]]);
      assert.match(escalations[0]!.key, /:escalation:bo@example\.com:/);
      for (const email of ['ana@example.com', 'cy@example.com']) {
        const c = s.csms.find((x) => x.email === email)!;
        assert.equal(c.escalatedAt, undefined, `${email} not escalated`);
        assert.equal(c.escalationDueAt, undefined);
      }
      assert.deepEqual(mock.of('recordFollowUp').filter((f) => f.kind === 'escalation').map((f) => [f.csmEmail, f.status]), [['bo@example.com', 'done']]);
      assert.ok(mock.timeline.some((t) => t.kind === 'escalation' && /Bo Chen neither acknowledged nor contacted/.test(t.summary)));

      // Minute 30 without a public update: every alerted CSM is reminded in the alert's thread. Still one escalation.
      await env.sleep(20 * MINUTE);
      await h.eventually('reminded', () => mock.sent.filter((m) => m.kind === 'update_reminder').length === 3);
      for (const r of mock.sent.filter((m) => m.kind === 'update_reminder')) {
        const alert = mock.sentTo(r.to, 'alert')[0]!;
        assert.deepEqual(r.thread, { channel: alert.channel, ts: alert.ts });
      }
      assert.equal(mock.sent.filter((m) => m.kind === 'escalation').length, 1);

      // A public update restarts the cadence: 20 minutes later no reminder, 35 minutes later one more round.
      await h.send(pdEvent('ESC1', { components: ['api-gateway', 'billing'], message: 'Mitigation in progress', occurredAt: at(36) }));
      s = await h.until(wf, 'message applied', (x) => x.incident.message === 'Mitigation in progress');
      await env.sleep(20 * MINUTE);
      assert.equal(mock.sent.filter((m) => m.kind === 'update_reminder').length, 3);
      await env.sleep(15 * MINUTE);
      await h.eventually('reminded again', () => mock.sent.filter((m) => m.kind === 'update_reminder').length === 6);
      assert.equal(mock.sent.filter((m) => m.kind === 'escalation').length, 1);
    });
  });

  test('a notification retried after a lost response is delivered once; a CSM Slack cannot reach blocks no one', async () => {
    const h = new IncidentHarness(env);
    await h.run('retry and failed CSM', async () => {
      const { mock } = h;
      mock.crashAfterSendOnce.add('ana@example.com');
      mock.unknownInSlack.add('bo@example.com');
      const wf = await h.send(pdEvent('RETRY1'));
      let s = await h.until(wf, 'ana alerted, bo failed', (x) => Boolean(x.csms.find((c) => c.email === 'ana@example.com')?.alertedAt)
        && Boolean(x.csms.find((c) => c.email === 'bo@example.com')?.notifyError));
      const anaAlertCalls = mock.of('notifyCsm').filter((n) => n.csm.email === 'ana@example.com' && n.kind === 'alert');
      assert.equal(anaAlertCalls.length, 2, 'the activity was retried');
      assert.equal(anaAlertCalls[0]!.idempotencyKey, anaAlertCalls[1]!.idempotencyKey);
      assert.equal(mock.sentTo('ana@example.com', 'alert').length, 1, 'delivered once');
      const ana = s.csms.find((c) => c.email === 'ana@example.com')!;
      assert.deepEqual(ana.thread, { channel: 'D_U_ANA', ts: mock.sentTo('ana@example.com', 'alert')[0]!.ts });
      const bo = s.csms.find((c) => c.email === 'bo@example.com')!;
      assert.equal(bo.alertedAt, undefined);
      assert.equal(bo.notifyError, 'alert: users_not_found');
      await h.until(wf, 'drafts still made', (x) => x.customers.filter((c) => c.outreachStatus === 'drafted').length === 2);
      assert.ok(mock.timeline.some((t) => t.kind === 'alert' && t.summary === 'Alerted 1 CSM about 3 customers; not delivered to bo@example.com (users_not_found)'));

      await h.send(pdEvent('RETRY1', { status: 'identified', occurredAt: at(5) }));
      s = await h.until(wf, 'identified', (x) => x.incident.status === 'identified');
      await h.eventually('ana updated', () => mock.sentTo('ana@example.com', 'update').length === 1);
      assert.deepEqual(mock.sentTo('ana@example.com', 'update')[0]!.thread, ana.thread);
      assert.equal(mock.of('notifyCsm').filter((n) => n.csm.email === 'bo@example.com').length, 1, 'bo is not retried on every change');
    });
  });

  test('updates: rejected with a clear reason, or persisted before they answer', async () => {
    const h = new IncidentHarness(env);
    await h.run('updates', async () => {
      const { mock } = h;
      const wf = await h.send(pdEvent('UPD1'));
      await h.until(wf, 'drafted', (x) => x.customers.filter((c) => c.outreachStatus === 'drafted').length === 2);
      await h.eventually('drafts persisted', () => mock.of('saveOutreach').length === 2);
      const saves = () => mock.of('saveOutreach').length;
      const savesBefore = saves();

      assert.deepEqual(await rejection(wf.executeUpdate(setOutreachStatusUpdate, { args: [{ customerId: 'c-nope', status: 'sent' }] })), {
        type: UPDATE_REJECTIONS.unknownCustomer, message: 'Customer c-nope is not among the customers affected by "API Latency Issues".',
      });
      assert.deepEqual(await rejection(wf.executeUpdate(setOutreachStatusUpdate, { args: [{ customerId: 'c-techcorp', status: 'pending' }] })), {
        type: UPDATE_REJECTIONS.invalidTransition,
        message: 'Outreach to TechCorp is "drafted" and cannot become "pending": outreach never moves backwards. From "drafted" it can become "sent" or "resolution sent".',
      });
      assert.deepEqual(await rejection(wf.executeUpdate(setOutreachStatusUpdate, { args: [{ customerId: 'c-dataflow', status: 'responded' }] })), {
        type: UPDATE_REJECTIONS.invalidTransition,
        message: 'Outreach to DataFlow is "pending" and cannot become "responded": a customer can only respond once an email was sent. From "pending" it can become "drafted" or "sent".',
      });
      assert.deepEqual(await rejection(wf.executeUpdate(sendResolutionEmailsUpdate, { args: [{ csmEmail: 'ana@example.com' }] })), {
        type: UPDATE_REJECTIONS.notAllowed, message: 'Resolution emails can only be sent once the incident is resolved; "API Latency Issues" is investigating.',
      });
      assert.equal((await rejection(wf.executeUpdate(scheduleFollowUpsUpdate, { args: [{ csmEmail: 'ana@example.com', inHours: 2 }] }))).type, UPDATE_REJECTIONS.notAllowed);
      assert.deepEqual(await rejection(wf.executeUpdate(draftEmailsUpdate, { args: [{ csmEmail: 'zed@example.com' }] })), {
        type: UPDATE_REJECTIONS.notAllowed, message: 'zed@example.com is not the CSM of any customer affected by "API Latency Issues".',
      });
      assert.equal(saves(), savesBefore, 'nothing rejected was persisted');

      // Accepted: the answer comes only after saveOutreach finished.
      mock.saveOutreachDelayMs = 1500;
      const result = await wf.executeUpdate(setOutreachStatusUpdate, { args: [{ customerId: 'c-techcorp', status: 'sent', note: 'Emailed the CTO', actor: 'ana@example.com' }] });
      const answeredAt = Date.now();
      mock.saveOutreachDelayMs = 0;
      assert.deepEqual(result, { customerId: 'c-techcorp', previous: 'drafted', status: 'sent' });
      const save = mock.calls.filter((c) => c.name === 'saveOutreach').at(-1)!;
      assert.deepEqual([(save.input as { customerId: string }).customerId, (save.input as { status: string }).status], ['c-techcorp', 'sent']);
      assert.ok(save.endedAt !== undefined && save.endedAt <= answeredAt, 'persisted before the update returned');
      let s = await h.state(wf);
      const techcorp = s.customers.find((c) => c.id === 'c-techcorp')!;
      assert.equal(techcorp.outreachStatus, 'sent');
      assert.equal(techcorp.outreachNote, 'Emailed the CTO');
      assert.ok(s.csms.find((c) => c.email === 'ana@example.com')!.actedAt, 'moving a high-impact customer counts as acting');
      // The same status again is a no-op, not an error.
      assert.deepEqual(await wf.executeUpdate(setOutreachStatusUpdate, { args: [{ customerId: 'c-techcorp', status: 'sent' }] }),
        { customerId: 'c-techcorp', previous: 'sent', status: 'sent' });

      // "Draft Customer Emails" from Slack: Bo's pending customers at every impact level.
      const drafted = await wf.executeUpdate(draftEmailsUpdate, { args: [{ slackUserId: 'U_BO' }] });
      assert.deepEqual({ ...drafted, customerIds: [...drafted.customerIds].sort() }, { drafted: 2, customerIds: ['c-smallbiz', 'c-startupxyz'] });
      s = await h.state(wf);
      assert.deepEqual(s.customers.filter((c) => c.csmEmail === 'bo@example.com').map((c) => c.outreachStatus), ['drafted', 'drafted']);

      // Resolved: resolution emails drafted automatically (not sent: settings), then sent from the button.
      await h.send(pdEvent('UPD1', { status: 'resolved', occurredAt: at(60) }));
      await h.until(wf, 'resolved', (x) => x.phase === 'resolved' && Boolean(x.followUpDueAt));
      await h.eventually('follow-ups scheduled', () => mock.of('recordFollowUp').length === 4);
      const sent = await wf.executeUpdate(sendResolutionEmailsUpdate, { args: [{ csmEmail: 'ana@example.com' }] });
      assert.deepEqual([...sent.customerIds].sort(), ['c-globalinc', 'c-techcorp']);
      assert.deepEqual(mock.emails.filter((e) => e.kind === 'resolution' && e.send).map((e) => e.customerId).sort(), ['c-globalinc', 'c-techcorp']);
      s = await h.state(wf);
      assert.deepEqual(s.customers.filter((c) => c.csmEmail === 'ana@example.com').map((c) => [c.name, c.outreachStatus]), [
        ['TechCorp', 'resolution_sent'], ['GlobalInc', 'resolution_sent'], ['DataFlow', 'pending'],
      ]);
      assert.deepEqual(await wf.executeUpdate(sendResolutionEmailsUpdate, { args: [{ csmEmail: 'ana@example.com' }] }), { drafted: 0, customerIds: [] });

      // "Schedule Follow-ups": Ana wants her reminder in 2 hours instead of 24.
      assert.match((await rejection(wf.executeUpdate(scheduleFollowUpsUpdate, { args: [{ csmEmail: 'ana@example.com', inHours: -1 }] }))).message, /inHours must be a number of hours above 0/);
      const { dueAt } = await wf.executeUpdate(scheduleFollowUpsUpdate, { args: [{ csmEmail: 'ana@example.com', inHours: 2 }] });
      const moves = mock.of('recordFollowUp').filter((f) => f.kind === 'customer_follow_up' && f.csmEmail === 'ana@example.com');
      assert.deepEqual(moves.slice(-2).map((f) => [f.status, f.dueAt]), [['cancelled', s.followUpDueAt], ['scheduled', dueAt]]);
      await env.sleep(2 * HOUR + MINUTE);
      await h.eventually('ana followed up early', () => mock.of('recordFollowUp').some((f) => f.csmEmail === 'ana@example.com' && f.status === 'done'));
      assert.deepEqual(mock.sentTo('ana@example.com', 'follow_up').map((m) => m.customers), [['TechCorp', 'GlobalInc']]);
      assert.equal(mock.sentTo('bo@example.com', 'follow_up').length, 0);
    });
  });
});

describe('incident workflow: long life', () => {
  test('continues as new under a storm of updates, carrying state, threads, dedupe and timers', async () => {
    const h = new IncidentHarness(env, undefined, { continueAsNewAtHistoryLength: 200 });
    await h.run('continue as new', async () => {
      const { mock } = h;
      const first = pdEvent('CAN1', { severity: 'P2' });
      const wf = await h.send(first);
      await h.until(wf, 'alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2 && x.customers.some((c) => c.outreachStatus === 'drafted'));
      const firstRun = (await wf.describe()).runId;
      await wf.executeUpdate(setOutreachStatusUpdate, { args: [{ customerId: 'c-techcorp', status: 'sent' }] });
      const updates: string[] = [];
      for (let i = 1; i <= 30; i++) {
        const e = pdEvent('CAN1', { severity: 'P2', message: `Update ${i}`, occurredAt: at(i) });
        updates.push(e.deliveryId);
        await h.send(e);
      }
      // Waiting on effects, not on queries: the test server leaks a time-skipping lock for a query
      // that reaches a run just as it continues as new, and later sleeps would hang.
      await h.eventually('30 updates each', () => mock.sent.filter((m) => m.kind === 'update').length === 60, 60_000);
      await h.settle(wf.workflowId);
      const s = await h.state(wf);
      assert.equal(s.incident.message, 'Update 30');
      assert.ok((s.continuedAsNew ?? 0) >= 2, `continued as new ${s.continuedAsNew} times`);
      assert.notEqual((await wf.describe()).runId, firstRun);
      assert.equal(s.customers.find((c) => c.id === 'c-techcorp')!.outreachStatus, 'sent');
      assert.ok(s.deliveryIds.includes(first.deliveryId));

      // Every update reached each CSM exactly once, in the thread of the one alert.
      for (const email of ['ana@example.com', 'bo@example.com']) {
        const alert = mock.sentTo(email, 'alert');
        assert.equal(alert.length, 1);
        const mine = mock.sentTo(email, 'update');
        assert.deepEqual(mine.map((m) => m.changes![0]), updates.map((_, i) => `Public update: "Update ${i + 1}"`));
        assert.ok(mine.every((m) => m.thread?.ts === alert[0]!.ts));
      }
      // A delivery from before the continue-as-new, retried now, changes nothing.
      await h.send({ ...pdEvent('CAN1', { severity: 'P2', message: 'Update 3', occurredAt: at(3) }), deliveryId: updates[2]! });
      await h.send(pdEvent('CAN1', { severity: 'P2', message: 'Update 31', occurredAt: at(31) }));
      await h.eventually('update 31 sent', () => mock.sent.filter((m) => m.kind === 'update').length >= 62);
      await h.settle(wf.workflowId);
      assert.equal(mock.sentTo('ana@example.com', 'update').length, 31);
      assert.equal((await h.state(wf)).incident.message, 'Update 31');

      // Each run's history stayed near the limit.
      const history = await h.env.client.workflow.getHandle(wf.workflowId, firstRun).fetchHistory();
      assert.ok(history.events!.length < 260, `first run has ${history.events!.length} events`);

      // Timers are state: resolution's follow-ups fire in whichever run is current, then it completes.
      await h.send(pdEvent('CAN1', { severity: 'P2', status: 'resolved', occurredAt: at(40) }));
      await h.eventually('follow-ups scheduled', () => mock.of('recordFollowUp').filter((f) => f.status === 'scheduled').length === 4);
      await h.settle(wf.workflowId);
      await env.sleep(24 * HOUR + MINUTE);
      await h.eventually('followed up', () => mock.sentTo('ana@example.com', 'follow_up').length === 1);
      assert.deepEqual(mock.sentTo('ana@example.com', 'follow_up').map((m) => m.customers), [['TechCorp', 'GlobalInc']]);
      await env.sleep(72 * HOUR);
      await wf.result();
    });
  });
});
