/**
 * The incident workflow (WORKFLOW_TYPES.incident) in the time-skipping test server, with mocked
 * activities that behave like the real ones where it matters (an outbox keyed by idempotency key,
 * the incident's customers in an in-memory incident_customer_impact, Gmail drafts per customer):
 * the lifecycle and how events are applied. CSM-facing rules and long life: incident-csms.workflow.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { acknowledgeSignal, joinWarRoomSignal, SEARCH_ATTRIBUTES } from '../../workflows/contract';
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
      let s = await h.until(wf, 'both CSMs alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      await h.eventually('drafts made', () => h.customers(wf).filter((c) => c.outreachStatus === 'drafted').length === 2);
      s = await h.state(wf);

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
      assert.deepEqual(s.csms.map((c) => [c.email, c.customers, c.arrAtRisk, c.highImpact]), [
        ['ana@example.com', 3, 1_050_000, 2], ['bo@example.com', 2, 75_000, 0],
      ]);
      assert.deepEqual(h.customers(wf).filter((c) => c.csmNotifiedAt).map((c) => c.customerId).sort(),
        ['c-dataflow', 'c-globalinc', 'c-smallbiz', 'c-startupxyz', 'c-techcorp']);
      assert.ok(mock.timeline.some((t) => t.kind === 'alert' && t.summary === 'Alerted 2 CSMs about 5 customers'));

      // P1: war room with the affected CSMs (the activity adds their managers).
      const [room] = mock.of('ensureWarRoom');
      assert.deepEqual(room!.memberSlackIds.sort(), ['U_ANA', 'U_BO']);
      assert.deepEqual(room!.memberEmails.sort(), ['ana@example.com', 'bo@example.com']);
      assert.deepEqual(s.warRoom, { channelId: 'C_WAR', name: 'incident-q1abc-response' });

      // Drafts only for the high-impact customers, in their CSM's mailbox; outreach becomes drafted.
      assert.deepEqual(mock.emails.map((e) => [e.csm, e.customerId, e.kind, e.send, e.actor]).sort(), [
        ['ana@example.com', 'c-globalinc', 'outreach', false, 'forewarn'], ['ana@example.com', 'c-techcorp', 'outreach', false, 'forewarn'],
      ]);
      assert.deepEqual(h.customers(wf).map((c) => [c.name, c.outreachStatus]), [
        ['TechCorp', 'drafted'], ['GlobalInc', 'drafted'], ['DataFlow', 'pending'], ['StartupXYZ', 'pending'], ['SmallBiz', 'pending'],
      ]);
      await h.eventually('drafts on the timeline', () => mock.timeline.some((t) => t.kind === 'drafts'));
      assert.equal(mock.timeline.find((t) => t.kind === 'drafts')!.summary, '2 outreach email drafts prepared for high-impact customers');

      // Ops view in the Temporal UI.
      const d = await wf.describe();
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.severity), 'P1');
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status), 'investigating');
      assert.deepEqual(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.components), ['api-gateway']);
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.arrAtRisk), 1_125_000);
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.impactedCustomers), 5);
      assert.deepEqual(d.memo, { title: 'API Latency Issues' });

      // The CSMs act: Ana acknowledges from Slack and marks TechCorp's email as sent; Bo joins the war room.
      await wf.signal(acknowledgeSignal, { slackUserId: 'U_ANA' });
      const moved = await h.recordOutreach(wf, 'c-techcorp', 'sent', { actor: 'ana@example.com' });
      assert.equal(moved.ok, true);
      await wf.signal(joinWarRoomSignal, { slackUserId: 'U_BO' });
      await h.calls('inviteToWarRoom', 1);
      assert.deepEqual(mock.of('inviteToWarRoom')[0], { channelId: 'C_WAR', slackUserIds: ['U_BO'] });
      s = await h.until(wf, 'ana acknowledged and acted', (x) => Boolean(x.csms[0]!.acknowledgedAt && x.csms[0]!.actedAt));

      // A status change: in each alert's thread, and in the war room.
      await h.send(pdEvent('LIFE1', { status: 'identified', message: 'Cause identified: a bad cache deploy.', occurredAt: at(20) }));
      s = await h.until(wf, 'status identified', (x) => x.incident.status === 'identified');
      await h.calls('postToWarRoom', 1);
      await h.eventually('both CSMs updated', () => mock.sent.filter((m) => m.kind === 'update').length === 2);
      for (const u of mock.sent.filter((m) => m.kind === 'update')) {
        const alert = alerts.find((a) => a.to === u.to)!;
        assert.deepEqual(u.thread, { channel: alert.channel, ts: alert.ts }, 'posted in the alert\'s thread');
        assert.deepEqual(u.changes, ['Status: Investigating → Identified', 'Public update: "Cause identified: a bad cache deploy."']);
      }
      assert.deepEqual(mock.sentTo('ana@example.com', 'update')[0]!.customers, ['TechCorp', 'GlobalInc', 'DataFlow']);
      assert.equal(mock.of('assessImpact').length, 1, 'a status change does not re-run the analysis');
      assert.match(mock.of('postToWarRoom')[0]!.text, /Status: Investigating → Identified/);

      // Resolved two hours and a quarter after the start.
      await h.send(pdEvent('LIFE1', { status: 'resolved', message: 'Root cause identified and fixed', occurredAt: at(135) }));
      s = await h.until(wf, 'resolved with follow-ups scheduled', (x) => x.phase === 'resolved' && Boolean(x.followUpDueAt));
      await h.eventually('resolution on the timeline', () => mock.timeline.some((t) => t.kind === 'resolution'));
      const resolutions = mock.sent.filter((m) => m.kind === 'resolution');
      assert.deepEqual(resolutions.map((m) => [m.to, m.customers]).sort(), [
        ['ana@example.com', ['TechCorp', 'GlobalInc', 'DataFlow']], ['bo@example.com', ['StartupXYZ', 'SmallBiz']],
      ]);
      assert.ok(s.csms.every((c) => c.resolutionNotifiedAt));
      // The business impact is recomputed for the real duration (2 h 15 min instead of the first hour's estimate).
      assert.equal(mock.of('refreshBusinessImpact').length, 1);
      assert.equal(s.totals.businessImpact, 22_051);
      // Resolution emails for the customers contacted so far (TechCorp sent, GlobalInc drafted), drafted as configured.
      assert.deepEqual(mock.emails.filter((e) => e.kind === 'resolution').map((e) => [e.customerId, e.send]).sort(), [['c-globalinc', false], ['c-techcorp', false]]);
      assert.equal(mock.of('postToWarRoom').length, 2);
      assert.match(mock.of('postToWarRoom')[1]!.text, /^Resolved after 2 hours 15 minutes: 2 CSMs notified, 2 resolution emails drafted/);
      const resolution = mock.timeline.find((t) => t.kind === 'resolution')!;
      assert.equal(resolution.details!.businessImpact, 22_051);
      assert.deepEqual(mock.followUps().filter((f) => f.status === 'scheduled').map((f) => [f.kind, f.csmEmail]).sort(), [
        ['customer_follow_up', 'ana@example.com'], ['customer_follow_up', 'bo@example.com'],
        ['post_mortem', 'ana@example.com'], ['post_mortem', 'bo@example.com'],
      ]);
      const resolvedAt = Date.parse(s.followUpDueAt!) - 24 * HOUR;
      assert.equal(Date.parse(s.postMortemDueAt!), resolvedAt + (24 + 72) * HOUR);

      // 24 hours later: Ana (two high-impact customers not responded) gets the follow-up; Bo has none to call.
      await env.sleep(24 * HOUR + MINUTE);
      s = await h.until(wf, 'follow-ups done', (x) => x.csms.every((c) => c.followUpDoneAt));
      await h.eventually('follow-ups recorded done', () => mock.followUps().filter((f) => f.status === 'done').length === 2);
      assert.deepEqual(mock.sent.filter((m) => m.kind === 'follow_up').map((m) => [m.to, m.customers]), [['ana@example.com', ['TechCorp', 'GlobalInc']]]);
      assert.ok(mock.timeline.some((t) => t.kind === 'follow_up' && t.summary === 'Follow-up reminder: 1 CSM with high-impact customers to call'));
      assert.equal(mock.sent.filter((m) => m.kind === 'post_mortem').length, 0);

      // Three days after that: the post-mortem reminder (about every customer the CSM had), then the workflow completes.
      await env.sleep(72 * HOUR);
      await wf.result();
      assert.deepEqual(mock.sent.filter((m) => m.kind === 'post_mortem').map((m) => [m.to, m.customers]).sort(), [
        ['ana@example.com', ['TechCorp', 'GlobalInc', 'DataFlow']], ['bo@example.com', ['StartupXYZ', 'SmallBiz']],
      ]);
      assert.deepEqual(mock.followUps().filter((f) => f.status === 'done').map((f) => [f.kind, f.csmEmail]).sort(), [
        ['customer_follow_up', 'ana@example.com'], ['customer_follow_up', 'bo@example.com'],
        ['post_mortem', 'ana@example.com'], ['post_mortem', 'bo@example.com'],
      ]);
      // No escalation (Ana acknowledged, and no time passed before resolution) and no duplicate anything.
      assert.equal(mock.sent.filter((m) => m.kind === 'escalation').length, 0);
      assert.equal(new Set(mock.sent.map((m) => m.key)).size, mock.sent.length);
      const kinds = mock.timeline.map((t) => t.kind);
      for (const k of ['created', 'alert', 'war_room', 'drafts', 'acknowledged', 'outreach', 'status', 'message', 'resolution', 'follow_up', 'post_mortem'] as const) {
        assert.ok(kinds.includes(k), `timeline has ${k}`);
      }
      assert.equal(mock.timeline.at(-1)!.summary, 'All follow-ups done: Forewarn stops following this incident');
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
      assert.equal(mock.of('assessImpact').length, 1);
      assert.deepEqual(mock.timeline.filter((t) => ['created', 'status', 'message'].includes(t.kind)).map((t) => [t.kind, t.summary]), [
        ['created', 'Detected: API Latency Issues (P1, investigating)'],
        ['status', 'Status: Investigating → Monitoring'],
        ['message', 'Public update: "Found the cause"'],
      ]);
      assert.deepEqual(mock.sentTo('ana@example.com', 'update').map((m) => m.changes), [
        ['Status: Investigating → Monitoring'], ['Public update: "Found the cause"'],
      ]);
      assert.equal(mock.sentTo('bo@example.com', 'update').length, 2);
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
      assert.deepEqual(room!.memberEmails.sort(), ['ana@example.com', 'bo@example.com']);
      assert.equal(mock.of('assessImpact').length, 2, 'a severity change re-runs the analysis');
      await h.eventually('updates sent', () => mock.sent.filter((m) => m.kind === 'update').length === 2);
      for (const u of mock.sent.filter((m) => m.kind === 'update')) {
        assert.deepEqual(u.changes, ['Severity: P3 → P1 (escalated)'], 'the same customers: no "now also affected" line');
        assert.ok(u.thread, 'in the alert\'s thread');
      }
      assert.equal(mock.sent.filter((m) => m.kind === 'alert').length, 2, 'no new alert');
      s = await h.until(wf, 'escalation deadlines set', (x) => x.csms.every((c) => c.escalationDueAt));
      assert.ok(s.nextUpdateReminderAt);
      // The estimate follows the severity (P1 weighs twice a P3).
      assert.equal(s.totals.businessImpact, 9_800);

      await env.sleep(16 * MINUTE);
      await h.eventually('both silent CSMs escalated', () => mock.sent.filter((m) => m.kind === 'escalation').length === 2);
      assert.deepEqual(mock.sent.filter((m) => m.kind === 'escalation').map((m) => [m.to, m.about, m.customers]).sort(), [
        ['mo@example.com', 'ana@example.com', ['TechCorp', 'GlobalInc', 'DataFlow']],
        ['mo@example.com', 'bo@example.com', ['StartupXYZ', 'SmallBiz']],
      ]);
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
      await h.eventually('new high-impact customers drafted', () => ['c-eurobank', 'c-shopco'].every((id) => h.customer(wf, id).outreachStatus === 'drafted'));

      const alerts = mock.sent.filter((m) => m.kind === 'alert');
      assert.deepEqual(alerts.map((m) => m.to).sort(), ['ana@example.com', 'bo@example.com', 'cy@example.com']);
      assert.deepEqual(mock.sentTo('cy@example.com', 'alert')[0]!.customers, ['EuroBank']);
      await h.eventually('bo and ana updated', () => mock.sent.filter((m) => m.kind === 'update').length === 2);
      const boUpdate = mock.sentTo('bo@example.com', 'update');
      assert.equal(boUpdate.length, 1);
      assert.deepEqual(boUpdate[0]!.customers, ['ShopCo', 'StartupXYZ', 'SmallBiz']);
      assert.deepEqual(boUpdate[0]!.changes, ['Components: added billing (now api-gateway, billing)', 'Now also affected: ShopCo']);
      assert.deepEqual(boUpdate[0]!.thread, { channel: 'D_U_BO', ts: mock.sentTo('bo@example.com', 'alert')[0]!.ts });
      assert.deepEqual(mock.sentTo('ana@example.com', 'update')[0]!.changes, ['Components: added billing (now api-gateway, billing)']);
      assert.equal(mock.sentTo('cy@example.com', 'update').length, 0, 'the new CSM gets the alert, not an update');
      // Who was told about which customer: the update stamped ShopCo, Cy's alert EuroBank.
      assert.ok(h.customer(wf, 'c-shopco').csmNotifiedAt && h.customer(wf, 'c-eurobank').csmNotifiedAt);
      // The war room invites the new CSM (and, through the activity, their manager).
      const rooms = mock.of('ensureWarRoom');
      assert.equal(rooms.length, 2);
      assert.deepEqual(rooms[1]!.memberSlackIds, ['U_CY']);
      assert.deepEqual(rooms[1]!.memberEmails, ['cy@example.com']);
      assert.equal(rooms[1]!.idempotencyKey, rooms[0]!.idempotencyKey, 'the same channel');
      assert.deepEqual(s.totals, { customers: 7, arrAtRisk: 2_045_000, businessImpact: 9_500, highImpact: 4 });
      assert.deepEqual(s.csms.map((c) => [c.email, c.customers, c.highImpact]), [
        ['ana@example.com', 3, 2], ['bo@example.com', 3, 1], ['cy@example.com', 1, 1],
      ]);

      // API Gateway recovers: Ana's customers are no longer affected, kept with their outreach.
      await h.send(pdEvent('COMP1', { severity: 'P2', components: ['billing'], occurredAt: at(20) }));
      s = await h.until(wf, 'ana has no affected customer left', (x) => x.csms.find((c) => c.email === 'ana@example.com')!.customers === 0);
      assert.equal(h.customers(wf).length, 7);
      assert.deepEqual(h.customers(wf).filter((c) => !c.stillAffected).map((c) => c.name), ['TechCorp', 'GlobalInc', 'DataFlow', 'StartupXYZ', 'SmallBiz']);
      assert.equal(h.customer(wf, 'c-techcorp').outreachStatus, 'drafted');
      assert.deepEqual(s.totals, { customers: 2, arrAtRisk: 920_000, businessImpact: 4_600, highImpact: 2 });
      await h.eventually('ana and bo told', () => mock.sentTo('ana@example.com', 'update').length === 2 && mock.sentTo('bo@example.com', 'update').length === 2);
      assert.deepEqual(mock.sentTo('ana@example.com', 'update')[1]!.changes, [
        'Components: removed api-gateway (now billing)', 'No longer affected: TechCorp, GlobalInc and DataFlow',
      ]);
      assert.deepEqual(mock.sentTo('ana@example.com', 'update')[1]!.customers, []);
      assert.deepEqual(mock.sentTo('bo@example.com', 'update')[1]!.changes, [
        'Components: removed api-gateway (now billing)', 'No longer affected: StartupXYZ and SmallBiz',
      ]);
      assert.deepEqual(mock.sentTo('bo@example.com', 'update')[1]!.customers, ['ShopCo']);
      assert.equal(mock.sent.filter((m) => m.kind === 'alert').length, 3, 'nobody alerted twice');
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
      await h.until(wf, 'both acknowledged', (x) => x.csms.every((c) => c.acknowledgedAt));
      await h.send(pdEvent('REOPEN1', { severity: 'P2', status: 'resolved', occurredAt: at(60) }));
      let s = await h.until(wf, 'resolved', (x) => x.phase === 'resolved' && Boolean(x.followUpDueAt));
      const firstDue = s.followUpDueAt!;
      const firstPostMortem = s.postMortemDueAt!;

      await h.send(pdEvent('REOPEN1', { severity: 'P2', status: 'investigating', message: 'The errors are back', occurredAt: at(90) }));
      s = await h.until(wf, 'reopened', (x) => x.phase === 'active' && x.incident.status === 'investigating');
      assert.equal(s.followUpDueAt, undefined);
      assert.equal(s.incident.resolvedAt, undefined);
      assert.equal(s.postMortemDueAt, undefined);
      await h.eventually('follow-ups cancelled', () => mock.followUps().filter((f) => f.status === 'cancelled').length === 4);
      assert.deepEqual(mock.followUps().filter((f) => f.status === 'cancelled').map((f) => [f.kind, f.csmEmail, f.dueAt]).sort(), [
        ['customer_follow_up', 'ana@example.com', firstDue], ['customer_follow_up', 'bo@example.com', firstDue],
        ['post_mortem', 'ana@example.com', firstPostMortem], ['post_mortem', 'bo@example.com', firstPostMortem],
      ]);
      assert.ok(mock.timeline.some((t) => t.kind === 'reopened' && t.summary === 'Status: Resolved → Investigating (reopened)'));
      await h.eventually('CSMs told in thread', () => mock.sent.filter((m) => m.kind === 'update').length === 2);
      assert.ok(mock.sent.filter((m) => m.kind === 'update').every((u) => u.thread && u.changes![0] === 'Status: Resolved → Investigating (reopened)'));
      assert.equal(mock.of('assessImpact').length, 2, 'a reopened incident is analyzed again');

      // The old follow-up time passes: nothing is sent, the incident is open again.
      await env.sleep(25 * HOUR);
      assert.equal(mock.sent.filter((m) => m.kind === 'follow_up').length, 0);
      assert.equal((await h.state(wf)).phase, 'active');

      // Resolved again: a new resolution DM, new follow-ups, and the workflow completes after them.
      await h.send(pdEvent('REOPEN1', { severity: 'P2', status: 'resolved', occurredAt: at(26 * 60) }));
      await h.until(wf, 'resolved again', (x) => x.phase === 'resolved' && Boolean(x.followUpDueAt));
      await h.eventually('second resolution DMs', () => mock.sent.filter((m) => m.kind === 'resolution').length === 4);
      assert.equal(new Set(mock.sent.filter((m) => m.kind === 'resolution').map((m) => m.key)).size, 4);
      await env.sleep(24 * HOUR + MINUTE);
      await h.until(wf, 'follow-ups done', (x) => x.csms.every((c) => c.followUpDoneAt));
      await env.sleep(72 * HOUR);
      await wf.result();
      assert.equal(mock.sent.filter((m) => m.kind === 'post_mortem').length, 2);
      assert.deepEqual(mock.sent.filter((m) => m.kind === 'follow_up').map((m) => m.to), ['ana@example.com']);
    });
  });
});
