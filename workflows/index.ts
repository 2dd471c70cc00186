// Every workflow the worker registers (the bundler's entry point).
export { incidentWorkflowV2 } from './incident.workflow';
// Incidents started before the customer list moved to Postgres drain on the code they started with.
export { incidentWorkflow } from './incident-v1/incident.workflow';
export { statuspageSyncWorkflow } from './statuspage-sync.workflow';
export { supportDetectorWorkflow } from './support-detector.workflow';
export { outreachTrackingWorkflow } from './outreach-tracking.workflow';
