/**
 * Recording outreach, for the REST route and the Slack menu alike: within the actor's role (403),
 * in Postgres, under the state machine's rules (404 unknown customer, 409 refused move), whether or not the incident's
 * workflow still runs; then the workflow hears that the CSM acted (it cancels their escalation).
 * Incidents still on the first workflow type keep their outreach in the workflow: those go
 * through its update, as before.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { recordAudit } from '../db/audit';
import { changeOutreach } from '../db/outreach';
import type { Database } from '../db/types';
import { actorLabel, type Actor } from '../domain/actor';
import type { OutreachStatus } from '../domain/types';
import {
  outreachRecordedSignal, setOutreachStatusUpdate, WORKFLOW_TYPES, type SetOutreachStatusResult,
} from '../workflows/contract';
import { HttpProblem } from './problem';
import { assertMayChangeOutreach } from './roles';
import { executeUpdate, sendSignal, WORKFLOW_FINISHED } from './workflow-calls';

const DESCRIBE_DEADLINE_MS = 3_000;

export interface OutreachRequest {
  customerId: string; status: OutreachStatus; note?: string; actor: Actor;
  /** Whom a token says it acts for (the body's `actor`): on the timeline and in the audit record beside the token. */
  onBehalfOf?: string;
}

/**
 * The workflow type of a running incident; undefined when it has finished or never ran (its
 * outreach lives in Postgres alone), or when Temporal cannot be reached ('unknown').
 */
async function runningType(temporal: Client, workflowId: string): Promise<string | undefined | 'unknown'> {
  try {
    const d = await temporal.connection.withDeadline(Date.now() + DESCRIBE_DEADLINE_MS, () => temporal.workflow.getHandle(workflowId).describe());
    return d.status.name === 'RUNNING' ? d.type : undefined;
  } catch (err) {
    return err instanceof WorkflowNotFoundError ? undefined : 'unknown';
  }
}

/** Analyzed by the current workflow type (its analyses stamp revision 1 and up; the first type's stamp none or 0). */
async function analyzedByCurrentType(db: Kysely<Database>, incidentId: string): Promise<boolean> {
  const row = await db.selectFrom('incident_customer_impact').select('customer_id')
    .where('incident_id', '=', incidentId).where('affected_revision', '>=', 1).limit(1).executeTakeFirst();
  return Boolean(row);
}

export async function recordOutreach(
  deps: { db: Kysely<Database>; temporal: Client; log?: { warn(obj: object, msg: string): void } },
  incident: { id: string; workflowId: string },
  req: OutreachRequest,
): Promise<SetOutreachStatusResult> {
  await assertMayChangeOutreach(deps.db, req.actor, req.customerId);
  const result = await changeOutreachOnRecord(deps, incident, req);
  if (result.previous !== result.status) {
    await recordAudit(deps.db, {
      actor: req.actor, action: 'outreach.changed', incidentId: incident.id, target: result.customerId,
      detail: { previous: result.previous, status: result.status, ...(req.note ? { note: req.note } : {}), ...(req.onBehalfOf ? { onBehalfOf: req.onBehalfOf } : {}) },
    });
  }
  return result;
}

async function changeOutreachOnRecord(
  deps: { db: Kysely<Database>; temporal: Client; log?: { warn(obj: object, msg: string): void } },
  incident: { id: string; workflowId: string },
  { customerId, status, note, actor: who, onBehalfOf }: OutreachRequest,
): Promise<SetOutreachStatusResult> {
  const actor = actorLabel(who, onBehalfOf);
  const req = { customerId, status, actor, ...(note !== undefined ? { note } : {}) };
  let type = await runningType(deps.temporal, incident.workflowId);
  if (type === WORKFLOW_TYPES.incidentV1) {
    try {
      return await executeUpdate(deps.temporal, incident.workflowId, setOutreachStatusUpdate, req);
    } catch (err) {
      // It finished between the two calls: its outreach is on record in Postgres, which takes the change from now on.
      if (!(err instanceof HttpProblem && err.title === WORKFLOW_FINISHED)) throw err;
      type = undefined;
    }
  }
  // Temporal cannot say which type runs: an incident of the first type keeps its outreach in the
  // workflow, and writing Postgres alone would leave the two disagreeing.
  if (type === 'unknown' && !await analyzedByCurrentType(deps.db, incident.id)) {
    throw new HttpProblem(503, 'Service Unavailable', 'The workflow engine cannot be reached right now; try again in a moment.');
  }
  const at = new Date().toISOString();
  const outcome = await changeOutreach(deps.db, { incidentId: incident.id, ...req, at });
  if (!outcome.ok) {
    throw outcome.reason === 'unknownCustomer'
      ? new HttpProblem(404, 'Unknown customer', outcome.message)
      : new HttpProblem(409, 'Invalid transition', outcome.message);
  }
  if (!outcome.noop && type && type !== 'unknown' && outcome.csmEmail) {
    try {
      await sendSignal(deps.temporal, incident.workflowId, outreachRecordedSignal, {
        csmEmail: outcome.csmEmail, customerId: outcome.customerId, impactLevel: outcome.impactLevel, status: outcome.status, at,
      });
    } catch (err) {
      // Recorded all the same; at worst the CSM's manager hears of a reaction that did happen.
      deps.log?.warn({ err, workflowId: incident.workflowId }, 'outreach recorded, but the incident workflow was not told');
    }
  }
  return { customerId: outcome.customerId, previous: outcome.previous, status: outcome.status };
}
