/**
 * Recording outreach, for the REST route and the Slack menu alike: in Postgres, under the
 * state machine's rules (404 unknown customer, 409 refused move), whether or not the incident's
 * workflow still runs; then the workflow hears that the CSM acted (it cancels their escalation).
 * Incidents still on the first workflow type keep their outreach in the workflow: those go
 * through its update, as before.
 */
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { changeOutreach } from '../db/outreach';
import type { Database } from '../db/types';
import type { OutreachStatus } from '../domain/types';
import {
  outreachRecordedSignal, setOutreachStatusUpdate, WORKFLOW_TYPES, type SetOutreachStatusResult,
} from '../workflows/contract';
import { HttpProblem } from './problem';
import { executeUpdate, sendSignal } from './workflow-calls';

const DESCRIBE_DEADLINE_MS = 3_000;

export interface OutreachRequest { customerId: string; status: OutreachStatus; note?: string; actor: string }

/** The workflow type of a running incident, or undefined when it has finished, is unknown or Temporal cannot say. */
async function runningType(temporal: Client, workflowId: string): Promise<string | undefined> {
  try {
    const d = await temporal.connection.withDeadline(Date.now() + DESCRIBE_DEADLINE_MS, () => temporal.workflow.getHandle(workflowId).describe());
    return d.status.name === 'RUNNING' ? d.type : undefined;
  } catch {
    return undefined;
  }
}

export async function recordOutreach(
  deps: { db: Kysely<Database>; temporal: Client; log?: { warn(obj: object, msg: string): void } },
  incident: { id: string; workflowId: string },
  req: OutreachRequest,
): Promise<SetOutreachStatusResult> {
  const type = await runningType(deps.temporal, incident.workflowId);
  if (type === WORKFLOW_TYPES.incidentV1) {
    return executeUpdate(deps.temporal, incident.workflowId, setOutreachStatusUpdate, req);
  }
  const at = new Date().toISOString();
  const outcome = await changeOutreach(deps.db, { incidentId: incident.id, ...req, at });
  if (!outcome.ok) {
    throw outcome.reason === 'unknownCustomer'
      ? new HttpProblem(404, 'Unknown customer', outcome.message)
      : new HttpProblem(409, 'Invalid transition', outcome.message);
  }
  if (!outcome.noop && type && outcome.csmEmail) {
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
