/**
 * The incident workflow (WORKFLOW_TYPES.incident) in the time-skipping test server, with mocked
 * activities: escalation, retries, update validation, and continue-as-new. Lifecycle and events:
 * incident.workflow.test.ts. Outreach is recorded the way the API records it (the mock's
 * incident_customer_impact, then outreachRecordedSignal).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  acknowledgeSignal, draftEmailsUpdate, scheduleFollowUpsUpdate, sendResolutionEmailsUpdate, UPDATE_REJECTIONS,
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
      await h.until(wf, 'three CSMs alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 3);
      await h.eventually('drafts made', () => h.customer(wf, 'c-eurobank').outreachStatus === 'drafted'
        && h.customer(wf, 'c-shopco').outreachStatus === 'drafted');
      // Ana acknowledges; Cy emails EuroBank (high impact); Bo only moves StartupXYZ (medium impact),
      // and Forewarn's own draft for his ShopCo does not count as Bo acting either.
      await wf.signal(acknowledgeSignal, { csmEmail: 'ana@example.com' });
      assert.equal((await h.recordOutreach(wf, 'c-eurobank', 'sent', { actor: 'cy@example.com' })).ok, true);
      assert.equal((await h.recordOutreach(wf, 'c-startupxyz', 'sent', { actor: 'bo@example.com' })).ok, true);
      await h.until(wf, 'cy acted', (x) => Boolean(x.csms.find((c) => c.email === 'cy@example.com')!.actedAt));

      await env.sleep(16 * MINUTE);
      await h.eventually('bo escalated', () => mock.timeline.some((t) => t.kind === 'escalation'));
      let s = await h.state(wf);
      const escalations = mock.sent.filter((m) => m.kind === 'escalation');
      assert.deepEqual(escalations.map((m) => [m.to, m.about, m.customers]), [['mo@example.com', 'bo@example.com', ['ShopCo', 'StartupXYZ', 'SmallBiz']]]);
      assert.match(escalations[0]!.key, /:escalation:bo@example\.com:/);
      assert.equal(escalations[0]!.thread, undefined, 'a DM of its own to the manager');
      for (const email of ['ana@example.com', 'cy@example.com']) {
        const c = s.csms.find((x) => x.email === email)!;
        assert.equal(c.escalatedAt, undefined, `${email} not escalated`);
        assert.equal(c.escalationDueAt, undefined);
      }
      assert.ok(s.csms.find((c) => c.email === 'bo@example.com')!.escalatedAt);
      await h.eventually('escalation recorded', () => mock.followUps().some((f) => f.kind === 'escalation'));
      assert.deepEqual(mock.followUps().filter((f) => f.kind === 'escalation').map((f) => [f.csmEmail, f.status]), [['bo@example.com', 'done']]);
      const entry = mock.timeline.find((t) => t.kind === 'escalation')!;
      assert.equal(entry.summary, '1 CSM neither acknowledged nor contacted a high-impact customer within 15 minutes: escalated to their manager');
      assert.deepEqual(entry.details!.csms, [{ csm: 'bo@example.com', status: 'sent', error: null }]);

      // Minute 30 without a public update: every alerted CSM is reminded in the alert's thread. Still one escalation.
      await env.sleep(20 * MINUTE);
      await h.eventually('reminded', () => mock.sent.filter((m) => m.kind === 'update_reminder').length === 3);
      for (const r of mock.sent.filter((m) => m.kind === 'update_reminder')) {
        const alert = mock.sentTo(r.to, 'alert')[0]!;
        assert.deepEqual(r.thread, { channel: alert.channel, ts: alert.ts });
        assert.deepEqual(r.customers, alert.customers);
        assert.match(r.changes![0]!, /^No public update for 30 minutes \(promised every 30 minutes\)$/);
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
      assert.equal(mock.followUps().filter((f) => f.kind === 'update_reminder' && f.status === 'done').length, 2);
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
      const alertKeys = (email: string) => mock.of('sendCsmMessages').filter((b) => b.kind === 'alert')
        .flatMap((b) => b.recipients).filter((r) => r.csmEmail === email).map((r) => r.idempotencyKey);
      assert.equal(alertKeys('ana@example.com').length, 2, 'the batch was retried');
      assert.equal(new Set(alertKeys('ana@example.com')).size, 1, 'with the same key');
      assert.equal(mock.sentTo('ana@example.com', 'alert').length, 1, 'delivered once');
      const ana = s.csms.find((c) => c.email === 'ana@example.com')!;
      assert.deepEqual(ana.thread, { channel: 'D_U_ANA', ts: mock.sentTo('ana@example.com', 'alert')[0]!.ts });
      const bo = s.csms.find((c) => c.email === 'bo@example.com')!;
      assert.equal(bo.alertedAt, undefined);
      assert.equal(bo.notifyError, 'alert: users_not_found');
      await h.eventually('drafts still made', () => h.customers(wf).filter((c) => c.outreachStatus === 'drafted').length === 2);
      await h.eventually('alert on the timeline', () => mock.timeline.some((t) => t.kind === 'alert'));
      assert.equal(mock.timeline.find((t) => t.kind === 'alert')!.summary, 'Alerted 1 CSM about 3 customers; not delivered to bo@example.com (users_not_found)');
      // Bo's customers were never told to anyone.
      assert.deepEqual(h.customers(wf).filter((c) => c.csmNotifiedAt).map((c) => c.name), ['TechCorp', 'GlobalInc', 'DataFlow']);

      await h.send(pdEvent('RETRY1', { status: 'identified', occurredAt: at(5) }));
      s = await h.until(wf, 'identified', (x) => x.incident.status === 'identified');
      await h.eventually('ana updated', () => mock.sentTo('ana@example.com', 'update').length === 1);
      assert.deepEqual(mock.sentTo('ana@example.com', 'update')[0]!.thread, ana.thread);
      await h.settle(wf.workflowId);
      const boRecipients = mock.of('sendCsmMessages').flatMap((b) => b.recipients.filter((r) => r.csmEmail === 'bo@example.com').map((r) => [b.kind, r.idempotencyKey]));
      assert.deepEqual(new Set(boRecipients.map(([kind]) => kind)), new Set(['alert']), 'bo is not retried on every change');
      assert.equal(mock.sentTo('bo@example.com').length, 0);
    });
  });

  test('updates: rejected with a clear reason before anything runs; drafts, resolution emails and follow-ups answer counts', async () => {
    const h = new IncidentHarness(env);
    await h.run('updates', async () => {
      const { mock } = h;
      const wf = await h.send(pdEvent('UPD1'));
      await h.until(wf, 'alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      await h.eventually('drafted', () => h.customers(wf).filter((c) => c.outreachStatus === 'drafted').length === 2);
      await h.settle(wf.workflowId);
      const effects = () => mock.calls.filter((c) => c.name === 'prepareEmailsForCsms' || c.name === 'recordFollowUps').length;
      const before = effects();

      assert.deepEqual(await rejection(wf.executeUpdate(sendResolutionEmailsUpdate, { args: [{ csmEmail: 'ana@example.com' }] })), {
        type: UPDATE_REJECTIONS.notAllowed, message: 'Resolution emails can only be sent once the incident is resolved; "API Latency Issues" is investigating.',
      });
      assert.deepEqual(await rejection(wf.executeUpdate(scheduleFollowUpsUpdate, { args: [{ csmEmail: 'ana@example.com', inHours: 2 }] })), {
        type: UPDATE_REJECTIONS.notAllowed, message: 'Follow-ups are scheduled once the incident is resolved; "API Latency Issues" is investigating.',
      });
      assert.deepEqual(await rejection(wf.executeUpdate(draftEmailsUpdate, { args: [{ csmEmail: 'zed@example.com' }] })), {
        type: UPDATE_REJECTIONS.notAllowed, message: 'zed@example.com is not the CSM of any customer affected by "API Latency Issues".',
      });
      assert.deepEqual(await rejection(wf.executeUpdate(draftEmailsUpdate, { args: [{ slackUserId: 'U_NOBODY' }] })), {
        type: UPDATE_REJECTIONS.notAllowed, message: 'Slack user U_NOBODY is not the CSM of any customer affected by "API Latency Issues".',
      });
      assert.deepEqual(await rejection(wf.executeUpdate(draftEmailsUpdate, { args: [{}] })), {
        type: UPDATE_REJECTIONS.notAllowed, message: 'Say who is asking: csmEmail or slackUserId.',
      });
      assert.equal(effects(), before, 'nothing rejected reached Gmail or the follow-ups');

      // "Draft Customer Emails" from Slack: Bo's pending customers at every impact level; clicking counts as acting.
      assert.deepEqual(await wf.executeUpdate(draftEmailsUpdate, { args: [{ slackUserId: 'U_BO' }] }), { drafted: 2, failed: 0 });
      assert.deepEqual(h.customers(wf).filter((c) => c.csmEmail === 'bo@example.com').map((c) => [c.name, c.outreachStatus]),
        [['StartupXYZ', 'drafted'], ['SmallBiz', 'drafted']]);
      assert.deepEqual(mock.emails.filter((e) => e.csm === 'bo@example.com').map((e) => e.actor), ['bo@example.com', 'bo@example.com']);
      assert.ok((await h.state(wf)).csms.find((c) => c.email === 'bo@example.com')!.actedAt);
      assert.deepEqual(await wf.executeUpdate(draftEmailsUpdate, { args: [{ slackUserId: 'U_BO' }] }), { drafted: 0, failed: 0 }, 'nothing left to draft');

      // A draft Gmail refuses is counted as failed and kept pending with its error; the next click tries it again.
      mock.refusedAddresses.add('c-dataflow');
      assert.deepEqual(await wf.executeUpdate(draftEmailsUpdate, { args: [{ csmEmail: 'ana@example.com', actor: 'ana' }] }), { drafted: 0, failed: 1 });
      assert.deepEqual([h.customer(wf, 'c-dataflow').outreachStatus, h.customer(wf, 'c-dataflow').outreachError], ['pending', 'no usable contact address']);
      mock.refusedAddresses.clear();
      await env.sleep(MINUTE);
      assert.deepEqual(await wf.executeUpdate(draftEmailsUpdate, { args: [{ csmEmail: 'ana@example.com', actor: 'ana' }] }), { drafted: 1, failed: 0 });
      assert.equal(h.customer(wf, 'c-dataflow').outreachStatus, 'drafted');

      // Ana emails TechCorp herself (recorded by the API).
      assert.equal((await h.recordOutreach(wf, 'c-techcorp', 'sent', { note: 'Emailed the CTO', actor: 'ana@example.com' })).ok, true);

      // Resolved: resolution emails drafted automatically (not sent: settings) for every contacted customer.
      await h.send(pdEvent('UPD1', { status: 'resolved', occurredAt: at(60) }));
      let s = await h.until(wf, 'resolved', (x) => x.phase === 'resolved' && Boolean(x.followUpDueAt));
      await h.eventually('follow-ups scheduled', () => mock.followUps().filter((f) => f.status === 'scheduled').length === 4);
      assert.deepEqual(mock.emails.filter((e) => e.kind === 'resolution').map((e) => [e.customerId, e.send]).sort(), [
        ['c-dataflow', false], ['c-globalinc', false], ['c-smallbiz', false], ['c-startupxyz', false], ['c-techcorp', false],
      ]);
      assert.deepEqual(await rejection(wf.executeUpdate(draftEmailsUpdate, { args: [{ csmEmail: 'ana@example.com' }] })), {
        type: UPDATE_REJECTIONS.notAllowed, message: '"API Latency Issues" is resolved: send resolution emails instead of outreach drafts (ana@example.com).',
      });

      // "Send Resolution Emails": sent, outreach becomes resolution sent; a second click has nothing left.
      assert.deepEqual(await wf.executeUpdate(sendResolutionEmailsUpdate, { args: [{ csmEmail: 'ana@example.com' }] }), { drafted: 3, failed: 0 });
      assert.deepEqual(mock.emails.filter((e) => e.kind === 'resolution' && e.send).map((e) => e.customerId).sort(), ['c-dataflow', 'c-globalinc', 'c-techcorp']);
      assert.deepEqual(h.customers(wf).filter((c) => c.csmEmail === 'ana@example.com').map((c) => [c.name, c.outreachStatus]), [
        ['TechCorp', 'resolution_sent'], ['GlobalInc', 'resolution_sent'], ['DataFlow', 'resolution_sent'],
      ]);
      assert.deepEqual(await wf.executeUpdate(sendResolutionEmailsUpdate, { args: [{ csmEmail: 'ana@example.com' }] }), { drafted: 0, failed: 0 });

      // "Schedule Follow-ups": Ana wants her reminder in 2 hours instead of 24.
      assert.match((await rejection(wf.executeUpdate(scheduleFollowUpsUpdate, { args: [{ csmEmail: 'ana@example.com', inHours: -1 }] }))).message,
        /^inHours must be a number of hours above 0 and at most 720, got -1\.$/);
      assert.deepEqual(await wf.executeUpdate(scheduleFollowUpsUpdate, { args: [{ csmEmail: 'ana@example.com' }] }), { dueAt: s.followUpDueAt });
      const { dueAt } = await wf.executeUpdate(scheduleFollowUpsUpdate, { args: [{ csmEmail: 'ana@example.com', inHours: 2 }] });
      const moves = mock.followUps().filter((f) => f.kind === 'customer_follow_up' && f.csmEmail === 'ana@example.com');
      assert.deepEqual(moves.slice(-2).map((f) => [f.status, f.dueAt]), [['cancelled', s.followUpDueAt], ['scheduled', dueAt]]);
      s = await h.state(wf);
      assert.equal(s.csms.find((c) => c.email === 'ana@example.com')!.followUpDueAt, dueAt);
      await env.sleep(2 * HOUR + MINUTE);
      await h.eventually('ana followed up early', () => mock.followUps().some((f) => f.csmEmail === 'ana@example.com' && f.status === 'done'));
      assert.deepEqual(mock.sentTo('ana@example.com', 'follow_up').map((m) => m.customers), [['TechCorp', 'GlobalInc']]);
      assert.equal(mock.sentTo('bo@example.com', 'follow_up').length, 0, 'Bo\'s reminder is still a day away');
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
      await h.until(wf, 'alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      await h.eventually('drafted', () => h.customers(wf).some((c) => c.outreachStatus === 'drafted'));
      const firstRun = (await wf.describe()).runId;
      await wf.signal(acknowledgeSignal, { csmEmail: 'bo@example.com' });
      assert.equal((await h.recordOutreach(wf, 'c-techcorp', 'sent')).ok, true);
      await h.until(wf, 'ana acted, bo acknowledged', (x) => Boolean(x.csms[0]!.actedAt && x.csms[1]!.acknowledgedAt));
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
      assert.ok(s.deliveryIds.includes(first.deliveryId));
      assert.deepEqual(s.warRoom, { channelId: 'C_WAR', name: 'incident-q1abc-response' });
      assert.deepEqual(s.csms.map((c) => [c.email, c.customers, Boolean(c.alertedAt), Boolean(c.actedAt), Boolean(c.acknowledgedAt)]), [
        ['ana@example.com', 3, true, true, false], ['bo@example.com', 2, true, false, true],
      ]);
      assert.equal(h.customer(wf, 'c-techcorp').outreachStatus, 'sent');

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
      await h.eventually('follow-ups scheduled', () => mock.followUps().filter((f) => f.status === 'scheduled').length === 4);
      await h.settle(wf.workflowId);
      assert.equal(mock.sent.filter((m) => m.kind === 'resolution').length, 2);
      await env.sleep(24 * HOUR + MINUTE);
      await h.eventually('followed up', () => mock.sentTo('ana@example.com', 'follow_up').length === 1);
      assert.deepEqual(mock.sentTo('ana@example.com', 'follow_up').map((m) => m.customers), [['TechCorp', 'GlobalInc']]);
      await env.sleep(72 * HOUR);
      await wf.result();
      assert.equal(mock.sent.filter((m) => m.kind === 'post_mortem').length, 2);
      assert.equal(mock.sent.filter((m) => m.kind === 'escalation').length, 0, 'Ana acted and Bo acknowledged before the continue-as-new');
    });
  });
});
