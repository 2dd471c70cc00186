// Every workflow the worker registers (the bundler's entry point).
export { incidentWorkflow } from './incident.workflow';
export { statuspageSyncWorkflow } from './statuspage-sync.workflow';
export { supportDetectorWorkflow } from './support-detector.workflow';
