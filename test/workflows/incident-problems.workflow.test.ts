/**
 * Postgres refusing part of an incident's data (an IncidentDataError, never retried) in the
 * time-skipping test server: the event is skipped and recorded as a problem on the incident, and
 * the incident carries on — later events are applied and alert as usual.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { incidentIdFor } from '../../domain/incident-state';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { at, IncidentHarness, pdEvent } from './incident-harness';

let env: TestWorkflowEnvironment;
before(async () => { env = await createTimeSkippingEnv(); });
after(async () => { await env?.teardown(); });

describe('incident workflow: data Postgres refuses', () => {
  test('a refused event is skipped and recorded as a problem; the next event is applied and alerts as usual', async () => {
    const h = new IncidentHarness(env);
    await h.run('data problem', async () => {
      const { mock } = h;
      const wf = await h.send(pdEvent('DATA1', { severity: 'P2' }));
      await h.until(wf, 'alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2 && Boolean(x.warRoom));

      const refused = pdEvent('DATA1', { severity: 'P2', message: 'Engineers are on it.', occurredAt: at(5) });
      mock.refusedTimelineDeliveries.add(refused.deliveryId);
      await h.send(refused);
      const s = await h.until(wf, 'problem recorded', (x) => (x.problemCount ?? 0) === 1);
      const [problem] = s.problems!;
      assert.equal(problem!.step, `event ${refused.deliveryId}`);
      assert.match(problem!.message, /^recordTimeline: Postgres refused the incident's data \(SQLSTATE 22021\): invalid byte sequence/);
      await h.calls('recordIncidentProblem', 1);
      const [recorded] = mock.of('recordIncidentProblem');
      assert.equal(recorded!.count, 1);
      assert.deepEqual(recorded!.problem, problem);
      assert.equal(recorded!.incident.id, incidentIdFor(wf.workflowId));
      // The rest of the refused event was skipped: nobody heard about it.
      assert.equal(mock.sent.filter((m) => m.kind === 'update').length, 0);

      // The incident carries on: the next event is applied and alerts the newly affected CSM.
      await h.send(pdEvent('DATA1', { severity: 'P2', components: ['api-gateway', 'billing'], occurredAt: at(10) }));
      const later = await h.until(wf, 'cy alerted', (x) => Boolean(x.csms.find((c) => c.email === 'cy@example.com')?.alertedAt));
      assert.deepEqual(mock.sentTo('cy@example.com', 'alert')[0]!.customers, ['EuroBank']);
      await h.eventually('ana and bo updated', () => mock.sent.filter((m) => m.kind === 'update').length === 2);
      assert.deepEqual(later.incident.components, ['api-gateway', 'billing']);
      assert.equal(later.problemCount, 1);
      assert.equal(mock.of('recordIncidentProblem').length, 1, 'recorded once');
      assert.equal((await wf.describe()).status.name, 'RUNNING');
    });
  });

  test('a refused first event: the incident starts with the next event and keeps the problem', async () => {
    const h = new IncidentHarness(env);
    await h.run('data problem first event', async () => {
      const { mock } = h;
      const first = pdEvent('DATA2', { severity: 'P3' });
      mock.refusedTimelineDeliveries.add(first.deliveryId);
      const wf = await h.send(first);
      await h.calls('recordIncidentProblem', 1);
      const [recorded] = mock.of('recordIncidentProblem');
      assert.equal(recorded!.problem.step, `event ${first.deliveryId}`);
      assert.equal(recorded!.incident.id, incidentIdFor(wf.workflowId));
      await h.settle(wf.workflowId);
      assert.equal(mock.sent.length, 0, 'no alert from an event that was not applied');

      await h.send(pdEvent('DATA2', { severity: 'P3', occurredAt: at(1) }));
      const s = await h.until(wf, 'alerted', (x) => x.csms.filter((c) => c.alertedAt).length === 2);
      assert.equal(s.problemCount, 1);
      assert.equal(s.problems![0]!.step, `event ${first.deliveryId}`);
      assert.deepEqual(mock.sent.filter((m) => m.kind === 'alert').map((m) => m.to).sort(), ['ana@example.com', 'bo@example.com']);
      assert.equal((await wf.describe()).status.name, 'RUNNING');
    });
  });
});
