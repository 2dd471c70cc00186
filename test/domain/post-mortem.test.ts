/**
 * Post-mortems in the incident's rules and messages: Statuspage's published post-mortem becomes the
 * incident's link; a person's link applies like any event and is news for CSMs; the 3-day reminder
 * links it when it exists and says the owner was asked when it does not; the owner's request.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, describeChanges, startLedger } from '../../domain/incident-state';
import { approvedMessage, renderCsmMessage, type CsmMessageInput, type SlackMessage } from '../../domain/messages';
import { renderPostMortemRequest } from '../../domain/messages/reminders';
import { normalizeStatuspageIncident, type StatuspageIncident } from '../../domain/sources/statuspage';
import type { IncidentEvent } from '../../domain/types';
import statuspageWebhook from '../fixtures/statuspage/webhook-incident-update.json';
import { exampleIncident } from '../helpers/incident';

const resolved = exampleIncident({ status: 'resolved', resolvedAt: '2026-01-29T21:45:00.000Z' });

function input(incident = resolved): CsmMessageInput {
  return {
    incident, recipient: { name: 'Ana Ruiz', email: 'ana@corp.example' }, customers: [], mine: { customers: 5, arr: 1_125_000, highImpact: 2, highArr: 850_000 },
    totals: { customers: 5, arrAtRisk: 1_125_000, businessImpact: 0, highImpact: 2 }, dashboardUrl: 'http://x/dashboard',
    approved: approvedMessage([], { incident }), customerLimit: 10, now: '2026-02-01T21:45:00.000Z',
  };
}
const buttons = (m: SlackMessage) => m.blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => [e.text.text, e.url]) : []));

describe('post-mortems', () => {
  test('Statuspage: a published post-mortem links the incident\'s page; an unpublished or ignored one does not', () => {
    const base = { ...(statuspageWebhook.incident as unknown as StatuspageIncident), status: 'postmortem', resolved_at: '2013-05-29T17:00:00-06:00' };
    assert.equal(normalizeStatuspageIncident(base, new Map())!.postMortemUrl, undefined);
    const published = { ...base, postmortem_published_at: '2013-05-30T10:00:00-06:00' };
    assert.equal(normalizeStatuspageIncident(published, new Map())!.postMortemUrl, 'http://j.mp/18zyDQx');
    assert.equal(normalizeStatuspageIncident({ ...published, postmortem_ignored: true }, new Map())!.postMortemUrl, undefined);
  });

  test('a person\'s link applies to the incident and is news in the CSMs\' threads; a newer one replaces it', () => {
    const first: IncidentEvent = { source: 'pagerduty', externalId: 'P1', status: 'resolved', occurredAt: '2026-01-29T21:45:00Z', deliveryId: 'd1' };
    let ledger = startLedger(first, 'incident:pagerduty:P1', first.occurredAt);
    const linked = applyEvent(ledger, { source: 'pagerduty', externalId: 'P1', postMortemUrl: 'https://wiki.example.com/pm/1', occurredAt: '2026-01-30T10:00:00Z', deliveryId: 'd2', byPerson: true }, '2026-01-30T10:00:00Z');
    assert.equal(linked.incident.postMortemUrl, 'https://wiki.example.com/pm/1');
    assert.deepEqual(describeChanges(linked.changes), ['Post-mortem: https://wiki.example.com/pm/1']);
    ledger = linked;
    const stale = applyEvent(ledger, { source: 'pagerduty', externalId: 'P1', postMortemUrl: 'https://old.example.com', occurredAt: '2026-01-29T22:00:00Z', deliveryId: 'd3' }, '2026-01-30T11:00:00Z');
    assert.equal(stale.incident.postMortemUrl, 'https://wiki.example.com/pm/1', 'an older link does not replace a newer one');
  });

  test('the 3-day reminder links the post-mortem when there is one, and otherwise says the owner was asked and how to link it', () => {
    const withLink = renderCsmMessage('post_mortem', input({ ...resolved, postMortemUrl: 'https://wiki.example.com/pm/1' }));
    assert.deepEqual(buttons(withLink), [['View Post-Mortem', 'https://wiki.example.com/pm/1']]);
    assert.match(withLink.text, /Share the post-mortem summary with them/);

    const without = renderCsmMessage('post_mortem', input());
    assert.deepEqual(buttons(without).map(([label]) => label), ['Open Dashboard'], 'no "View Post-Mortem" without one');
    assert.match(without.text, /There is no post-mortem yet: the incident's owner has been asked for it\./);
    assert.match(without.text, /\/forewarn postmortem API-2026-0129-001 <link>/);
  });

  test('the owner\'s request says what the incident was, who waits for it, and how to link it', () => {
    const m = renderPostMortemRequest({ incident: resolved, customers: 5, csms: 2, dashboardUrl: 'http://x/dashboard#/incidents/1', now: '2026-02-01T21:45:00.000Z' });
    assert.equal(m.text.split('\n')[0], ':memo: POST-MORTEM NEEDED: API Latency Issues');
    assert.match(m.text, /P1 "API Latency Issues" \(API-2026-0129-001\) was resolved 3 days ago and affected 5 customers of 2 CSMs/);
    assert.match(m.text, /PUT \/api\/incidents\/6f1c2a9e-0d4b-4f8e-9a57-1b2c3d4e5f60\/post-mortem/);
    assert.deepEqual(buttons(m), [['Open Incident', 'http://x/dashboard#/incidents/1']]);
  });
});
