/**
 * People steering incidents over REST (and the dashboard's buttons): declare one, change its
 * severity, status or public message, resolve it. Each goes to the incident workflow as an event
 * (api/incident-actions.ts); the answer comes once the event is recorded and forwarded (202).
 * Anyone signed in may declare; the rest takes a CS manager or an admin (api/roles.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_STATUSES, SEVERITIES } from '../../domain/types';
import type { RoutePlugin } from '../app';
import { actorOf, requireAuth } from '../auth';
import {
  changeIncident, declareIncident, dismissIncident, manualDeliveryId, type DeclareBody, type IncidentChange, type ManualAction,
} from '../incident-actions';
import { problemSchema } from '../problem';
import { assertMayManageIncidents } from '../roles';
import { genericIncidentSchema } from '../webhooks/generic';
import { answerBy, requestDeadline } from '../webhooks/ingest';
import { incidentOr404, optionalBody } from './incidents';
import { authErrors, incidentIdParams } from './schemas';

interface IdParams { incidentId: string }
type WithActor<T> = T & { actor?: string };

const actorProperty = {
  type: 'string', minLength: 1, maxLength: 200,
  description: 'Who the caller acts for (an integration\'s user); on the timeline and in the audit record beside the authenticated actor.',
} as const;
const idempotencyHeaders = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', maxLength: 200, description: 'A retried request with the same key changes nothing.' } },
} as const;

const { id, status, startedAt, ...genericProperties } = genericIncidentSchema.properties;

/** The generic webhook's body; `id` (default: generated), `status` (investigating) and `startedAt` (now) are optional. */
const declareSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'severity', 'affectedComponents'],
  properties: {
    id: { ...id, description: 'The incident\'s id (default: generated, e.g. 20261202-1a2b3c); the workflow is incident:manual:<id>.' },
    status: { ...status, description: 'Default: investigating.' },
    startedAt: { ...startedAt, description: 'Default: now.' },
    ...genericProperties,
    actor: actorProperty,
  },
} as const;

const actionAccepted = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['accepted', 'duplicate'] },
    workflowId: { type: 'string' },
    incidentId: { type: 'string', format: 'uuid', description: 'The incident\'s id: its dashboard page is /dashboard/incidents/<incidentId>.' },
    externalId: { type: 'string' },
  },
  required: ['status', 'workflowId', 'incidentId'],
} as const;

const declareAccepted = {
  type: 'object',
  properties: {
    ...actionAccepted.properties,
    joined: {
      type: 'boolean',
      description: 'true: the declaration overlapped an open incident (a shared component within CORRELATION_WINDOW_MINUTES of its last activity, '
        + 'or a shared reference) and joined it — workflowId, incidentId, externalId and title are that incident\'s; its CSMs are not alerted again.',
    },
    title: { type: 'string', description: 'The incident\'s title (the open incident\'s when joined).' },
  },
  required: [...actionAccepted.required, 'joined', 'title'],
} as const;

const actionErrors = { ...authErrors, 404: problemSchema, 409: problemSchema, 413: problemSchema, 415: problemSchema, 422: problemSchema, 503: problemSchema } as const;

export const incidentActionRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', requireAuth());

  /** A stated `actor` in the body is recorded beside the authenticated one, never instead of it. */
  const action = (req: FastifyRequest, onBehalfOf: string | undefined): ManualAction => ({
    actor: actorOf(req),
    ...(onBehalfOf ? { onBehalfOf } : {}),
    deliveryId: manualDeliveryId(req.headers['idempotency-key'] as string | undefined),
  });

  /** Before the incident is looked up or the body read: a person who may not learns why, and nothing else. */
  const steering = (what: string) => async (req: FastifyRequest) => assertMayManageIncidents(actorOf(req), what);

  /** A change (PATCH, resolve) as the person's event to the incident's workflow, answered once forwarded. */
  const change = (req: FastifyRequest<{ Params: IdParams }>, reply: FastifyReply, what: IncidentChange, onBehalfOf: string | undefined) => {
    const deadline = requestDeadline(reply);
    return answerBy(req, reply, async () => {
      const incident = await incidentOr404(deps.db, req.params.incidentId);
      return { code: 202, body: await changeIncident(deps.ingestDeps(req.log, deadline), incident, what, action(req, onBehalfOf)) };
    }, deps.track);
  };

  app.post<{ Body: WithActor<DeclareBody> }>('/api/incidents', {
    schema: {
      tags: ['incidents'],
      summary: 'Declare an incident by hand',
      description: 'The generic webhook\'s body (components are Forewarn component keys or "generic" aliases; 422 names unknown ones). '
        + 'Routed like every source: a declaration that overlaps an open incident joins it (`joined: true`, that incident\'s ids; it may widen '
        + 'its components or raise its severity, never lower them). Otherwise the incident (source `manual`) is analyzed and its CSMs alerted as '
        + 'for any source, and later PagerDuty, Opsgenie or Statuspage incidents on its components join it. Answers 202 once forwarded.',
      headers: idempotencyHeaders,
      body: declareSchema,
      response: { 202: declareAccepted, ...actionErrors },
    },
  }, async (req, reply) => {
    const deadline = requestDeadline(reply);
    return answerBy(req, reply, async () => {
      const { actor, ...body } = req.body;
      return { code: 202, body: await declareIncident(deps.ingestDeps(req.log, deadline), body, action(req, actor)) };
    }, deps.track);
  });

  app.patch<{ Params: IdParams; Body: WithActor<IncidentChange> }>('/api/incidents/:incidentId', {
    onRequest: steering('change incidents (severity, status, public message)'),
    schema: {
      tags: ['incidents'],
      summary: 'Change an incident\'s severity, status or public message',
      description: 'Applied by the incident workflow like a source\'s event (CSMs hear the change in their alert\'s thread). '
        + 'A status other than resolved reopens a resolved incident; 409 for a dismissed incident, or a severity change on a resolved one.',
      params: incidentIdParams,
      headers: idempotencyHeaders,
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          severity: { type: 'string', enum: [...SEVERITIES] },
          status: { type: 'string', enum: [...EVENT_STATUSES] },
          message: { type: 'string', maxLength: 20000, description: 'The latest public update text.' },
          note: { type: 'string', maxLength: 2000, description: 'A timeline note.' },
          actor: actorProperty,
        },
      },
      response: { 202: actionAccepted, ...actionErrors },
    },
  }, async (req, reply) => {
    const { actor, ...what } = req.body;
    return change(req, reply, what, actor);
  });

  app.post<{ Params: IdParams; Body: { note?: string; actor?: string } }>('/api/incidents/:incidentId/resolve', {
    onRequest: steering('resolve incidents'),
    preValidation: optionalBody,
    schema: {
      tags: ['incidents'],
      summary: 'Resolve an incident',
      description: 'Resolves it whatever its sources said before (a source\'s later event still applies): resolution DMs, '
        + 'resolution emails and follow-ups follow. The timeline records who. 409 when already resolved or dismissed.',
      params: incidentIdParams,
      headers: idempotencyHeaders,
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          note: { type: 'string', maxLength: 2000, description: 'What fixed it: a timeline note, and the resolution DM\'s "Resolution:" line.' },
          actor: actorProperty,
        },
      },
      response: { 202: actionAccepted, ...actionErrors },
    },
  }, async (req, reply) => {
    const { actor, note } = req.body;
    return change(req, reply, { status: 'resolved', ...(note ? { note, resolutionNote: note } : {}) }, actor);
  });

  app.post<{ Params: IdParams; Body: { reason?: string; actor?: string } }>('/api/incidents/:incidentId/dismiss', {
    onRequest: steering('dismiss incidents'),
    preValidation: optionalBody,
    schema: {
      tags: ['incidents'],
      summary: 'Dismiss a suspected incident as a false alarm',
      description: 'Only for a suspected incident (opened by the support-spike detector, not confirmed yet): it ends as `dismissed`, '
        + 'and the CSMs already alerted are told in their alert\'s thread. 409 with the reason for a confirmed, resolved or dismissed incident.',
      params: incidentIdParams,
      body: {
        type: 'object', additionalProperties: false,
        properties: { reason: { type: 'string', maxLength: 2000, description: 'Why it is a false alarm (told to the CSMs).' }, actor: actorProperty },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['dismissed'] }, incidentId: { type: 'string', format: 'uuid' },
            dismissedAt: { type: 'string', format: 'date-time' }, csmsTold: { type: 'integer', description: 'Alerted CSMs told in their thread.' },
          },
        },
        ...actionErrors,
      },
    },
  }, async (req) => {
    const incident = await incidentOr404(deps.db, req.params.incidentId);
    const { actor, reason } = req.body;
    return dismissIncident(deps, incident, action(req, actor), reason);
  });
};
