/**
 * The resolution DM's "Resolution:" line, from each source's real payloads through the incident's
 * rules: the source's resolution note, else the last public message, else the approved "resolved"
 * template — never a bare "Resolved".
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config';
import { applyEvent, RESOLUTION_NOTE_MAX, startLedger, type EventLedger } from '../../domain/incident-state';
import { approvedMessage, renderCsmMessage, type MessageTemplate } from '../../domain/messages';
import { normalizeGeneric } from '../../domain/sources/generic';
import { normalizeOpsgenie, opsgenieDeliveryId, type OpsgenieWebhookBody } from '../../domain/sources/opsgenie';
import { normalizePagerDuty, type PagerDutyEnvelope } from '../../domain/sources/pagerduty';
import { normalizeStatuspageIncident, type StatuspageIncident } from '../../domain/sources/statuspage';
import type { Incident, IncidentEvent } from '../../domain/types';
import statuspageWebhook from '../fixtures/statuspage/webhook-incident-update.json';

const fixtures = path.join(__dirname, '../fixtures');
const json = <T>(dir: string, name: string): T => JSON.parse(readFileSync(path.join(fixtures, dir, `${name}.json`), 'utf8')) as T;
const maps = loadConfig({ NODE_ENV: 'test' }).pagerduty;

const resolvedTemplate: MessageTemplate = {
  key: 'any-resolved', severity: null, status: 'resolved', components: [], version: 3, approvedBy: 'comms@corp.example', approvedAt: '2026-01-01T00:00:00Z',
  body: '{{incident.title}} has been resolved. Thank you for your patience.',
};

/** Applies the events in order, as the workflow does, and answers the incident. */
function follow(events: IncidentEvent[]): Incident {
  let ledger: EventLedger = startLedger(events[0], `incident:${events[0].source}:${events[0].externalId}`, events[0].occurredAt);
  for (const e of events.slice(1)) ledger = applyEvent(ledger, e, e.occurredAt);
  return ledger.incident;
}

/** The "Resolution:" line of the resolution DM a CSM gets for this incident. */
function resolutionLineOf(incident: Incident, templates: MessageTemplate[] = [resolvedTemplate]): string {
  const message = renderCsmMessage('resolution', {
    incident, recipient: { name: 'Ana', email: 'ana@corp.example' }, customers: [], totals: { customers: 0, arrAtRisk: 0, businessImpact: 0, highImpact: 0 },
    dashboardUrl: 'http://x/dashboard', approved: approvedMessage(templates, { incident }, { audience: 'csm' }), customerLimit: 10, now: incident.resolvedAt ?? incident.startedAt,
  });
  const line = message.text.split('\n').find((l) => l.startsWith('Resolution: '));
  assert.ok(line, message.text);
  return line.slice('Resolution: '.length);
}

function pagerduty(name: string, change: (e: PagerDutyEnvelope['event']) => void = () => {}): IncidentEvent {
  const env = json<PagerDutyEnvelope>('pagerduty', name);
  change(env.event);
  return normalizePagerDuty(env, { components: [], ...maps })!;
}

function annotation(content: string, at: string, id: string): IncidentEvent {
  return pagerduty('incident.annotated', (e) => {
    e.id = id;
    e.occurred_at = at;
    (e.data as { content: string }).content = content;
  });
}

function opsgenie(name: string, change: (b: OpsgenieWebhookBody) => void = () => {}): IncidentEvent {
  const body = json<OpsgenieWebhookBody>('opsgenie', name);
  change(body);
  return normalizeOpsgenie(body, { components: [], deliveryId: opsgenieDeliveryId(body, name), receivedAt: '2026-01-01T00:00:00Z' })!;
}

describe('the resolution line', () => {
  test('PagerDuty: the note added with the resolve (PagerDuty sends it as incident.annotated), whichever arrives first', () => {
    const triggered = pagerduty('incident.triggered');
    const resolved = pagerduty('incident.resolved'); // occurred 20:15
    const note = annotation('Rolled back the 18:35 deploy; latency is back to normal', '2020-10-02T20:14:30.000Z', 'note-1');
    assert.equal(note.resolutionNote, 'Rolled back the 18:35 deploy; latency is back to normal');
    assert.equal(resolutionLineOf(follow([triggered, note, resolved])), 'Rolled back the 18:35 deploy; latency is back to normal');
    assert.equal(resolutionLineOf(follow([triggered, resolved, note])), 'Rolled back the 18:35 deploy; latency is back to normal', 'a note just after the resolve');
  });

  test('PagerDuty: a working note written long before the resolve is not its resolution; the approved resolved template is', () => {
    const early = annotation('Looking at the database first', '2020-10-02T18:45:00.000Z', 'note-early');
    const incident = follow([pagerduty('incident.triggered'), early, pagerduty('incident.resolved')]);
    assert.equal(incident.resolutionNote, undefined);
    assert.equal(resolutionLineOf(incident), 'A little bump in the road has been resolved. Thank you for your patience.');
  });

  test('PagerDuty: a reopen drops the resolution note; resolving again without a note uses the template', () => {
    const note = annotation('Restarted the workers', '2020-10-02T20:14:00.000Z', 'note-2');
    const reopened = pagerduty('incident.triggered', (e) => { e.id = 'reopen'; e.event_type = 'incident.reopened'; e.occurred_at = '2020-10-02T20:30:00.000Z'; });
    const again = pagerduty('incident.resolved', (e) => { e.id = 'resolve-2'; e.occurred_at = '2020-10-02T21:30:00.000Z'; });
    const incident = follow([pagerduty('incident.triggered'), note, pagerduty('incident.resolved'), reopened, again]);
    assert.equal(incident.status, 'resolved');
    assert.equal(resolutionLineOf(incident), 'A little bump in the road has been resolved. Thank you for your patience.');
  });

  test('Opsgenie: the note given when closing the alert', () => {
    const close = opsgenie('close', (b) => { b.alert.note = 'Failed over to the secondary region'; });
    assert.equal(close.resolutionNote, 'Failed over to the secondary region');
    assert.equal(resolutionLineOf(follow([opsgenie('create'), close])), 'Failed over to the secondary region');
    // The documented Close example carries no note: the approved resolved template is used.
    assert.equal(resolutionLineOf(follow([opsgenie('create'), opsgenie('close')])), 'test alert has been resolved. Thank you for your patience.');
  });

  test('Statuspage: the final update\'s body', () => {
    const monitoring = statuspageWebhook.incident as unknown as StatuspageIncident;
    const resolvedIncident: StatuspageIncident = {
      ...monitoring, status: 'resolved', updated_at: '2013-05-29T17:00:00-06:00', resolved_at: '2013-05-29T17:00:00-06:00',
      incident_updates: [
        { body: 'This incident has been resolved: the failed switch was replaced.', status: 'resolved', created_at: '2013-05-29T17:00:00-06:00', display_at: '2013-05-29T17:00:00-06:00' },
        ...(monitoring.incident_updates ?? []),
      ],
    };
    const keys = new Map<string, string[]>();
    const open = normalizeStatuspageIncident(monitoring, keys)!;
    assert.equal(open.resolutionNote, undefined, 'an open incident has no resolution note');
    const resolved = normalizeStatuspageIncident(resolvedIncident, keys)!;
    assert.equal(resolutionLineOf(follow([open, resolved])), 'This incident has been resolved: the failed switch was replaced.');
  });

  test('generic: the resolution note when sent, else the last public message', () => {
    const base = { id: 'G-1', title: 'Checkout errors', severity: 'P2' as const, affectedComponents: ['payments'], startedAt: '2026-01-29T10:00:00Z' };
    const ctx = (n: number) => ({ components: ['payments'], deliveryId: `g-${n}`, receivedAt: `2026-01-29T1${n}:00:00Z` });
    const open = normalizeGeneric({ ...base, status: 'investigating' }, ctx(0));
    const withMessage = normalizeGeneric({ ...base, status: 'resolved', message: 'Payments are flowing again.' }, ctx(1));
    assert.equal(resolutionLineOf(follow([open, withMessage])), 'Payments are flowing again.');
    const withNote = normalizeGeneric({ ...base, status: 'resolved', message: 'Payments are flowing again.', resolutionNote: 'Expired TLS certificate renewed' }, ctx(2));
    assert.equal(resolutionLineOf(follow([open, withNote])), 'Expired TLS certificate renewed');
  });

  test('nothing from the source and no approved template: Forewarn\'s neutral sentence, never a bare "Resolved"', () => {
    const incident = follow([pagerduty('incident.triggered'), pagerduty('incident.resolved')]);
    const line = resolutionLineOf(incident, []);
    assert.notEqual(line, 'Resolved');
    assert.match(line, /has been resolved\. Thank you for your patience\./);
  });

  test('a long note is cut where it enters the incident, and the line stays one line', () => {
    const long = annotation(`Line one\n${'x'.repeat(2000)}`, '2020-10-02T20:15:00.000Z', 'note-long');
    assert.equal(long.resolutionNote!.length, RESOLUTION_NOTE_MAX);
    const line = resolutionLineOf(follow([pagerduty('incident.triggered'), long, pagerduty('incident.resolved')]));
    assert.ok(line.startsWith('Line one x') && line.endsWith('…') && line.length <= RESOLUTION_NOTE_MAX);
  });
});
