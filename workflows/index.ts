// Every workflow the worker registers (the bundler's entry point).
export { incidentWorkflow } from './incident.workflow';
