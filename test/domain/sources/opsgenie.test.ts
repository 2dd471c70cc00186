import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  epochToIso, normalizeOpsgenie, opsgenieComponentLookups, opsgenieDeliveryId, opsgenieSeverity, type OpsgenieWebhookBody,
} from '../../../domain/sources/opsgenie';

const fixture = (name: string): OpsgenieWebhookBody =>
  JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/opsgenie', `${name}.json`), 'utf8'));
const ctx = (body: OpsgenieWebhookBody, components: string[] = []) =>
  ({ components, deliveryId: opsgenieDeliveryId(body, 'digest'), receivedAt: '2026-01-01T00:00:00.000Z' });

describe('Opsgenie normalization', () => {
  test('Create from the documented example opens an investigating incident named by the alert message', () => {
    const body = fixture('create');
    assert.deepEqual(opsgenieComponentLookups(body), ['tag1', 'tag2', 'Integration1'], 'empty entity is skipped');
    const e = normalizeOpsgenie(body, ctx(body, ['api-gateway']))!;
    assert.equal(e.source, 'opsgenie');
    assert.equal(e.externalId, '052652ac-5d1c-464a-812a-7dd18bbfba8c');
    assert.equal(e.title, 'test alert');
    assert.equal(e.status, 'investigating');
    assert.deepEqual(e.components, ['api-gateway']);
    assert.equal(e.startedAt, '2015-01-05T10:03:11.104Z', 'createdAt is epoch milliseconds');
    assert.equal(e.occurredAt, '2015-01-05T10:03:13.166Z', 'updatedAt is epoch nanoseconds');
    assert.equal(e.actor, 'fili@ifountain.com');
    assert.equal(e.severity, undefined, 'the example carries no priority');
  });

  test('Acknowledge, AddNote, EscalateNext leave timeline notes; Close resolves', () => {
    assert.equal(normalizeOpsgenie(fixture('acknowledge'), ctx(fixture('acknowledge')))!.note, 'Acknowledged in Opsgenie by fili@ifountain.com');
    assert.equal(normalizeOpsgenie(fixture('add-note'), ctx(fixture('add-note')))!.note,
      'Note in Opsgenie by fili@ifountain.com: Rolled back the 14:05 deploy; error rate dropping');
    assert.match(normalizeOpsgenie(fixture('escalate-next'), ctx(fixture('escalate-next')))!.note!, /^Escalated in Opsgenie/);
    const closed = normalizeOpsgenie(fixture('close'), ctx(fixture('close')))!;
    assert.equal(closed.status, 'resolved');
    assert.equal(closed.resolvedAt, closed.occurredAt);
  });

  test('UpdatePriority sets the severity', () => {
    const e = normalizeOpsgenie(fixture('update-priority'), ctx(fixture('update-priority')))!;
    assert.equal(e.severity, 'P1');
    assert.equal(e.status, undefined);
  });

  test('priority "P1".."P5" or 1..5 maps to P1..P4', () => {
    assert.deepEqual(['P1', 'P2', 'P3', 'P4', 'P5', 1, 2, 3, 4, 5, 'p3'].map(opsgenieSeverity),
      ['P1', 'P2', 'P3', 'P4', 'P4', 'P1', 'P2', 'P3', 'P4', 'P4', 'P3']);
    assert.equal(opsgenieSeverity('P9'), undefined);
    assert.equal(opsgenieSeverity(undefined), undefined);
  });

  test('ignored actions give no event; each action of an alert has its own delivery id', () => {
    assert.equal(normalizeOpsgenie(fixture('un-acknowledge'), ctx(fixture('un-acknowledge'))), undefined);
    assert.notEqual(opsgenieDeliveryId(fixture('acknowledge'), 'd1'), opsgenieDeliveryId(fixture('un-acknowledge'), 'd1'));
    assert.equal(opsgenieDeliveryId(fixture('close'), 'd1'), opsgenieDeliveryId(fixture('close'), 'd1'));
    // Nanosecond times one apart are the same double: the body digest keeps the deliveries apart.
    const a = fixture('update-priority');
    const b = fixture('update-priority');
    b.alert.updatedAt! += 1;
    assert.equal(a.alert.updatedAt, b.alert.updatedAt);
    assert.notEqual(opsgenieDeliveryId(a, 'digest-of-a'), opsgenieDeliveryId(b, 'digest-of-b'));
  });

  test('epochs in ms, µs and ns read as the same instant', () => {
    const iso = '2024-05-01T12:00:00.123Z';
    const ms = Date.parse(iso);
    assert.equal(epochToIso(ms), iso);
    assert.equal(epochToIso(ms * 1000), iso);
    assert.equal(epochToIso(ms * 1e6), iso);
  });
});
