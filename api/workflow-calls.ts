/**
 * Calling an incident workflow from the API (REST routes and Slack buttons), and turning what
 * Temporal answers into problem+json a person can act on.
 */
import {
  ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client, type SignalDefinition, type UpdateDefinition,
} from '@temporalio/client';
import { UPDATE_REJECTIONS } from '../workflows/contract';
import { HttpProblem } from './problem';

/** Updates run activities (Gmail drafts); signals only need the server. */
const UPDATE_DEADLINE_MS = 25_000;
/** The problem title for a workflow that is no longer running (callers whose record lives in Postgres go on without it). */
export const WORKFLOW_FINISHED = 'Incident workflow finished';
const SIGNAL_DEADLINE_MS = 3_000;

/**
 * Every incident update takes one object argument. A quick describe first: an unreachable Temporal
 * or a finished workflow is known within seconds, before waiting on an update that may run activities.
 */
export async function executeUpdate<Ret, Arg>(temporal: Client, workflowId: string, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
  const handle = temporal.workflow.getHandle(workflowId);
  try {
    const description = await temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => handle.describe());
    if (description.status.name !== 'RUNNING') {
      throw new HttpProblem(409, WORKFLOW_FINISHED,
        `The incident's workflow (${workflowId}) is ${description.status.name.toLowerCase().replace(/_/g, ' ')}: its outreach can no longer change.`);
    }
    return await temporal.connection.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () => handle.executeUpdate(update, { args: [arg] }));
  } catch (err) {
    throw toProblem(err, workflowId);
  }
}

export async function sendSignal<Arg>(temporal: Client, workflowId: string, signal: SignalDefinition<[Arg]>, arg: Arg): Promise<void> {
  try {
    await temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS,
      () => temporal.workflow.getHandle(workflowId).signal(signal, arg));
  } catch (err) {
    throw toProblem(err, workflowId);
  }
}

const UNKNOWN_CUSTOMER = /unknown customer|not (an )?affected|no such customer|not found/i;
const TRANSITION = /transition/i;

/** Rejections keep their message; the status comes from the failure type (or, failing that, its wording). */
export function toProblem(err: unknown, workflowId: string): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const message = cause?.message || err.message;
    const type = cause instanceof ApplicationFailure ? cause.type : undefined;
    // A validator that threw a plain Error has no type of ours: its wording decides.
    const untyped = !type || type === 'Error';
    if (type === UPDATE_REJECTIONS.unknownCustomer || (untyped && UNKNOWN_CUSTOMER.test(message))) {
      return new HttpProblem(404, 'Unknown customer', message);
    }
    if (type === UPDATE_REJECTIONS.invalidTransition || (untyped && TRANSITION.test(message))) {
      return new HttpProblem(409, 'Invalid transition', message);
    }
    return new HttpProblem(409, 'Not possible now', message);
  }
  if (err instanceof WorkflowNotFoundError || isNotFound(err)) {
    return new HttpProblem(409, WORKFLOW_FINISHED,
      `The incident's workflow (${workflowId}) is no longer running: the incident is closed and its outreach can no longer change.`);
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new HttpProblem(503, 'Service Unavailable', 'The incident workflow did not answer in time; try again in a moment.');
  }
  return new HttpProblem(503, 'Service Unavailable', 'The workflow engine cannot be reached right now; try again in a moment.');
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: number; cause?: { code?: number }; message?: string };
  // gRPC NOT_FOUND (5): the workflow execution does not exist or already completed.
  return e?.code === 5 || e?.cause?.code === 5 || /workflow execution already completed/i.test(e?.message ?? '');
}
