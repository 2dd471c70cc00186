/**
 * How the webhook routes hand a delivery to the one forwarding path (db/deliveries.ts): incident events
 * become signalWithStart calls of the incident workflow; the outcome is counted, and what the sender must
 * retry becomes a 503. Senders time out (PagerDuty after 5 s), so a route answers within ANSWER_DEADLINE_MS
 * of receipt whatever its dependencies do, and nothing is signalled after that.
 */
import type { Client } from '@temporalio/client';
import type { Counter } from 'prom-client';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import {
  DeliveryUnavailableError, forwardDelivery, type DeliveryRecord, type ForwardResult, type WorkflowStarts,
} from '../../db/deliveries';
import { routedIncidentStarts } from '../../db/incident-routing';
import type { Database } from '../../db/types';
import type { IncidentEvent } from '../../domain/types';
import type { IncidentSettings } from '../../workflows/contract';
import { HttpProblem } from '../problem';

/** From receipt: the last moment a workflow may be signalled (the signal itself must finish by then). */
export const FORWARD_DEADLINE_MS = 2000;
/** From receipt: the answer, a 503 at the latest, within senders' 3 s. Later than the forward deadline,
 *  so a delivery that could not be forwarded is already marked failed when the 503 goes out. */
export const ANSWER_DEADLINE_MS = 2800;

export interface IngestDeps {
  db: Kysely<Database>;
  temporal: Client;
  taskQueue: string;
  settings: IncidentSettings;
  /** CORRELATION_WINDOW_MINUTES: a source incident sharing a component with an incident active this recently joins it. */
  correlationWindowMinutes: number;
  log: FastifyBaseLogger;
  /** Webhook outcomes by source (forwarded, duplicate, ignored, unavailable); routes count 'rejected'. */
  metrics?: Counter<'source' | 'outcome'>;
  /** Epoch ms after which nothing is signalled (the sender has given up). */
  deadline?: number;
  /** Work that outlives its answer: the server waits for it before closing. */
  track?: (work: Promise<unknown>) => void;
}

export interface IngestResult {
  duplicate: boolean;
  workflowIds: string[];
  /** Workflows that had already finished: the event was recorded but not applied. */
  closed?: string[];
}

/** The forward deadline of a request: FORWARD_DEADLINE_MS after it was received. */
export function requestDeadline(reply: FastifyReply): number {
  return Date.now() - reply.elapsedTime + FORWARD_DEADLINE_MS;
}

/** Record → claim → signalWithStart → mark, counted; a delivery to retry is a 503 (with Retry-After). */
export async function forwardFromApi(
  deps: Pick<IngestDeps, 'db' | 'temporal' | 'log' | 'metrics' | 'deadline' | 'track'>,
  delivery: DeliveryRecord,
  starts: WorkflowStarts,
  opts: { ignoredReason?: string } = {},
): Promise<ForwardResult> {
  const count = (outcome: string) => deps.metrics?.inc({ source: delivery.source, outcome });
  let result: ForwardResult;
  try {
    result = await forwardDelivery(deps, delivery, starts, { deadline: deps.deadline, ignoredReason: opts.ignoredReason });
  } catch (err) {
    if (err instanceof DeliveryUnavailableError) count('unavailable');
    throw err;
  }
  if (result.status === 'in_flight') {
    count('unavailable');
    throw new HttpProblem(503, 'Service Unavailable', 'The same delivery is being forwarded by another request right now; retry in a moment.');
  }
  count(result.status);
  return result;
}

/** The path of every incident webhook: each normalized event goes to the incident correlation chose. */
export async function ingestDelivery(deps: IngestDeps, delivery: DeliveryRecord, events: IncidentEvent[], opts: { ignoredReason?: string } = {}): Promise<IngestResult> {
  const result = await forwardFromApi(deps, delivery, routedIncidentStarts(deps, events), opts);
  return { duplicate: result.status === 'duplicate', workflowIds: result.workflowIds, closed: result.closed };
}

export interface Answer { code: number; body: unknown }

/**
 * Sends what `work` answers, or a 503 when it has not answered by the deadline: a frozen database or an
 * unreachable Temporal never holds the sender past its own timeout. Work still running goes on, but
 * signals nothing after the deadline (db/deliveries.ts), so the sender's retry is the one that counts.
 */
export async function answerBy(
  req: FastifyRequest, reply: FastifyReply, work: () => Promise<Answer>, track?: (work: Promise<unknown>) => void,
): Promise<FastifyReply> {
  const deadline = Date.now() - reply.elapsedTime + ANSWER_DEADLINE_MS;
  const running = work();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now())); });
  try {
    const outcome = await Promise.race([running, late]);
    if (outcome === 'late') {
      track?.(running.catch((err) => req.log.warn({ err }, 'webhook work ended after its answer')));
      throw new HttpProblem(503, 'Service Unavailable', 'A dependency (database or workflow engine) did not answer in time; nothing was forwarded. Retry later.');
    }
    return reply.code(outcome.code).send(outcome.body);
  } finally {
    clearTimeout(timer);
  }
}
