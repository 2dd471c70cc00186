/**
 * An incident of any size keeps the workflow bounded: 500 CSMs with 100 affected customers each
 * (50,000 customers) through the whole lifecycle, with every customer only in the mock's
 * incident_customer_impact. Every CSM gets exactly one alert, one resolution DM, a follow-up and
 * the post-mortem reminder; the state stays well under a payload's 256 KB; no customer crosses
 * the workflow boundary (no activity input or result in the history names one).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CsmMessageKind } from '../../domain/incident/model';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { at, HOUR, IncidentHarness, MINUTE, pdEvent, SETTINGS } from './incident-harness';
import { largeBase } from './mock-activities';

const CSMS = 500;
const PER_CSM = 100;
const KB = 1024;

let env: TestWorkflowEnvironment;
before(async () => { env = await createTimeSkippingEnv(); });
after(async () => { await env?.teardown(); });

test('a P1 hitting 50,000 customers across 500 CSMs: one message of each kind per CSM, bounded state and payloads', async (t) => {
  const h = new IncidentHarness(env, SETTINGS, {}, largeBase(CSMS, PER_CSM));
  await h.run('large incident', async () => {
    const { mock } = h;
    const perCsm = (kind: CsmMessageKind) => {
      const counts = new Map<string, number>();
      for (const m of mock.sent.filter((x) => x.kind === kind)) counts.set(m.to, (counts.get(m.to) ?? 0) + 1);
      return counts;
    };
    const wf = await h.send(pdEvent('SCALE1'));
    let s = await h.until(wf, 'every CSM alerted', (x) => x.csms.filter((c) => c.alertedAt).length === CSMS, 60_000);
    await h.eventually('drafts made', () => mock.timeline.some((t) => t.kind === 'drafts'), 60_000);

    const alerts = perCsm('alert');
    assert.equal(alerts.size, CSMS);
    assert.ok([...alerts.values()].every((n) => n === 1), 'exactly one alert per CSM');
    assert.ok(mock.sent.filter((m) => m.kind === 'alert').every((m) => m.customers.length === PER_CSM && m.customers.every((n) => n.startsWith(`Customer ${Number(m.to.slice(3, 7))}-`))),
      'each alert lists only that CSM\'s customers');
    assert.deepEqual(s.totals.customers, CSMS * PER_CSM);
    assert.equal(s.totals.highImpact, CSMS * PER_CSM / 10);
    assert.equal(mock.timeline.find((t) => t.kind === 'drafts')!.summary, `${CSMS * PER_CSM / 10} outreach email drafts prepared for high-impact customers`);
    const stateBytes = JSON.stringify(await h.state(wf)).length;
    assert.ok(stateBytes < 256 * KB, `state query is ${Math.round(stateBytes / KB)} KB`);
    // Batched: a few activities for 500 CSMs, not one each.
    assert.ok(mock.of('sendCsmMessages').length <= CSMS / 50 + 1, `${mock.of('sendCsmMessages').length} message batches`);

    await h.send(pdEvent('SCALE1', { status: 'resolved', occurredAt: at(60) }));
    s = await h.until(wf, 'resolved', (x) => x.phase === 'resolved' && Boolean(x.followUpDueAt), 60_000);
    assert.equal(s.csms.filter((c) => c.resolutionNotifiedAt).length, CSMS);
    await h.eventually('follow-ups scheduled', () => mock.followUps().filter((f) => f.status === 'scheduled').length === 2 * CSMS, 60_000);
    await env.sleep(24 * HOUR + MINUTE);
    await h.eventually('every CSM followed up', () => perCsm('follow_up').size === CSMS, 60_000);
    await env.sleep(72 * HOUR);
    await wf.result();
    for (const kind of ['alert', 'resolution', 'follow_up', 'post_mortem'] as const) {
      const counts = perCsm(kind);
      assert.equal(counts.size, CSMS, `${kind} reached every CSM`);
      assert.ok([...counts.values()].every((n) => n === 1), `one ${kind} per CSM`);
    }

    // Nothing that grows with the customers crossed the workflow boundary.
    const history = await wf.fetchHistory();
    const text = (payloads: { data?: Uint8Array | null }[] | null | undefined) =>
      (payloads ?? []).map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('');
    let biggest = 0;
    let total = 0;
    for (const e of history.events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      const completed = e.activityTaskCompletedEventAttributes;
      const payload = text(scheduled?.input?.payloads) + text(completed?.result?.payloads)
        + text(e.workflowExecutionSignaledEventAttributes?.input?.payloads) + text(e.workflowExecutionStartedEventAttributes?.input?.payloads);
      assert.doesNotMatch(payload, /cust-\d|Customer \d/, `${scheduled?.activityType?.name ?? 'an event'} carries no customer`);
      biggest = Math.max(biggest, payload.length);
      total += payload.length;
    }
    t.diagnostic(`state ${Math.round(stateBytes / KB)} KB; history ${history.events?.length} events, payloads ${Math.round(total / KB)} KB, largest ${Math.round(biggest / KB)} KB`);
    assert.ok(biggest < 256 * KB, `largest payload ${Math.round(biggest / KB)} KB`);
    assert.ok(total < 10 * 1024 * KB, `history payloads ${Math.round(total / KB)} KB in all`);
  });
});
