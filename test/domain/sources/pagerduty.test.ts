import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  normalizePagerDuty, pagerdutyComponentLookups, pagerdutySeverity, type PagerDutyEnvelope,
} from '../../../domain/sources/pagerduty';
import { loadConfig } from '../../../config';

const fixture = (name: string): PagerDutyEnvelope =>
  JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/pagerduty', `${name}.json`), 'utf8'));
const maps = loadConfig({ NODE_ENV: 'test' }).pagerduty;

describe('PagerDuty V3 normalization', () => {
  test('incident.triggered from the documented envelope becomes an investigating P1 on the mapped components', () => {
    const env = fixture('incident.triggered');
    assert.deepEqual(pagerdutyComponentLookups(env), ['PF9KMXH', 'API Service']);
    const e = normalizePagerDuty(env, { components: ['api-gateway'], ...maps });
    assert.deepEqual(e, {
      source: 'pagerduty',
      externalId: 'PGR0VU2',
      title: 'A little bump in the road',
      status: 'investigating',
      reopens: true,
      severity: 'P1',
      components: ['api-gateway'],
      startedAt: '2020-10-02T18:40:00.000Z',
      occurredAt: '2020-10-02T18:40:00.000Z',
      deliveryId: '01DEN2Y5ZK7ZSGDG8DKXCZ1QGV',
      actor: 'Tenex Engineer',
    });
  });

  test('created_at, when PagerDuty sends it, is when the incident started', () => {
    const env = fixture('incident.acknowledged');
    (env.event.data as { created_at?: string }).created_at = '2020-10-02T18:39:30Z';
    assert.equal(normalizePagerDuty(env, { components: [], ...maps })!.startedAt, '2020-10-02T18:39:30.000Z');
  });

  test('acknowledged keeps investigating and leaves a note naming the responder', () => {
    const e = normalizePagerDuty(fixture('incident.acknowledged'), { components: [], ...maps })!;
    assert.equal(e.status, 'investigating');
    assert.equal(e.note, 'Acknowledged in PagerDuty by Tenex Engineer');
    assert.equal(e.components, undefined, 'no resolved components must not wipe the incident\'s');
  });

  test('resolved sets resolvedAt to when PagerDuty says it happened', () => {
    const e = normalizePagerDuty(fixture('incident.resolved'), { components: ['api-gateway'], ...maps })!;
    assert.equal(e.status, 'resolved');
    assert.equal(e.resolvedAt, '2020-10-02T20:15:00.000Z');
  });

  test('annotated carries only the note, for the incident named in the note', () => {
    const env = fixture('incident.annotated');
    assert.deepEqual(pagerdutyComponentLookups(env), []);
    const e = normalizePagerDuty(env, { components: [], ...maps })!;
    assert.equal(e.externalId, 'PGR0VU2');
    assert.equal(e.note, 'Note in PagerDuty by Tenex Engineer: I sure am glad we are using PagerDuty!');
    assert.equal(e.status, undefined);
    assert.equal(e.severity, undefined);
  });

  test('reopened goes back to investigating even though PagerDuty reports the incident as triggered', () => {
    const env = fixture('incident.triggered');
    env.event.event_type = 'incident.reopened';
    const e = normalizePagerDuty(env, { components: [], ...maps })!;
    assert.equal(e.status, 'investigating');
    assert.match(e.note!, /Reopened/);
  });

  test('escalated names who it went to', () => {
    const env = fixture('incident.acknowledged');
    env.event.event_type = 'incident.escalated';
    assert.equal(normalizePagerDuty(env, { components: [], ...maps })!.note, 'Escalated in PagerDuty to User 123 (Default)');
  });

  test('event types Forewarn does not use give no event', () => {
    assert.equal(normalizePagerDuty(fixture('incident.responder.added'), { components: [], ...maps }), undefined);
  });

  test('severity: priority through the configurable map, else urgency', () => {
    assert.equal(pagerdutySeverity('P5', 'low', maps), 'P4');
    assert.equal(pagerdutySeverity('p2', 'high', maps), 'P2');
    assert.equal(pagerdutySeverity(undefined, 'high', maps), 'P2');
    assert.equal(pagerdutySeverity(undefined, 'low', maps), 'P3');
    assert.equal(pagerdutySeverity('SEV-1', 'low', maps), 'P3', 'unknown priority names fall back to urgency');
    const custom = loadConfig({ NODE_ENV: 'test', PAGERDUTY_PRIORITY_MAP: 'SEV-1=P1,SEV-2=P2', PAGERDUTY_URGENCY_MAP: 'high=P1' }).pagerduty;
    assert.equal(pagerdutySeverity('SEV-1', 'low', custom), 'P1');
    assert.equal(pagerdutySeverity(null, 'high', custom), 'P1');
    assert.equal(pagerdutySeverity(null, 'low', custom), undefined);
  });
});
