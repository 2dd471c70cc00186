import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GenericInputError, normalizeGeneric } from '../../../domain/sources/generic';

const body = {
  id: 'INC-42', title: 'API Latency Issues', status: 'investigating' as const, severity: 'P1' as const,
  affectedComponents: ['api-gateway'], startedAt: '2026-01-29T19:30:00Z',
};

describe('generic normalization', () => {
  test('the product spec body becomes an event stamped with its receipt time', () => {
    const e = normalizeGeneric({ ...body, affectedRegions: ['us-east', 'us-east'], message: 'Investigating' },
      { components: ['api-gateway'], deliveryId: 'd1', receivedAt: '2026-01-29T19:31:00.000Z' });
    assert.deepEqual(e, {
      source: 'generic', externalId: 'INC-42', title: 'API Latency Issues', status: 'investigating', severity: 'P1',
      components: ['api-gateway'], regions: ['us-east'], message: 'Investigating',
      startedAt: '2026-01-29T19:30:00.000Z', occurredAt: '2026-01-29T19:31:00.000Z', deliveryId: 'd1', reopens: true,
    });
  });

  test('resolved uses resolvedAt as when it happened', () => {
    const e = normalizeGeneric({ ...body, status: 'resolved', resolvedAt: '2026-01-29T21:45:00Z' },
      { components: ['api-gateway'], deliveryId: 'd2', receivedAt: '2026-01-29T22:00:00.000Z' });
    assert.equal(e.resolvedAt, '2026-01-29T21:45:00.000Z');
    assert.equal(e.occurredAt, '2026-01-29T21:45:00.000Z');
  });

  test('resolvedAt before startedAt is refused with the field named', () => {
    assert.throws(() => normalizeGeneric({ ...body, status: 'resolved', resolvedAt: '2026-01-29T18:00:00Z' },
      { components: [], deliveryId: 'd3', receivedAt: '2026-01-29T22:00:00.000Z' }),
    (err: unknown) => err instanceof GenericInputError && err.path === 'body/resolvedAt');
  });
});
