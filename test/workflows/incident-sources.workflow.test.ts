/**
 * A correlated incident (domain/incident/sources.ts) in the time-skipping test server with mocked
 * activities: several source incidents routed to one incident workflow, as db/incident-routing.ts
 * routes them. One alert per CSM; later sources in the alert's thread and the war room; severity the
 * highest, components the union (newly affected CSMs alerted once); resolved only when every source
 * that is not a support spike has resolved, with Statuspage's resolution message as the public one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { detachSourceSignal, mergeIntoSignal } from '../../workflows/contract';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { at, IncidentHarness, pdEvent } from './incident-harness';

let env: TestWorkflowEnvironment;
before(async () => { env = await createTimeSkippingEnv(); });
after(async () => { await env?.teardown(); });

describe('correlated incident workflow', () => {
  test('support spike, then Opsgenie P1, then Statuspage: one incident, one alert per CSM, resolved when every real source resolved', async () => {
    const h = new IncidentHarness(env);
    await h.run('correlated sources', async () => {
      const { mock } = h;
      const id = 'incident:support:api-gateway-20260129T193000Z';
      const wf = await h.send(pdEvent('api-gateway-20260129T193000Z', {
        source: 'support', title: 'Suspected incident: API Gateway (3 tickets from 3 customers in 15 min)', severity: 'P3',
        statusPageUrl: undefined, deliveryId: 'support-open:1',
      }), id);
      await h.until(wf, 'both CSMs alerted about the suspected incident', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      assert.equal(mock.sent.filter((m) => m.kind === 'alert').length, 2);

      // The Opsgenie P1 joins: no second alert; the news in each thread; P1 opens the war room.
      await h.send(pdEvent('og-1', {
        source: 'opsgenie', title: 'Checkout API 5xx above 20%', severity: 'P1', status: 'investigating', statusPageUrl: undefined,
        occurredAt: at(2), deliveryId: 'og-create',
      }), id);
      let s = await h.until(wf, 'the P1 applied', (x) => x.incident.severity === 'P1' && x.sources?.length === 2);
      assert.equal(s.incident.title, 'Checkout API 5xx above 20%', 'the real incident names it');
      assert.equal(s.incident.source, 'support', 'the incident keeps its identity');
      await h.eventually('updates in both threads', () => mock.sent.filter((m) => m.kind === 'update').length === 2);
      for (const update of mock.sent.filter((m) => m.kind === 'update')) {
        assert.ok(update.thread, 'in the alert thread');
        assert.equal(update.changes![0], 'Also reported by Opsgenie: Checkout API 5xx above 20% — investigating');
        assert.ok(update.changes!.includes('Severity: P3 → P1 (escalated)'));
      }
      await h.calls('ensureWarRoom', 1);

      // Statuspage joins with a wider component list: Cy (billing) is alerted once, the others hear it in their thread.
      await h.send(pdEvent('sp-1', {
        source: 'statuspage', title: 'Elevated error rates on checkout', severity: 'P2', status: 'identified',
        components: ['api-gateway', 'billing'], message: 'We have identified the cause of elevated errors.',
        statusPageUrl: 'https://status.example.com/incidents/sp1', occurredAt: at(5), deliveryId: 'sp-1@1',
      }), id);
      s = await h.until(wf, 'Statuspage applied', (x) => x.sources?.length === 3 && x.csms.filter((c) => c.alertedAt).length === 3);
      assert.deepEqual(s.incident.components, ['api-gateway', 'billing']);
      assert.equal(s.incident.severity, 'P1', 'the highest severity stays');
      assert.equal(s.incident.status, 'identified');
      assert.equal(s.incident.message, 'We have identified the cause of elevated errors.');
      await h.eventually('the Statuspage news in the old threads', () => mock.sent.filter((m) => m.kind === 'update'
        && m.changes?.[0] === 'Also reported by Statuspage: Elevated error rates on checkout — identified').length === 2);
      const alerts = mock.sent.filter((m) => m.kind === 'alert');
      assert.deepEqual(alerts.map((m) => m.to).sort(), ['ana@example.com', 'bo@example.com', 'cy@example.com'], 'one alert per CSM');
      await h.eventually('the news in the war room', () => mock.of('postToWarRoom').some((p) => p.text.includes('Also reported by Statuspage')));

      // Opsgenie closes: Statuspage still open, so the incident is not resolved.
      await h.send(pdEvent('og-1', { source: 'opsgenie', status: 'resolved', title: undefined, severity: undefined, components: undefined, regions: undefined, statusPageUrl: undefined, occurredAt: at(20), deliveryId: 'og-close' }), id);
      s = await h.until(wf, 'the Opsgenie close applied', (x) => x.sources?.find((c) => c.source === 'opsgenie')?.view.status === 'resolved');
      assert.equal(s.phase, 'active');
      assert.equal(s.incident.status, 'identified');
      await h.eventually('the close in the threads', () => mock.sent.some((m) => m.changes?.[0] === 'Opsgenie: Checkout API 5xx above 20% — resolved'));
      assert.equal(mock.sent.filter((m) => m.kind === 'resolution').length, 0);

      // Statuspage resolves: every real source has; the support spike does not hold it up.
      await h.send(pdEvent('sp-1', {
        source: 'statuspage', status: 'resolved', title: undefined, severity: undefined, components: undefined, regions: undefined, statusPageUrl: undefined,
        message: 'This incident has been resolved.', occurredAt: at(40), deliveryId: 'sp-1@2',
      }), id);
      s = await h.until(wf, 'resolved', (x) => x.phase === 'resolved');
      assert.equal(s.incident.status, 'resolved');
      assert.equal(s.incident.message, 'This incident has been resolved.');
      assert.equal(s.incident.resolvedAt, at(40));
      await h.eventually('one resolution per CSM', () => mock.sent.filter((m) => m.kind === 'resolution').length === 3);
      assert.deepEqual(mock.sent.filter((m) => m.kind === 'alert').length, 3, 'still one alert per CSM');
      assert.ok(mock.timeline.some((t) => t.kind === 'source_linked' && t.summary === 'Also reported by Statuspage: Elevated error rates on checkout — identified'));
      const recorded = mock.of('recordIncident').at(-1)!;
      assert.deepEqual(recorded.sources?.map((x) => [x.source, x.status, x.suspected]), [
        ['support', 'investigating', true], ['opsgenie', 'resolved', false], ['statuspage', 'resolved', false],
      ]);
    });
  });

  test('a source routed to an incident before its own first event: the incident keeps the identity its workflow id names', async () => {
    const h = new IncidentHarness(env);
    await h.run('correlated first event', async () => {
      const id = 'incident:pagerduty:RACE1';
      const wf = await h.send(pdEvent('sp-9', { source: 'statuspage', title: 'Checkout degraded', severity: 'P2', deliveryId: 'sp-9@1' }), id);
      await h.send(pdEvent('RACE1', { title: 'Checkout down', severity: 'P1', occurredAt: at(1), deliveryId: 'pd-race-1' }), id);
      const s = await h.until(wf, 'both sources', (x) => x.sources?.length === 2 && x.incident.severity === 'P1');
      assert.deepEqual([s.incident.source, s.incident.externalId], ['pagerduty', 'RACE1']);
      assert.equal(s.incident.title, 'Checkout degraded', 'the first source names it');
      await h.eventually('alerts', () => h.mock.sent.filter((m) => m.kind === 'alert').length === 2);
      await h.eventually('the PagerDuty news', () => h.mock.sent.some((m) => m.changes?.[0] === 'Also reported by PagerDuty: Checkout down — investigating'));
      assert.equal(h.mock.sent.filter((m) => m.kind === 'alert').length, 2);
    });
  });

  test('merge B into A: no CSM alerted twice, B\'s CSMs told in the thread they have, B ends; split a source back out', async () => {
    const h = new IncidentHarness(env);
    await h.run('merge and split', async () => {
      const { mock } = h;
      const a = await h.send(pdEvent('MERGE-A', { title: 'Checkout errors', severity: 'P2', statusPageUrl: undefined }));
      const b = await h.send(pdEvent('og-b', { source: 'opsgenie', title: 'Billing 5xx', severity: 'P2', components: ['billing'], statusPageUrl: undefined, deliveryId: 'og-b-1' }));
      await h.until(a, 'A alerted Ana and Bo', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      const sb = await h.until(b, 'B alerted Bo and Cy', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      const cyThread = sb.csms.find((c) => c.email === 'cy@example.com')!.thread;
      assert.equal(mock.sent.filter((m) => m.kind === 'alert').length, 4);

      await b.signal(mergeIntoSignal, { into: a.workflowId, intoTitle: 'Checkout errors', actor: 'lee@example.com' });
      const merged = await h.until(a, 'B absorbed', (x) => x.sources?.length === 2 && x.incident.components.includes('billing'));
      assert.deepEqual(merged.sources!.map((x) => [x.source, x.externalId, x.mergedFrom]), [['pagerduty', 'MERGE-A', undefined], ['opsgenie', 'og-b', 'incident:opsgenie:og-b']]);
      assert.deepEqual(merged.mergedFrom, ['incident:opsgenie:og-b']);
      assert.deepEqual(merged.csms.find((c) => c.email === 'cy@example.com')!.thread, cyThread, 'Cy keeps B\'s thread');
      await h.eventually('B recorded as merged', () => mock.of('recordIncident').some((r) => r.mergedInto?.workflowId === a.workflowId));
      for (let i = 0; i < 100 && (await b.describe()).status.name === 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal((await b.describe()).status.name, 'COMPLETED', 'B ends');

      const line = 'Merged with "Billing 5xx" by lee@example.com: one incident from now on, followed here';
      await h.eventually('the merge told in each thread', () => ['ana@example.com', 'bo@example.com', 'cy@example.com']
        .every((e) => mock.sent.some((m) => m.kind === 'update' && m.to === e && m.changes?.[0] === line)));
      const cyUpdate = mock.sent.find((m) => m.kind === 'update' && m.to === 'cy@example.com' && m.changes?.[0] === line)!;
      assert.deepEqual(cyUpdate.thread, cyThread, 'in the thread Cy already has');
      assert.equal(mock.sent.filter((m) => m.kind === 'alert').length, 4, 'nobody alerted again');

      await a.signal(detachSourceSignal, { source: 'opsgenie', externalId: 'og-b', into: 'incident:opsgenie:og-b:split-1', actor: 'lee@example.com' });
      const split = await h.until(a, 'the Opsgenie source split out', (x) => x.sources?.length === 1);
      assert.deepEqual(split.incident.components, ['api-gateway']);
      await h.eventually('the split told', () => mock.sent.some((m) => m.kind === 'update' && m.changes?.[0] === 'Opsgenie incident "Billing 5xx" split out into its own incident by lee@example.com'));
    });
  });
});
