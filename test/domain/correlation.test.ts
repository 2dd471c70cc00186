/** The routing rule (domain/correlation.ts) and the multi-source incident rules (domain/incident/sources.ts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseRoute, eventRefs, MAX_LINKED_SOURCES, parseIncidentWorkflowId, statuspageRefsIn, type RouteCandidate,
} from '../../domain/correlation';
import { startLedger } from '../../domain/incident-state';
import { applySourceEvent, combineSources, linkedSourceFrom, type LinkedSource } from '../../domain/incident/sources';
import { alsoReportedLine } from '../../domain/messages';
import type { IncidentEvent } from '../../domain/types';

const NOW = new Date('2026-12-04T10:00:00Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const candidate = (workflowId: string, minutesAgo: number, sources = 1): RouteCandidate => ({ workflowId, lastActivityAt: ago(minutesAgo), sources });
const event = { source: 'statuspage', externalId: 'p31zjtct2jer' } as const;

describe('routing rule', () => {
  test('a source incident already routed keeps its incident, whatever else matches', () => {
    assert.deepEqual(chooseRoute({ event, existing: 'incident:opsgenie:a', byReference: [candidate('incident:x:1', 1)], byComponent: [candidate('incident:x:2', 1)], windowMinutes: 30, now: NOW }),
      { workflowId: 'incident:opsgenie:a', how: 'route' });
  });

  test('an explicit reference wins over a shared component, and ignores the window', () => {
    assert.deepEqual(chooseRoute({ event, byReference: [candidate('incident:opsgenie:a', 300)], byComponent: [candidate('incident:pagerduty:b', 1)], windowMinutes: 30, now: NOW }),
      { workflowId: 'incident:opsgenie:a', how: 'reference' });
  });

  test('a shared component joins only within the window of the incident\'s last activity; the most recent wins', () => {
    assert.deepEqual(chooseRoute({ event, byReference: [], byComponent: [candidate('incident:a:old', 29), candidate('incident:a:new', 3)], windowMinutes: 30, now: NOW }),
      { workflowId: 'incident:a:new', how: 'component' });
    assert.deepEqual(chooseRoute({ event, byReference: [], byComponent: [candidate('incident:a:stale', 31)], windowMinutes: 30, now: NOW }),
      { workflowId: 'incident:statuspage:p31zjtct2jer', how: 'new' });
    assert.equal(chooseRoute({ event, byReference: [], byComponent: [candidate('incident:a:1', 0)], windowMinutes: 0, now: NOW }).how, 'new', 'window 0: references only');
  });

  test('an incident with the most sources allowed takes no more', () => {
    assert.equal(chooseRoute({ event, byReference: [], byComponent: [candidate('incident:a:full', 1, MAX_LINKED_SOURCES)], windowMinutes: 30, now: NOW }).how, 'new');
  });

  test('references: Statuspage incident URLs and ids in free text; every event refers to itself', () => {
    assert.deepEqual(statuspageRefsIn([
      'See https://status.example.com/incidents/p31zjtct2jer for updates',
      'manage: https://manage.statuspage.io/pages/abc/incidents/ZZ1ABCDEFGH2.',
      'statuspage:p31zjtct2jer', 'https://status.example.com/incidents/short', undefined,
    ]), ['statuspage:p31zjtct2jer', 'statuspage:zz1abcdefgh2']);
    assert.deepEqual(eventRefs({ source: 'opsgenie', externalId: 'a-1', references: ['statuspage:p31zjtct2jer'] }), ['opsgenie:a-1', 'statuspage:p31zjtct2jer']);
    assert.deepEqual(parseIncidentWorkflowId('incident:support:checkout:20261204T100000Z'), { source: 'support', externalId: 'checkout:20261204T100000Z' });
    assert.equal(parseIncidentWorkflowId('support-detector:checkout'), undefined);
  });
});

const WF = 'incident:support:checkout-1';
function ev(over: Partial<IncidentEvent> & Pick<IncidentEvent, 'source' | 'externalId'>): IncidentEvent {
  return { occurredAt: ago(10), deliveryId: `${over.source}-${Math.random()}`, ...over };
}
function source(e: IncidentEvent): LinkedSource {
  return linkedSourceFrom(e.source, e.externalId, startLedger(e, WF, ago(0)), ago(0));
}

describe('multi-source incident', () => {
  const support = source(ev({ source: 'support', externalId: 'checkout-1', title: 'Suspected incident: Checkout', severity: 'P3', status: 'investigating', components: ['checkout'] }));
  const opsgenie = source(ev({ source: 'opsgenie', externalId: 'og', title: 'Checkout 5xx', severity: 'P1', status: 'investigating', components: ['checkout'] }));
  const statuspage = source(ev({ source: 'statuspage', externalId: 'sp', title: 'Elevated errors on checkout', severity: 'P2', status: 'identified', components: ['checkout', 'payments'], message: 'Identified.', statusPageUrl: 'https://status.example.com/incidents/sp' }));
  const base = startLedger(ev({ source: 'support', externalId: 'checkout-1', title: 'Suspected incident: Checkout', severity: 'P3', components: ['checkout'] }), WF, ago(0)).incident;

  test('severity is the highest, components the union, the title the first real source\'s, the public update Statuspage\'s', () => {
    const i = combineSources(base, [support, opsgenie, statuspage]);
    assert.equal(i.severity, 'P1');
    assert.deepEqual(i.components, ['checkout', 'payments']);
    assert.equal(i.title, 'Checkout 5xx');
    assert.equal(i.message, 'Identified.');
    assert.equal(i.statusPageUrl, 'https://status.example.com/incidents/sp');
    assert.equal(i.status, 'identified', 'the most advanced status among sources not resolved');
    assert.deepEqual([i.id, i.source, i.externalId], [base.id, 'support', 'checkout-1'], 'identity stays');
  });

  test('resolved once every source that is not a support spike has resolved; a support spike alone follows itself', () => {
    const close = (s: LinkedSource, at: string, message?: string) => applySourceEvent([s], ev({ source: s.source, externalId: s.externalId, status: 'resolved', occurredAt: at, message }), base, at).source!;
    const ogClosed = close(opsgenie, ago(5));
    assert.equal(combineSources(base, [support, ogClosed, statuspage]).status, 'identified');
    const spClosed = close(statuspage, ago(1), 'Resolved: all checkouts succeed again.');
    const resolved = combineSources(base, [support, ogClosed, spClosed]);
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.resolvedAt, ago(1), 'the last source\'s resolution');
    assert.equal(resolved.message, 'Resolved: all checkouts succeed again.', 'Statuspage\'s resolution is the public one');
    assert.equal(combineSources(base, [support]).status, 'investigating');
    // A source reporting again reopens.
    const reopened = applySourceEvent([ogClosed], ev({ source: 'opsgenie', externalId: 'og', status: 'investigating', occurredAt: ago(0) }), base, ago(0)).source!;
    assert.equal(combineSources(base, [support, reopened, spClosed]).status, 'investigating');
  });

  test('applying events: a new source joins, a note from an unknown source links nothing, stale fields are ignored per source', () => {
    const joined = applySourceEvent([support], ev({ source: 'opsgenie', externalId: 'og', title: 'Checkout 5xx', status: 'investigating' }), base, ago(0));
    assert.equal(joined.isNew, true);
    assert.equal(joined.sources.length, 2);
    const note = applySourceEvent(joined.sources, ev({ source: 'pagerduty', externalId: 'P1', note: 'hello' }), base, ago(0));
    assert.equal(note.source, undefined);
    const stale = applySourceEvent(joined.sources, ev({ source: 'opsgenie', externalId: 'og', status: 'resolved', occurredAt: ago(60) }), base, ago(0));
    assert.deepEqual(stale.staleFields, ['status']);
    assert.equal(stale.statusChanged, false);
  });

  test('the line a later source posts in each thread', () => {
    assert.equal(alsoReportedLine('statuspage', 'Elevated error rates on checkout', 'identified'), 'Also reported by Statuspage: Elevated error rates on checkout — identified');
  });
});

describe('a person on a correlated incident', () => {
  const base = startLedger(ev({ source: 'opsgenie', externalId: 'og', title: 'Checkout 5xx', severity: 'P1', components: ['checkout'] }), WF, ago(0)).incident;
  const og = source(ev({ source: 'opsgenie', externalId: 'og', title: 'Checkout 5xx', severity: 'P1', status: 'investigating', occurredAt: ago(10) }));
  const sp = source(ev({ source: 'statuspage', externalId: 'sp', title: 'Errors', severity: 'P2', status: 'identified', occurredAt: ago(9) }));

  test('is the newest word on what they set: resolving resolves, a source\'s later event applies again', () => {
    const resolvedByPerson = applySourceEvent([og, sp], ev({ source: 'opsgenie', externalId: 'og', status: 'resolved', byPerson: true, occurredAt: ago(5) }), base, ago(5));
    assert.equal(resolvedByPerson.source!.source, 'manual');
    assert.equal(resolvedByPerson.source!.person, true);
    assert.equal(resolvedByPerson.sources.find((s) => s.source === 'opsgenie')!.view.status, 'investigating', 'the source\'s own view is untouched');
    const i = combineSources(base, resolvedByPerson.sources);
    assert.equal(i.status, 'resolved');
    assert.equal(i.resolvedAt, ago(5));
    assert.equal(i.title, 'Checkout 5xx');
    const later = applySourceEvent(resolvedByPerson.sources, ev({ source: 'statuspage', externalId: 'sp', status: 'monitoring', occurredAt: ago(1) }), base, ago(1));
    assert.equal(combineSources(base, later.sources).status, 'monitoring');
  });
});
