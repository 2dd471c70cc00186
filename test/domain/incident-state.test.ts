import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyEvent, createIncident, customersOf, describeChanges, diffIncidents, findCsm, incidentIdFor, incidentTotals, mergeCsms,
  mergeImpact, needsEscalation, needsReanalysis, startLedger, type TrackedCustomer,
} from '../../domain/incident-state';
import type { AffectedCustomer, IncidentEvent } from '../../domain/types';

const WF = 'incident:pagerduty:Q1ABC';
const NOW = '2026-01-29T19:31:00.000Z';

function event(over: Partial<IncidentEvent> = {}): IncidentEvent {
  return {
    source: 'pagerduty', externalId: 'Q1ABC', title: 'API Latency Issues', status: 'investigating', severity: 'P1',
    components: ['api-gateway'], regions: [], occurredAt: '2026-01-29T19:30:00Z', deliveryId: 'd1', ...over,
  };
}

function affected(id: string, over: Partial<AffectedCustomer> = {}): AffectedCustomer {
  return {
    id, externalId: `ext-${id}`, name: id, arr: 100_000, segment: 'enterprise', region: 'us', csmEmail: 'ana@example.com',
    impactLevel: 'high', reason: 'Heavy API Gateway user', componentNames: ['API Gateway'], businessImpact: 1000, priorityRank: 1, ...over,
  };
}

describe('incident id', () => {
  test('is a stable UUID derived from the workflow id', () => {
    const id = incidentIdFor(WF);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(incidentIdFor(WF), id);
    assert.notEqual(incidentIdFor('incident:pagerduty:Q1ABD'), id);
  });
});

describe('creating and applying events', () => {
  test('the first event creates the incident; missing fields get defaults', () => {
    const inc = createIncident({ source: 'generic', externalId: 'x1', occurredAt: '2026-01-29T19:30:00Z', deliveryId: 'a' }, 'incident:generic:x1', NOW);
    assert.equal(inc.title, 'generic incident x1');
    assert.equal(inc.status, 'investigating');
    assert.equal(inc.severity, 'P3');
    assert.equal(inc.startedAt, '2026-01-29T19:30:00.000Z');
    assert.deepEqual(inc.components, []);
    assert.equal(inc.id, incidentIdFor('incident:generic:x1'));
  });

  test('components and regions are de-duplicated and sorted', () => {
    const inc = createIncident(event({ components: ['pipeline', 'api-gateway', 'pipeline'], regions: ['eu', ' us '] }), WF, NOW);
    assert.deepEqual(inc.components, ['api-gateway', 'pipeline']);
    assert.deepEqual(inc.regions, ['eu', 'us']);
  });

  test('a repeated delivery id changes nothing', () => {
    const ledger = startLedger(event(), WF, NOW);
    const again = applyEvent(ledger, event({ status: 'resolved', occurredAt: '2026-01-29T20:00:00Z' }), NOW);
    assert.equal(again.duplicate, true);
    assert.equal(again.incident.status, 'investigating');
    assert.deepEqual(again.changes, {});
  });

  test('an event older than the last applied one for a field changes nothing for that field, per field', () => {
    let ledger = startLedger(event(), WF, NOW);
    ledger = applyEvent(ledger, event({ deliveryId: 'd2', status: 'monitoring', severity: undefined, components: undefined, occurredAt: '2026-01-29T20:00:00Z' }), NOW);
    // Late delivery of an older event: its status is stale, but the message field was never set.
    const late = applyEvent(ledger, event({
      deliveryId: 'd3', title: undefined, regions: undefined, status: 'identified', severity: undefined, components: undefined,
      message: 'We found the cause', occurredAt: '2026-01-29T19:45:00Z',
    }), NOW);
    assert.equal(late.duplicate, false);
    assert.equal(late.incident.status, 'monitoring');
    assert.deepEqual(late.staleFields, ['status']);
    assert.equal(late.incident.message, 'We found the cause');
    assert.deepEqual(Object.keys(late.changes), ['message']);
  });

  test('an event exactly as old as the last one is applied', () => {
    const ledger = startLedger(event(), WF, NOW);
    const same = applyEvent(ledger, event({ deliveryId: 'd2', status: 'identified' }), NOW);
    assert.equal(same.incident.status, 'identified');
  });

  test('resolving sets resolvedAt from the event time; reopening clears it', () => {
    const ledger = startLedger(event(), WF, NOW);
    const resolved = applyEvent(ledger, event({ deliveryId: 'd2', status: 'resolved', occurredAt: '2026-01-29T21:45:00Z' }), NOW);
    assert.equal(resolved.incident.resolvedAt, '2026-01-29T21:45:00.000Z');
    assert.deepEqual(resolved.changes.status, { from: 'investigating', to: 'resolved' });
    const reopened = applyEvent(resolved, event({ deliveryId: 'd3', status: 'investigating', occurredAt: '2026-01-29T22:00:00Z' }), NOW);
    assert.equal(reopened.incident.resolvedAt, undefined);
    assert.deepEqual(describeChanges(reopened.changes), ['Status: Resolved → Investigating (reopened)']);
  });

  test('the source\'s own resolvedAt wins over the event time', () => {
    const ledger = startLedger(event(), WF, NOW);
    const r = applyEvent(ledger, event({ deliveryId: 'd2', status: 'resolved', resolvedAt: '2026-01-29T21:40:00Z', occurredAt: '2026-01-29T21:45:00Z' }), NOW);
    assert.equal(r.incident.resolvedAt, '2026-01-29T21:40:00Z');
  });

  test('delivery ids are bounded: the oldest are dropped', () => {
    let ledger = startLedger(event(), WF, NOW);
    for (let i = 0; i < 10; i++) ledger = applyEvent(ledger, event({ deliveryId: `n${i}`, message: `m${i}` }), NOW, 5);
    assert.deepEqual(ledger.deliveryIds, ['n5', 'n6', 'n7', 'n8', 'n9']);
  });

  test('an unreadable occurredAt counts as now', () => {
    const ledger = startLedger(event(), WF, NOW);
    const r = applyEvent(ledger, event({ deliveryId: 'd2', status: 'identified', occurredAt: 'yesterday' }), NOW);
    assert.equal(r.incident.status, 'identified');
    assert.equal(r.appliedAt.status, NOW);
  });
});

describe('what changed', () => {
  test('diff and lines for the timeline, the thread and the war room', () => {
    const before = createIncident(event({ message: 'Investigating' }), WF, NOW);
    const after = { ...before, status: 'identified' as const, severity: 'P2' as const, components: ['api-gateway', 'pipeline'], regions: ['eu'], message: 'Fix in progress' };
    const changes = diffIncidents(before, after);
    assert.deepEqual(describeChanges(changes, { 'api-gateway': 'API Gateway', pipeline: 'Data Processing Pipeline' }), [
      'Status: Investigating → Identified',
      'Severity: P1 → P2 (downgraded)',
      'Components: added Data Processing Pipeline (now API Gateway, Data Processing Pipeline)',
      'Regions: added eu (now eu)',
      'Public update: "Fix in progress"',
    ]);
    assert.equal(needsReanalysis(changes), true);
  });

  test('status and message changes alone do not re-run the analysis; the same components in another order are no change', () => {
    const before = createIncident(event({ components: ['a', 'b'] }), WF, NOW);
    assert.equal(needsReanalysis(diffIncidents(before, { ...before, status: 'monitoring', message: 'x' })), false);
    assert.deepEqual(diffIncidents(before, { ...before, components: ['a', 'b'] }), {});
    assert.deepEqual(describeChanges(diffIncidents(before, { ...before, severity: 'P3' })), ['Severity: P1 → P3 (downgraded)']);
    assert.deepEqual(describeChanges(diffIncidents({ ...before, severity: 'P3' }, before)), ['Severity: P3 → P1 (escalated)']);
  });
});

describe('merging a fresh impact analysis', () => {
  const tracked = (c: AffectedCustomer, over: Partial<TrackedCustomer & { outreachNote: string }> = {}): TrackedCustomer & { outreachNote?: string } =>
    ({ ...c, outreachStatus: 'pending', stillAffected: true, ...over });

  test('keeps outreach, takes fresh scores, marks the missing as no longer affected, names newly affected CSMs', () => {
    const previous = [
      tracked(affected('techcorp', { impactLevel: 'medium' }), { outreachStatus: 'sent', outreachNote: 'called' }),
      tracked(affected('smallbiz', { csmEmail: 'bo@example.com' }), { outreachStatus: 'drafted' }),
    ];
    const fresh = [
      affected('techcorp', { impactLevel: 'high', reason: 'Integration-dependent', priorityRank: 1 }),
      affected('newco', { csmEmail: 'cy@example.com', priorityRank: 2 }),
      affected('otherco', { priorityRank: 3 }),
      affected('idle', { impactLevel: 'none', csmEmail: 'di@example.com', priorityRank: 4 }),
    ];
    const merged = mergeImpact(previous, fresh);
    assert.deepEqual(merged.customers.map((c) => [c.id, c.stillAffected, c.outreachStatus]), [
      ['techcorp', true, 'sent'], ['newco', true, 'pending'], ['otherco', true, 'pending'], ['smallbiz', false, 'drafted'],
    ]);
    const techcorp = merged.customers[0] as TrackedCustomer & { outreachNote?: string };
    assert.equal(techcorp.impactLevel, 'high');
    assert.equal(techcorp.reason, 'Integration-dependent');
    assert.equal(techcorp.outreachNote, 'called');
    assert.deepEqual(merged.newlyAffected, ['newco', 'otherco']);
    assert.deepEqual(merged.noLongerAffected, ['smallbiz']);
    // ana already had an affected customer; cy is new; di's customer scored none.
    assert.deepEqual(merged.newCsmEmails, ['cy@example.com']);
  });

  test('a customer affected again counts as newly affected and keeps its outreach', () => {
    const previous = [tracked(affected('techcorp'), { stillAffected: false, outreachStatus: 'sent' })];
    const merged = mergeImpact(previous, [affected('techcorp')]);
    assert.deepEqual(merged.newlyAffected, ['techcorp']);
    assert.equal(merged.customers[0]!.outreachStatus, 'sent');
    assert.deepEqual(merged.newCsmEmails, ['ana@example.com']);
  });

  test('totals count only customers still affected', () => {
    const customers = [
      tracked(affected('a', { arr: 500_000, businessImpact: 10 })),
      tracked(affected('b', { arr: 25_000, impactLevel: 'low', businessImpact: 1 })),
      tracked(affected('c', { arr: 999_999 }), { stillAffected: false }),
    ];
    assert.deepEqual(incidentTotals(customers), { customers: 2, arrAtRisk: 525_000, businessImpact: 11, highImpact: 1 });
    assert.deepEqual(customersOf(customers, 'ANA@example.com').map((c) => c.id), ['a', 'b']);
  });
});

describe('CSMs', () => {
  test('a re-analysis refreshes contact details but keeps what Forewarn did with the CSM', () => {
    const previous = [{ email: 'ana@example.com', name: 'Ana', alertedAt: NOW, thread: { channel: 'D1', ts: '1.2' } }];
    const merged = mergeCsms(previous, [{ email: 'Ana@Example.com', name: 'Ana Lopez', slackUserId: 'U1' }, { email: 'cy@example.com', name: 'Cy' }]);
    assert.deepEqual(merged, [
      { email: 'ana@example.com', name: 'Ana Lopez', slackUserId: 'U1', alertedAt: NOW, thread: { channel: 'D1', ts: '1.2' } },
      { email: 'cy@example.com', name: 'Cy' },
    ]);
    assert.equal(findCsm(merged, { slackUserId: 'U1' })?.email, 'ana@example.com');
    assert.equal(findCsm(merged, { csmEmail: 'CY@example.com' })?.name, 'Cy');
    assert.equal(findCsm(merged, {}), undefined);
  });

  test('escalation: P1/P2 only, alerted, silent, once', () => {
    const csm = { email: 'ana@example.com', name: 'Ana', alertedAt: NOW };
    assert.equal(needsEscalation(csm, 'P1'), true);
    assert.equal(needsEscalation(csm, 'P2'), true);
    assert.equal(needsEscalation(csm, 'P3'), false);
    assert.equal(needsEscalation({ ...csm, acknowledgedAt: NOW }, 'P1'), false);
    assert.equal(needsEscalation({ ...csm, actedAt: NOW }, 'P1'), false);
    assert.equal(needsEscalation({ ...csm, escalatedAt: NOW }, 'P1'), false);
    assert.equal(needsEscalation({ ...csm, alertedAt: undefined }, 'P1'), false);
  });
});
