import type { Incident } from '../../domain/types';

/** The product spec's example incident ("API Latency Issues", P1), with what a test changes. */
export function exampleIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: '6f1c2a9e-0d4b-4f8e-9a57-1b2c3d4e5f60',
    workflowId: 'incident:pagerduty:API-2026-0129-001',
    source: 'pagerduty',
    externalId: 'API-2026-0129-001',
    title: 'API Latency Issues',
    status: 'investigating',
    severity: 'P1',
    components: ['api-gateway', 'data-pipeline'],
    regions: [],
    startedAt: '2026-01-29T19:30:00.000Z',
    statusPageUrl: 'https://status.example.com/incidents/abc',
    ...overrides,
  };
}
