/**
 * Merge two incidents, or split a source incident out of one (api/incident-correlation.ts): the REST side
 * of the dashboard's controls and of `/forewarn merge|split`. Answers 202 once the routes moved and the
 * workflows were told; the incident pages show the result a moment later.
 */
import type { FastifyBaseLogger } from 'fastify';
import { incidentSettings } from '../../config';
import { INCIDENT_SOURCES, type IncidentSource } from '../../domain/types';
import type { RoutePlugin } from '../app';
import { actorOf, requireAuth } from '../auth';
import { mergeIncidents, splitSource, type CorrelationDeps } from '../incident-correlation';
import { problemSchema } from '../problem';
import { assertMayManageIncidents } from '../roles';
import { incidentOr404 } from './incidents';
import { authErrors, incidentIdParams } from './schemas';

interface IdParams { incidentId: string }

const errors = { ...authErrors, 404: problemSchema, 409: problemSchema, 413: problemSchema, 415: problemSchema, 503: problemSchema } as const;

export const incidentCorrelationRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', requireAuth());
  const correlation = (log: FastifyBaseLogger): CorrelationDeps => ({
    db: deps.db, temporal: deps.temporal, taskQueue: deps.config.temporal.taskQueue, settings: incidentSettings(deps.config), log,
  });

  app.post<{ Params: IdParams; Body: { incidentId: string } }>('/api/incidents/:incidentId/merge', {
    onRequest: async (req) => assertMayManageIncidents(actorOf(req), 'merge incidents'),
    schema: {
      tags: ['incidents'],
      summary: 'Merge another incident into this one',
      description: 'The other incident\'s source incidents, routes and CSMs\' alert threads move to this one, and it ends (its page shows '
        + '"merged into"). A CSM alerted by either incident is told of the merge in the thread they have and is never alerted again; '
        + 'newly affected CSMs are alerted once. 409 when either is merged, dismissed, or no longer followed, or both are the same.',
      params: incidentIdParams,
      body: {
        type: 'object', additionalProperties: false, required: ['incidentId'],
        properties: { incidentId: { type: 'string', format: 'uuid', description: 'The incident to merge into this one (it ends).' } },
      },
      response: {
        202: {
          type: 'object', required: ['status', 'workflowId', 'incidentId', 'mergedIncidentId'],
          properties: {
            status: { type: 'string', enum: ['accepted'] }, workflowId: { type: 'string' },
            incidentId: { type: 'string', format: 'uuid' }, mergedIncidentId: { type: 'string', format: 'uuid' },
          },
        },
        ...errors,
      },
    },
  }, async (req, reply) => {
    const target = await incidentOr404(deps.db, req.params.incidentId);
    const merged = await incidentOr404(deps.db, req.body.incidentId);
    return reply.code(202).send(await mergeIncidents(correlation(req.log), target, merged, actorOf(req)));
  });

  app.post<{ Params: IdParams; Body: { source: IncidentSource; externalId: string } }>('/api/incidents/:incidentId/split', {
    onRequest: async (req) => assertMayManageIncidents(actorOf(req), 'split incidents'),
    schema: {
      tags: ['incidents'],
      summary: 'Split a source incident out into an incident of its own',
      description: 'The source incident (one of `linkedSources`) leaves this incident, which is derived again from the others '
        + '(CSMs hear it in their thread), and starts its own incident, which alerts its CSMs as any new incident does; its later '
        + 'events go there. 404 when it is not linked; 409 for the source the incident is named after, or an incident not followed.',
      params: incidentIdParams,
      body: {
        type: 'object', additionalProperties: false, required: ['source', 'externalId'],
        properties: {
          source: { type: 'string', enum: [...INCIDENT_SOURCES] },
          externalId: { type: 'string', minLength: 1, maxLength: 300 },
        },
      },
      response: {
        202: {
          type: 'object', required: ['status', 'workflowId', 'incidentId', 'fromIncidentId'],
          properties: {
            status: { type: 'string', enum: ['accepted'] }, workflowId: { type: 'string', description: 'The new incident\'s workflow.' },
            incidentId: { type: 'string', format: 'uuid', description: 'The new incident.' }, fromIncidentId: { type: 'string', format: 'uuid' },
          },
        },
        ...errors,
      },
    },
  }, async (req, reply) => {
    const incident = await incidentOr404(deps.db, req.params.incidentId);
    return reply.code(202).send(await splitSource(correlation(req.log), incident, req.body, actorOf(req)));
  });
};
