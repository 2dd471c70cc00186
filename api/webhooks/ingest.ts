import type { Client } from '@temporalio/client';
import type { Counter } from 'prom-client';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/types';
import type { IncidentEvent, IncidentSource } from '../../domain/types';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { incidentStartOptions, WORKFLOW_TYPES, type IncidentSettings } from '../../workflows/contract';
import { HttpProblem } from '../problem';

export interface IngestDeps {
  db: Kysely<Database>;
  temporal: Client;
  taskQueue: string;
  settings: IncidentSettings;
  log: FastifyBaseLogger;
  /** Webhook outcomes by source (forwarded, duplicate, ignored, unavailable); routes count 'rejected'. */
  metrics?: Counter<'source' | 'outcome'>;
}

export interface IngestResult {
  duplicate: boolean;
  workflowIds: string[];
  /** Workflows that had already finished: the event was recorded but not applied. */
  closed?: string[];
}

/**
 * The path of every webhook delivery: record it (raw body) → skip if already forwarded →
 * signalWithStart each normalized event. When Temporal cannot be reached the delivery stays on
 * record as failed and the sender gets 503, so its retry forwards it later.
 */
export async function ingestDelivery(
  deps: IngestDeps,
  delivery: { source: IncidentSource | string; deliveryId: string; rawBody: string; headers?: Record<string, unknown> },
  events: IncidentEvent[],
): Promise<IngestResult> {
  const inserted = await deps.db
    .insertInto('webhook_deliveries')
    .values({
      source: delivery.source,
      delivery_id: delivery.deliveryId,
      raw_body: delivery.rawBody,
      headers: JSON.stringify(delivery.headers ?? {}),
      status: 'received',
    })
    .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    const existing = await deps.db.selectFrom('webhook_deliveries').select(['status', 'workflow_id'])
      .where('source', '=', delivery.source).where('delivery_id', '=', delivery.deliveryId).executeTakeFirstOrThrow();
    if (existing.status === 'forwarded' || existing.status === 'ignored') {
      deps.log.info({ source: delivery.source, deliveryId: delivery.deliveryId }, 'duplicate delivery ignored');
      deps.metrics?.inc({ source: delivery.source, outcome: 'duplicate' });
      return { duplicate: true, workflowIds: existing.workflow_id ? existing.workflow_id.split(',') : [] };
    }
  }
  const workflowIds: string[] = [];
  const closed: string[] = [];
  try {
    for (const event of events) {
      const options = incidentStartOptions(event, deps.settings, deps.taskQueue);
      const { workflowId } = options;
      workflowIds.push(workflowId);
      try {
        // Senders time out (PagerDuty after 5 s): give up early and answer 503 so they retry.
        await deps.temporal.connection.withDeadline(Date.now() + 3000, () => deps.temporal.workflow.signalWithStart(WORKFLOW_TYPES.incident, options));
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        closed.push(workflowId);
        deps.log.info({ workflowId, deliveryId: event.deliveryId }, 'incident already finished; late event recorded, not applied');
        continue;
      }
      deps.log.info({ workflowId, source: event.source, deliveryId: event.deliveryId }, 'incident event forwarded');
    }
  } catch (err) {
    deps.log.warn({ err, source: delivery.source, deliveryId: delivery.deliveryId }, 'Temporal unreachable; delivery kept for retry');
    await deps.db.updateTable('webhook_deliveries').set({ status: 'failed', error: String(err) })
      .where('source', '=', delivery.source).where('delivery_id', '=', delivery.deliveryId).execute();
    deps.metrics?.inc({ source: delivery.source, outcome: 'unavailable' });
    throw new HttpProblem(503, 'Service Unavailable', 'The delivery is recorded but could not be forwarded to the workflow engine; retry later.');
  }
  await deps.db.updateTable('webhook_deliveries')
    .set({
      status: events.length > closed.length ? 'forwarded' : 'ignored',
      workflow_id: workflowIds.join(',') || null,
      processed_at: new Date(),
      error: closed.length ? `incident already finished: ${closed.join(', ')}` : null,
    })
    .where('source', '=', delivery.source).where('delivery_id', '=', delivery.deliveryId).execute();
  deps.metrics?.inc({ source: delivery.source, outcome: events.length ? 'forwarded' : 'ignored' });
  return { duplicate: false, workflowIds, closed };
}
