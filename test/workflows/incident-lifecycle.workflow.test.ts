/**
 * The incident lifecycle's later paths in the time-skipping test server, with mocked activities:
 * suspected incidents dismissed by a person (the `dismiss` update) or closed by themselves after their
 * quiet period, and never a confirmed one; a finished incident reopened by a late event (a new run of
 * the same workflow id, restored from Postgres). Its runs are recorded for the replay test
 * (record-histories.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { dismissUpdate, SEARCH_ATTRIBUTES, UPDATE_REJECTIONS } from '../../workflows/contract';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { at, HOUR, IncidentHarness, MINUTE, pdEvent, rejection, SETTINGS } from './incident-harness';

let env: TestWorkflowEnvironment;
before(async () => { env = await createTimeSkippingEnv(); });
after(async () => { await env?.teardown(); });

/** A suspected incident as the support-spike detector opens it. */
const spike = (externalId: string) => pdEvent(externalId, {
  source: 'support', title: 'Suspected incident on API Gateway: 5 support tickets from 5 customers in 15 minutes',
  severity: 'P3', statusPageUrl: undefined, deliveryId: `support-open:${externalId}`,
});

describe('suspected incidents', () => {
  test('dismiss: a suspected incident ends dismissed; alerted CSMs told in their thread; a confirmed one is refused', async () => {
    const h = new IncidentHarness(env);
    await h.run('dismiss', async () => {
      const wf = await h.send(spike('api-gateway-20260129T193000Z'));
      const s = await h.until(wf, 'CSMs alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      assert.equal(s.suspected, true);

      const result = await wf.executeUpdate(dismissUpdate, { args: [{ actor: 'ana@example.com', reason: 'one customer\'s proxy' }] });
      assert.equal(result.csmsTold, 2);
      const told = h.mock.sent.filter((m) => m.kind === 'update');
      assert.deepEqual(told.map((m) => m.to).sort(), ['ana@example.com', 'bo@example.com']);
      for (const m of told) {
        assert.ok(m.thread, 'in the alert\'s thread');
        assert.deepEqual(m.changes, ['Dismissed as a false alarm by ana@example.com: one customer\'s proxy. No action needed for your customers.']);
      }
      const end = await h.state(wf);
      assert.deepEqual([end.incident.status, end.phase, end.suspected, end.dismissedAt], ['dismissed', 'completed', false, result.dismissedAt]);
      await wf.result();
      const d = await wf.describe();
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status), 'dismissed');
      assert.equal(h.mock.of('recordIncident').at(-1)!.incident.status, 'dismissed');

      // A PagerDuty incident is confirmed from the start: refused, with the reason, before anything happens.
      const pd = await h.send(pdEvent('CONFIRMED1'));
      await h.until(pd, 'alerted', (x) => x.csms.some((c) => c.alertedAt));
      const refused = await rejection(pd.executeUpdate(dismissUpdate, { args: [{ actor: 'ana@example.com' }] }));
      assert.equal(refused.type, UPDATE_REJECTIONS.notAllowed);
      assert.match(refused.message, /is a confirmed incident \(pagerduty, P1, investigating\), not a suspected one: resolve it instead/);
    });
  });

  test('auto-close: quiet for the configured period → dismissed; a new ticket starts the period afresh; a severity change confirms', async () => {
    const h = new IncidentHarness(env, { ...SETTINGS, suspectedAutoCloseMinutes: 60 });
    await h.run('auto close', async () => {
      const wf = await h.send(spike('api-gateway-20260129T200000Z'));
      await h.until(wf, 'alerted', (x) => x.csms.some((c) => c.alertedAt));
      await env.sleep(40 * MINUTE);
      await h.send({ ...spike('api-gateway-20260129T200000Z'), title: undefined, status: undefined, severity: undefined, components: undefined,
        note: '1 more support ticket', deliveryId: 'support-note:1', occurredAt: at(40) });
      await h.until(wf, 'the ticket noted', (x) => x.deliveryIds.includes('support-note:1'));
      await env.sleep(40 * MINUTE);
      assert.equal((await h.state(wf)).incident.status, 'investigating', 'the ticket moved the quiet period');
      await env.sleep(30 * MINUTE);
      await wf.result();
      const s = await h.state(wf);
      assert.deepEqual([s.incident.status, s.phase], ['dismissed', 'completed']);
      assert.ok(h.mock.sent.filter((m) => m.kind === 'update').every((m) => m.changes?.[0] === 'Closed as a false alarm: No new tickets or events for 60 minutes. No action needed for your customers.'));
      assert.ok(h.mock.timeline.some((t) => t.actor === 'Forewarn' && t.summary.startsWith('Closed as a false alarm')));

      // Confirmed by a severity change: no auto-close any more.
      const other = await h.send(spike('api-gateway-20260129T220000Z'));
      await h.until(other, 'alerted', (x) => x.csms.some((c) => c.alertedAt));
      await h.send({ ...spike('api-gateway-20260129T220000Z'), severity: 'P2', deliveryId: 'manual:raise', actor: 'ana@example.com', occurredAt: at(200) });
      await h.until(other, 'confirmed', (x) => x.suspected === false && x.incident.severity === 'P2');
      await h.settle(other.workflowId); // the timeline entry is written by an activity after the state changes
      assert.ok(h.mock.timeline.some((t) => t.summary === 'Confirmed by ana@example.com: no longer a suspected incident'));
      await env.sleep(3 * 60 * MINUTE);
      assert.equal((await h.state(other)).incident.status, 'investigating');
    });
  });
  test('declared by a person while open: the declaration joins as a note and confirms the suspected incident, alerting nobody again', async () => {
    const h = new IncidentHarness(env);
    await h.run('declared-join', async () => {
      const wf = await h.send(spike('api-gateway-20260129T230000Z'));
      await h.until(wf, 'CSMs alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      const alerts = h.mock.sent.filter((m) => m.kind === 'alert').length;
      // What api/incident-actions.ts sends for a declaration that changes no field (domain/declared-incident.ts).
      await h.send({
        source: 'manual', externalId: '20260129-abc123', occurredAt: at(5), deliveryId: 'manual:declare-1', actor: 'lee@example.com',
        byPerson: true, confirms: true, note: 'Declared by lee@example.com: API down (P4, api-gateway)',
      }, wf.workflowId);
      await h.until(wf, 'confirmed', (x) => x.suspected === false);
      await h.settle(wf.workflowId);
      const s = await h.state(wf);
      assert.deepEqual([s.incident.severity, s.incident.status, s.sources], ['P3', 'investigating', undefined], 'a note: no source linked, nothing changed');
      assert.ok(h.mock.timeline.some((t) => t.summary === 'Declared by lee@example.com: API down (P4, api-gateway)'));
      assert.ok(h.mock.timeline.some((t) => t.summary === 'Confirmed by lee@example.com: no longer a suspected incident'));
      assert.equal((h.mock.of('recordIncident').at(-1) as { suspected?: boolean }).suspected, false, 'the row says so');
      assert.equal(h.mock.sent.filter((m) => m.kind === 'alert').length, alerts, 'nobody alerted again');
    });
  });
});

describe('a finished incident reopened', () => {
  test('reopen after completion: a new run restored from Postgres; CSMs told in the thread they have, nobody alerted twice; an older event changes nothing', async () => {
    const h = new IncidentHarness(env);
    await h.run('reopen after completion', async () => {
      const { mock } = h;
      const wf = await h.send(pdEvent('BACK1', { severity: 'P2' }));
      await h.until(wf, 'alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      await h.send(pdEvent('BACK1', { severity: 'P2', status: 'resolved', occurredAt: at(60) }));
      await h.until(wf, 'resolved', (x) => x.phase === 'resolved');
      await env.sleep(24 * HOUR + MINUTE);
      await env.sleep(72 * HOUR);
      await wf.result();
      const finished = (await wf.describe()).runId;
      const alerts = mock.sent.filter((m) => m.kind === 'alert');
      assert.equal(alerts.length, 2);

      // Days later the outage is back: the same incident, followed again in a new run.
      const back = await h.reopen(pdEvent('BACK1', { severity: 'P2', status: 'investigating', message: 'The errors are back', occurredAt: at(5 * 24 * 60), reopens: true }));
      const s = await h.until(back, 'reopened', (x) => x.phase === 'active' && x.incident.status === 'investigating');
      assert.notEqual((await back.describe()).runId, finished, 'a new run of the same workflow id');
      assert.equal(mock.of('restoreIncident').length, 1);
      assert.deepEqual(s.csms.map((c) => c.email).sort(), ['ana@example.com', 'bo@example.com']);
      const told = await h.eventually('each CSM told in their alert\'s thread', () => mock.sent.filter((m) => m.kind === 'update').length === 2)
        .then(() => mock.sent.filter((m) => m.kind === 'update'));
      for (const update of told) {
        const alert = alerts.find((a) => a.about === update.about)!;
        assert.deepEqual(update.thread, { channel: alert.channel, ts: alert.ts }, `${update.about}: in the thread of the first alert`);
        assert.match(update.changes![0]!, /^It is back: this incident was resolved and closed, and has been reopened/);
      }
      assert.equal(mock.sent.filter((m) => m.kind === 'alert').length, 2, 'nobody alerted twice');
      assert.ok(mock.timeline.some((t) => t.kind === 'reopened'));

      // Resolved again: resolution DMs of the new run, in the same threads' incident.
      await h.send(pdEvent('BACK1', { severity: 'P2', status: 'resolved', occurredAt: at(5 * 24 * 60 + 30) }));
      await h.until(back, 'resolved again', (x) => x.phase === 'resolved');
      await h.eventually('second resolution DMs', () => mock.sent.filter((m) => m.kind === 'resolution').length === 4);
      await env.sleep(24 * HOUR + MINUTE);
      await env.sleep(72 * HOUR);
      await back.result();

      // An event older than the incident's end, sent as reopening: the new run restores it, changes nothing and ends.
      const sent = mock.sent.length;
      const stale = await h.reopen(pdEvent('BACK1', { severity: 'P2', status: 'investigating', occurredAt: at(5 * 24 * 60 + 10), reopens: true }));
      await stale.result();
      assert.equal((await h.state(stale)).phase, 'completed');
      assert.equal(mock.sent.length, sent, 'nobody told anything');
    });
  });
});
