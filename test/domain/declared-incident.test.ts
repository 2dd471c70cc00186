import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { declaredNote, joiningEvent } from '../../domain/declared-incident';
import type { IncidentEvent } from '../../domain/types';

const declared: IncidentEvent = {
  source: 'manual', externalId: '20261202-abcdef', title: 'Checkout is down', status: 'investigating', severity: 'P2',
  components: ['checkout'], regions: ['eu-west'], message: 'We are looking into it', description: 'EU cards fail',
  occurredAt: '2026-12-02T10:00:00.000Z', deliveryId: 'manual:k1', actor: 'ana@corp.example', reopens: true,
};

describe('a declaration joining an open incident', () => {
  test('widens and escalates, never narrows, downgrades, renames or moves the status back', () => {
    const e = joiningEvent(declared, { severity: 'P3', components: ['checkout', 'search'], regions: [] });
    assert.deepEqual(e, {
      source: 'manual', externalId: '20261202-abcdef', occurredAt: declared.occurredAt, deliveryId: 'manual:k1', actor: 'ana@corp.example',
      byPerson: true, confirms: true, severity: 'P2', regions: ['eu-west'],
      note: 'Declared by ana@corp.example: Checkout is down (P2, checkout) — EU cards fail',
    });
  });

  test('a lower severity, components already covered, or an incident not recorded yet: only the note (and the confirmation)', () => {
    const lower = joiningEvent(declared, { severity: 'P1', components: ['checkout'], regions: ['eu-west'] });
    assert.deepEqual([lower.severity, lower.components, lower.regions, lower.status, lower.title, lower.message, lower.reopens],
      [undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
    const unrecorded = joiningEvent({ ...declared, components: ['checkout', 'payments'] }, { components: ['checkout'], regions: [] });
    assert.deepEqual([unrecorded.severity, unrecorded.components], [undefined, ['checkout', 'payments']], 'the union, severity left alone');
  });

  test('the note names what was declared', () => {
    assert.equal(declaredNote({ title: 'Search slow' }, undefined), 'Declared: Search slow');
    assert.equal(declaredNote({ title: 'Search slow', severity: 'P4', components: ['search', 'api'] }, 'slack:Lee'), 'Declared by slack:Lee: Search slow (P4, search, api)');
  });
});
