/**
 * The incident workflow in the time-skipping test server, with mocked activities that behave like
 * the real ones where it matters (an outbox keyed by idempotency key, Gmail drafts per customer):
 * the lifecycle and how events are applied. CSM-facing rules and long life: incident-csms.workflow.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { acknowledgeSignal, joinWarRoomSignal, SEARCH_ATTRIBUTES, setOutreachStatusUpdate } from '../../workflows/contract';
import { incidentIdFor } from '../../domain/incident-state';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { at, HOUR, IncidentHarness, MINUTE, pdEvent } from './incident-harness';

let env: TestWorkflowEnvironment;
before(async () => { env = await createTimeSkippingEnv(); });
after(async () => { await env?.teardown(); });

describe('incident workflow', () => {
  test('P1 lifecycle: alert, war room, drafts, updates in thread, resolution, 24 h follow-up, 3-day post-mortem, completion', async () => {
    const h = new IncidentHarness(env);
    await h.run('p1 lifecycle', async () => {
      const { mock } = h;
      const wf = await h.send(pdEvent('LIFE1', { message: 'We are investigating elevated API latency.' }));
      let s = await h.until(wf, 'both CSMs alerted and drafts made', (x) =>
        x.csms.filter((c) => c.alertedAt).length === 2 && x.customers.filter((c) => c.outreachStatus === 'drafted').length === 2);

      await h.eventually('drafts persisted', () => mock.of('saveOutreach').length === 2);
      // Recorded first, under the id derived from the workflow id, then the timeline.
      assert.equal(mock.calls[0]!.name, 'recordIncident');
      assert.equal(s.incident.id, incidentIdFor('incident:pagerduty:LIFE1'));
      assert.equal(mock.timeline[0]!.kind, 'created');

      // One alert per affected CSM, with only their customers, in priority order.
      const alerts = mock.sent.filter((m) => m.kind === 'alert');
      assert.deepEqual(alerts.map((m) => [m.to, m.customers]).sort(), [
        ['ana@example.com', ['TechCorp', 'GlobalInc', 'DataFlow']],
        ['bo@example.com', ['StartupXYZ', 'SmallBiz']],
      ]);
      assert.equal(mock.sentTo('cy@example.com').length, 0);
      assert.deepEqual(s.totals, { customers: 5, arrAtRisk: 1_125_000, businessImpact: 9_800, highImpact: 2 });
      assert.deepEqual(mock.of('markCustomersNotified')[0].customerIds.sort(), ['c-dataflow', 'c-globalinc', 'c-smallbiz', 'c-startupxyz', 'c-techcorp']);

      // P1: war room with the affected CSMs and their managers.
      const [room] = mock.of('ensureWarRoom');
      assert.deepEqual(room.memberSlackIds.sort(), ['U_ANA', 'U_BO']);
      assert.deepEqual(room.memberEmails.sort(), ['ana@example.com', 'bo@example.com', 'mo@example.com']);
      assert.deepEqual(s.warRoom, { channelId: 'C_WAR', name: 'incident-q1abc-response' });

      // Drafts only for the high-impact customers, in their CSM's mailbox; outreach becomes drafted.
      assert.deepEqual(mock.emails.map((e) => [e.csm, e.customerId, e.kind, e.send]).sort(), [
        ['ana@example.com', 'c-globalinc', 'outreach', false], ['ana@example.com', 'c-techcorp', 'outreach', false],
      ]);
      assert.deepEqual(mock.of('saveOutreach').map((o) => [o.customerId, o.status]).sort(), [['c-globalinc', 'drafted'], ['c-techcorp', 'drafted']]);

      // Ops view in the Temporal UI.
      const d = await wf.describe();
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.severity), 'P1');
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status), 'investigating');
      assert.deepEqual(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.components), ['api-gateway']);
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.arrAtRisk), 1_125_000);
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.impactedCustomers), 5);
      assert.deepEqual(d.memo, { title: 'API Latency Issues' });

      // The CSMs act: Ana acknowledges from Slack, marks TechCorp's email as sent; Bo joins the war room.
      await wf.signal(acknowledgeSignal, { slackUserId: 'U_ANA' });
      await wf.executeUpdate(setOutreachStatusUpdate, { args: [{ customerId: 'c-techcorp', status: 'sent', actor: 'ana@example.com' }] });
      await wf.signal(joinWarRoomSignal, { slackUserId: 'U_BO' });
      await h.calls('inviteToWarRoom', 1);
      assert.deepEqual(mock.of('inviteToWarRoom')[0], { channelId: 'C_WAR', slackUserIds: ['U_BO'] });

      // A status change: in each alert's thread, and in the war room.
      await h.send(pdEvent('LIFE1', { status: 'identified', message: 'Cause identified: a bad cache deploy.', occurredAt: at(20) }));
      s = await h.until(wf, 'status identified', (x) => x.incident.status === 'identified');
      await h.calls('postToWarRoom', 1);
      const updates = mock.sent.filter((m) => m.kind === 'update');
      assert.equal(updates.length, 2);
      for (const u of updates) {
        const alert = alerts.find((a) => a.to === u.to)!;
        assert.deepEqual(u.thread, { channel: alert.channel, ts: alert.ts }, 'posted in the alert\'s thread');
        assert.deepEqual(u.changes, ['Status: Investigating → Identified', 'Public update: "Cause identified: a bad cache deploy."']);
      }
      assert.equal(mock.of('analyzeImpact').length, 1, 'a status change does not re-run the analysis');
      assert.match(mock.of('postToWarRoom')[0].text, /Status: Investigating → Identified/);

      // Resolved two hours and a quarter after the start.
      await h.send(pdEvent('LIFE1', { status: 'resolved', message: 'Root cause identified and fixed', occurredAt: at(135) }));
      s = await h.until(wf, 'resolved with follow-ups scheduled', (x) => x.phase === 'resolved' && Boolean(x.followUpDueAt));
      await h.eventually('follow-ups recorded', () => mock.of('recordFollowUp').length === 4);
      const resolutions = mock.sent.filter((m) => m.kind === 'resolution');
      assert.deepEqual(resolutions.map((m) => m.to).sort(), ['ana@example.com', 'bo@example.com']);
      assert.ok(s.csms.every((c) => c.resolutionNotifiedAt));
      // Resolution emails for the customers contacted so far (TechCorp sent, GlobalInc drafted), drafted as configured.
      assert.deepEqual(mock.emails.filter((e) => e.kind === 'resolution').map((e) => [e.customerId, e.send]).sort(), [['c-globalinc', false], ['c-techcorp', false]]);
      assert.equal(mock.of('postToWarRoom').length, 2);
      assert.match(mock.of('postToWarRoom')[1].text, /^Resolved after .*: 2 CSMs notified, 2 resolution emails drafted/);
      const scheduled = mock.of('recordFollowUp').filter((f) => f.status === 'scheduled');
      assert.deepEqual(scheduled.map((f) => [f.kind, f.csmEmail]).sort(), [
        ['customer_follow_up', 'ana@example.com'], ['customer_follow_up', 'bo@example.com'],
        ['post_mortem', 'ana@example.com'], ['post_mortem', 'bo@example.com'],
      ]);
      const resolvedAt = Date.parse(s.followUpDueAt!) - 24 * HOUR;
      assert.equal(Date.parse(s.postMortemDueAt!), resolvedAt + (24 + 72) * HOUR);

      // 24 hours later: Ana (two high-impact customers not responded) gets the follow-up; Bo has none to call.
      await env.sleep(24 * HOUR + MINUTE);
      s = await h.until(wf, 'follow-ups done', (x) => x.csms.every((c) => c.followUpDoneAt));
      await h.eventually('follow-ups recorded done', () => mock.of('recordFollowUp').filter((f) => f.status === 'done').length === 2);
      const followUps = mock.sent.filter((m) => m.kind === 'follow_up');
      assert.deepEqual(followUps.map((m) => [m.to, m.customers]), [['ana@example.com', ['TechCorp', 'GlobalInc']]]);
      assert.equal(mock.sent.filter((m) => m.kind === 'post_mortem').length, 0);

      // Three days after that: the post-mortem reminder, then the workflow completes.
      await env.sleep(72 * HOUR);
      await wf.result();
      assert.deepEqual(mock.sent.filter((m) => m.kind === 'post_mortem').map((m) => m.to).sort(), ['ana@example.com', 'bo@example.com']);
      assert.deepEqual(mock.of('recordFollowUp').filter((f) => f.status === 'done').map((f) => [f.kind, f.csmEmail]).sort(), [
        ['customer_follow_up', 'ana@example.com'], ['customer_follow_up', 'bo@example.com'],
        ['post_mortem', 'ana@example.com'], ['post_mortem', 'bo@example.com'],
      ]);
      // No escalation (Ana acknowledged, and no time passed before resolution) and no duplicate anything.
      assert.equal(mock.sent.filter((m) => m.kind === 'escalation').length, 0);
      assert.equal(new Set(mock.sent.map((m) => m.key)).size, mock.sent.length);
      const kinds = mock.timeline.map((t) => t.kind);
      for (const k of ['created', 'alert', 'war_room', 'drafts', 'acknowledged', 'status', 'message', 'resolution', 'follow_up', 'post_mortem'] as const) {
        assert.ok(kinds.includes(k), `timeline has ${k}`);
      }
    });
  });
});

describe('incident workflow: events', () => {
  test('a repeated delivery and an out-of-order event change nothing they should not', async () => {
    const h = new IncidentHarness(env);
    await h.run('duplicates and out of order', async () => {
      const { mock } = h;
      const first = pdEvent('DUP1', { occurredAt: at(0) });
      const wf = await h.send(first);
      await h.until(wf, 'alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      await h.send(first); // PagerDuty retried the first delivery
      const monitoring = pdEvent('DUP1', { status: 'monitoring', occurredAt: at(30) });
      await h.send(monitoring);
      await h.send(monitoring);
      // Sent at minute 10, delivered last: its status is older than "monitoring", its message is news.
      await h.send(pdEvent('DUP1', {
        title: undefined, severity: undefined, components: undefined, regions: undefined, statusPageUrl: undefined,
        status: 'identified', message: 'Found the cause', occurredAt: at(10),
      }));
      const s = await h.until(wf, 'late message applied', (x) => x.incident.message === 'Found the cause');
      await h.eventually('ana told about the message', () => mock.sentTo('ana@example.com', 'update').length === 2);
      assert.equal(s.incident.status, 'monitoring');
      assert.equal(s.deliveryIds.length, 3);
      assert.equal(mock.sent.filter((m) => m.kind === 'alert').length, 2, 'no second alert');
      assert.equal(mock.of('analyzeImpact').length, 1);
      assert.deepEqual(mock.timeline.filter((t) => ['created', 'status', 'message'].includes(t.kind)).map((t) => [t.kind, t.summary]), [
        ['created', 'Detected: API Latency Issues (P1, investigating)'],
        ['status', 'Status: Investigating → Monitoring'],
        ['message', 'Public update: "Found the cause"'],
      ]);
      assert.deepEqual(mock.sentTo('ana@example.com', 'update').map((m) => m.changes), [
        ['Status: Investigating → Monitoring'], ['Public update: "Found the cause"'],
      ]);
    });
  });

  test('severity escalation P3 → P1 opens the war room mid-incident and starts escalation and update cadence', async () => {
    const h = new IncidentHarness(env);
    await h.run('severity escalation', async () => {
      const { mock } = h;
      const wf = await h.send(pdEvent('SEV1', { severity: 'P3' }));
      let s = await h.until(wf, 'alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      assert.equal(mock.of('ensureWarRoom').length, 0, 'no war room for a P3');
      assert.ok(s.csms.every((c) => !c.escalationDueAt));
      assert.equal(s.nextUpdateReminderAt, undefined);

      await h.send(pdEvent('SEV1', { severity: 'P1', occurredAt: at(5) }));
      s = await h.until(wf, 'war room open', (x) => Boolean(x.warRoom));
      const [room] = mock.of('ensureWarRoom');
      assert.equal(room!.incident.severity, 'P1');
      assert.deepEqual(room!.memberEmails.sort(), ['ana@example.com', 'bo@example.com', 'mo@example.com']);
      assert.equal(mock.of('analyzeImpact').length, 2, 'a severity change re-runs the analysis');
      await h.eventually('updates sent', () => mock.sent.filter((m) => m.kind === 'update').length === 2);
      for (const u of mock.sent.filter((m) => m.kind === 'update')) {
        assert.deepEqual(u.changes, ['Severity: P3 → P1 (escalated)']);
        assert.ok(u.thread, 'in the alert\'s thread');
      }
      assert.equal(mock.sent.filter((m) => m.kind === 'alert').length, 2, 'no new alert');
      s = await h.until(wf, 'escalation deadlines set', (x) => x.csms.every((c) => c.escalationDueAt));
      assert.ok(s.nextUpdateReminderAt);

      await env.sleep(16 * MINUTE);
      await h.eventually('both silent CSMs escalated', () => mock.sent.filter((m) => m.kind === 'escalation').length === 2);
      assert.deepEqual(mock.sent.filter((m) => m.kind === 'escalation').map((m) => m.to), ['mo@example.com', 'mo@example.com']);
    });
  });

  test('component expansion alerts only the newly affected CSM and tells the others in their thread', async () => {
    const h = new IncidentHarness(env);
    await h.run('component expansion', async () => {
      const { mock } = h;
      const wf = await h.send(pdEvent('COMP1', { severity: 'P2' }));
      await h.until(wf, 'alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2 && Boolean(x.warRoom));
      await h.send(pdEvent('COMP1', { severity: 'P2', components: ['api-gateway', 'billing'], occurredAt: at(10) }));
      let s = await h.until(wf, 'cy alerted', (x) => Boolean(x.csms.find((c) => c.email === 'cy@example.com')?.alertedAt));
      await h.until(wf, 'new high-impact customers drafted', (x) => ['c-eurobank', 'c-shopco'].every((id) => x.customers.find((c) => c.id === id)?.outreachStatus === 'drafted'));

      const alerts = mock.sent.filter((m) => m.kind === 'alert');
      assert.deepEqual(alerts.map((m) => m.to).sort(), ['ana@example.com', 'bo@example.com', 'cy@example.com']);
      assert.deepEqual(mock.sentTo('cy@example.com', 'alert')[0]!.customers, ['EuroBank']);
      const boUpdate = mock.sentTo('bo@example.com', 'update');
      assert.equal(boUpdate.length, 1);
      assert.deepEqual(boUpdate[0]!.customers, ['ShopCo', 'StartupXYZ', 'SmallBiz']);
      assert.deepEqual(boUpdate[0]!.changes, ['Components: added billing (now api-gateway, billing)', 'Now also affected: ShopCo']);
      assert.deepEqual(boUpdate[0]!.thread, { channel: 'D_U_BO', ts: mock.sentTo('bo@example.com', 'alert')[0]!.ts });
      assert.deepEqual(mock.sentTo('ana@example.com', 'update')[0]!.changes, ['Components: added billing (now api-gateway, billing)']);
      assert.equal(mock.sentTo('cy@example.com', 'update').length, 0, 'the new CSM gets the alert, not an update');
      // The war room invites the new CSM and their manager.
      const rooms = mock.of('ensureWarRoom');
      assert.equal(rooms.length, 2);
      assert.deepEqual(rooms[1]!.memberSlackIds, ['U_CY']);
      assert.deepEqual(rooms[1]!.memberEmails, ['cy@example.com', 'lee@example.com']);
      assert.equal(rooms[1]!.idempotencyKey, rooms[0]!.idempotencyKey, 'the same channel');
      assert.equal(s.totals.customers, 7);

      // API Gateway recovers: Ana's customers are no longer affected, kept with their outreach.
      await h.send(pdEvent('COMP1', { severity: 'P2', components: ['billing'], occurredAt: at(20) }));
      s = await h.until(wf, 'ana\'s customers no longer affected', (x) => x.customers.filter((c) => !c.stillAffected).length === 5);
      assert.equal(s.customers.length, 7);
      assert.equal(s.customers.find((c) => c.id === 'c-techcorp')!.outreachStatus, 'drafted');
      assert.deepEqual(s.totals, { customers: 2, arrAtRisk: 920_000, businessImpact: 4_600, highImpact: 2 });
      await h.eventually('ana told', () => mock.sentTo('ana@example.com', 'update').length === 2);
      assert.deepEqual(mock.sentTo('ana@example.com', 'update')[1]!.changes, [
        'Components: removed api-gateway (now billing)', 'No longer affected: TechCorp, GlobalInc, DataFlow',
      ]);
      assert.deepEqual(mock.sentTo('ana@example.com', 'update')[1]!.customers, []);
    });
  });

  test('reopening cancels pending follow-ups and returns to following the incident', async () => {
    const h = new IncidentHarness(env);
    await h.run('reopen', async () => {
      const { mock } = h;
      const wf = await h.send(pdEvent('REOPEN1', { severity: 'P2' }));
      await h.until(wf, 'alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      await wf.signal(acknowledgeSignal, { csmEmail: 'ana@example.com' });
      await wf.signal(acknowledgeSignal, { csmEmail: 'BO@example.com' });
      await h.send(pdEvent('REOPEN1', { severity: 'P2', status: 'resolved', occurredAt: at(60) }));
      let s = await h.until(wf, 'resolved', (x) => x.phase === 'resolved' && Boolean(x.followUpDueAt));
      const firstDue = s.followUpDueAt!;
      const firstPostMortem = s.postMortemDueAt!;

      await h.send(pdEvent('REOPEN1', { severity: 'P2', status: 'investigating', message: 'The errors are back', occurredAt: at(90) }));
      s = await h.until(wf, 'reopened', (x) => x.phase === 'active' && x.incident.status === 'investigating');
      assert.equal(s.followUpDueAt, undefined);
      assert.equal(s.incident.resolvedAt, undefined);
      await h.eventually('follow-ups cancelled', () => mock.of('recordFollowUp').filter((f) => f.status === 'cancelled').length === 4);
      const cancelled = mock.of('recordFollowUp').filter((f) => f.status === 'cancelled');
      assert.deepEqual(cancelled.map((f) => [f.kind, f.csmEmail, f.dueAt]).sort(), [
        ['customer_follow_up', 'ana@example.com', firstDue], ['customer_follow_up', 'bo@example.com', firstDue],
        ['post_mortem', 'ana@example.com', firstPostMortem], ['post_mortem', 'bo@example.com', firstPostMortem],
      ]);
      assert.equal(s.postMortemDueAt, undefined);
      assert.ok(mock.timeline.some((t) => t.kind === 'reopened' && t.summary === 'Status: Resolved → Investigating (reopened)'));
      await h.eventually('CSMs told in thread', () => mock.sent.filter((m) => m.kind === 'update').length === 2);
      assert.ok(mock.sent.filter((m) => m.kind === 'update').every((u) => u.thread && u.changes![0] === 'Status: Resolved → Investigating (reopened)'));

      // The old follow-up time passes: nothing is sent, the incident is open again.
      await env.sleep(25 * HOUR);
      assert.equal(mock.sent.filter((m) => m.kind === 'follow_up').length, 0);
      assert.equal((await h.state(wf)).phase, 'active');

      // Resolved again: a new resolution DM, new follow-ups, and the workflow completes after them.
      await h.send(pdEvent('REOPEN1', { severity: 'P2', status: 'resolved', occurredAt: at(26 * 60) }));
      await h.until(wf, 'resolved again', (x) => x.phase === 'resolved' && Boolean(x.followUpDueAt));
      assert.equal(mock.sent.filter((m) => m.kind === 'resolution').length, 4);
      await env.sleep(24 * HOUR + MINUTE);
      await h.until(wf, 'follow-ups done', (x) => x.csms.every((c) => c.followUpDoneAt));
      await env.sleep(72 * HOUR);
      await wf.result();
      assert.equal(mock.sent.filter((m) => m.kind === 'post_mortem').length, 2);
    });
  });
});
