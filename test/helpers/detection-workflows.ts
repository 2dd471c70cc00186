/**
 * Workflow entry point for the detection tests: the real detection workflows, and in place of the incident
 * workflow a stand-in registered as 'incidentWorkflow' that records every event it is sent (query
 * 'recordedEvents'), so the tests see exactly what detection delivered — duplicates included.
 */
import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import type { IncidentEvent } from '../../domain/types';
import { incidentEventSignal, type IncidentWorkflowInput } from '../../workflows/contract';

export { statuspageSyncWorkflow } from '../../workflows/statuspage-sync.workflow';
export { supportDetectorWorkflow } from '../../workflows/support-detector.workflow';

export const recordedEventsQuery = defineQuery<IncidentEvent[]>('recordedEvents');

export async function incidentWorkflow(_input: IncidentWorkflowInput): Promise<void> {
  const events: IncidentEvent[] = [];
  setHandler(incidentEventSignal, (event) => {
    events.push(event);
  });
  setHandler(recordedEventsQuery, () => events);
  await condition(() => false);
}

/** The contract's incident workflow type (WORKFLOW_TYPES.incident) runs the same stand-in. */
export const incidentWorkflowV2 = incidentWorkflow;
