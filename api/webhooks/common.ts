/** What the generic, PagerDuty and Opsgenie webhook plugins share: the answer's shape and rejection counting. */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import { getIncidentByWorkflowId } from '../../db/incident-queries';
import type { RouteDeps } from '../app';
import { problemSchema } from '../problem';
import type { IngestResult } from './ingest';

export const acceptedSchema = {
  type: 'object',
  description: 'The delivery is recorded and forwarded (or recognised as already forwarded, or deliberately ignored).',
  properties: {
    status: { type: 'string', enum: ['accepted', 'duplicate', 'ignored'] },
    workflowId: { type: 'string', description: 'The incident workflow (incident:<source>:<external id>).' },
    incidentId: { type: 'string', format: 'uuid', description: 'Present once the workflow has recorded the incident.' },
    reason: { type: 'string', description: 'Why an event was ignored.' },
  },
  required: ['status'],
} as const;

export const webhookErrorResponses = {
  400: problemSchema, 401: problemSchema, 413: problemSchema, 415: problemSchema, 422: problemSchema, 503: problemSchema,
} as const;

export interface AcceptedBody { status: 'accepted' | 'duplicate' | 'ignored'; workflowId?: string; incidentId?: string; reason?: string }

/** The answer for a forwarded event: the workflow id, and the incident id when the workflow already recorded it. */
export async function acceptedBody(db: Kysely<Database>, workflowId: string, result: Pick<IngestResult, 'duplicate' | 'closed'>): Promise<AcceptedBody> {
  const incident = await getIncidentByWorkflowId(db, workflowId);
  const ids = incident ? { incidentId: incident.id } : {};
  if (result.closed?.includes(workflowId)) {
    return { status: 'ignored', workflowId, ...ids, reason: 'The incident has finished its follow-ups; the event is recorded but not applied.' };
  }
  return { status: result.duplicate ? 'duplicate' : 'accepted', workflowId, ...ids };
}

/** Counts refused deliveries (bad signature or token, bad body) in forewarn_webhook_deliveries_total. */
export function countRejections(app: FastifyInstance, deps: RouteDeps, source: string): void {
  app.addHook('onResponse', async (_req, reply) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) deps.metrics.webhooks.inc({ source, outcome: 'rejected' });
  });
}
