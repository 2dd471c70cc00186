import type { IncidentWorkflowInput } from './contract';

// Not built yet.
export async function incidentWorkflow(_input: IncidentWorkflowInput): Promise<void> {}
