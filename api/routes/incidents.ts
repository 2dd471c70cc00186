/**
 * Incidents for people and tools: list, detail, timeline, affected customers (the product spec's
 * response), and the actions the Slack buttons offer — outreach status, email drafts, resolution
 * emails, follow-ups, acknowledgement — each through the incident workflow, so its rules apply.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import {
  getAffectedCustomers, getIncident, getTimeline, listIncidents, type IncidentView,
} from '../../db/incident-queries';
import { INCIDENT_SOURCES, INCIDENT_STATUSES, OUTREACH_STATUSES, SEVERITIES, type IncidentSource, type IncidentStatus, type OutreachStatus, type Severity } from '../../domain/types';
import {
  acknowledgeSignal, draftEmailsUpdate, scheduleFollowUpsUpdate, sendResolutionEmailsUpdate,
} from '../../workflows/contract';
import type { RoutePlugin } from '../app';
import { actorOf, requireAuth } from '../auth';
import { assertMayActForCsm } from '../roles';
import { recordAudit } from '../../db/audit';
import { actorLabel } from '../../domain/actor';
import { HttpProblem, problemSchema } from '../problem';
import { recordOutreach } from '../outreach';
import { executeUpdate, sendSignal } from '../workflow-calls';
import { affectedCustomerSchema, authErrors, incidentIdParams, incidentSchema, timelineEntrySchema } from './schemas';

interface ListQuery {
  status?: IncidentStatus[]; severity?: Severity[]; active?: boolean; source?: IncidentSource;
  externalId?: string; component?: string; limit: number; offset: number;
}
interface IdParams { incidentId: string }

export async function incidentOr404(db: Kysely<Database>, id: string): Promise<IncidentView> {
  const incident = await getIncident(db, id);
  if (!incident) throw new HttpProblem(404, 'Incident not found', `No incident has id ${id}.`);
  return incident;
}

const csmActionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['csmEmail'],
  properties: {
    csmEmail: { type: 'string', format: 'email', description: 'The CSM whose customers these are (as the Slack button does for the clicking CSM).' },
    actor: { type: 'string', maxLength: 200, description: 'Who the caller acts for (an integration\'s user); kept in the audit record. The timeline names the authenticated actor.' },
  },
} as const;

/** A stated `actor` in the body is recorded beside the authenticated one, never instead of it. */
const onBehalfOf = (actor?: string) => (actor ? { onBehalfOf: actor } : {});

const draftsResult = {
  type: 'object',
  properties: {
    drafted: { type: 'integer', description: 'Customers whose email exists now (drafted, or sent for resolution emails).' },
    failed: { type: 'integer', description: 'Customers whose email could not be created (no contact address, refused address...); see the customer list.' },
  },
} as const;

/** A POST without a body is validated as `{}`, so the error names the missing field rather than the body. */
export const optionalBody = async (req: { body: unknown }) => { req.body ??= {}; };

export const workflowErrors = { 404: problemSchema, 409: problemSchema, 503: problemSchema } as const;

export const incidentRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', requireAuth());

  app.get<{ Querystring: ListQuery }>('/api/incidents', {
    schema: {
      tags: ['incidents'],
      summary: 'List incidents',
      description: 'Newest first. Repeat status or severity to match any of several values (?status=investigating&status=identified).',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          status: { type: 'array', items: { type: 'string', enum: [...INCIDENT_STATUSES] } },
          severity: { type: 'array', items: { type: 'string', enum: [...SEVERITIES] } },
          active: { type: 'boolean', description: 'true: not resolved; false: resolved.' },
          source: { type: 'string', enum: [...INCIDENT_SOURCES] },
          externalId: { type: 'string', maxLength: 200 },
          component: { type: 'string', maxLength: 200, description: 'A component key the incident affects.' },
          limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          offset: { type: 'integer', minimum: 0, default: 0 },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            items: { type: 'array', items: incidentSchema },
            total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' },
          },
        },
        ...authErrors,
      },
    },
  }, async (req) => {
    const q = req.query;
    const { items, total } = await listIncidents(deps.db, q);
    return { items, total, limit: q.limit, offset: q.offset };
  });

  app.get<{ Params: IdParams }>('/api/incidents/:incidentId', {
    schema: {
      tags: ['incidents'], summary: 'One incident',
      params: incidentIdParams,
      response: { 200: incidentSchema, ...authErrors, 404: problemSchema },
    },
  }, async (req) => incidentOr404(deps.db, req.params.incidentId));

  app.get<{ Params: IdParams }>('/api/incidents/:incidentId/timeline', {
    schema: {
      tags: ['incidents'], summary: "An incident's timeline",
      description: 'Status and severity changes, notes, alerts sent, escalations, outreach changes and follow-ups, oldest first.',
      params: incidentIdParams,
      response: {
        200: { type: 'object', properties: { incidentId: { type: 'string' }, entries: { type: 'array', items: timelineEntrySchema } } },
        ...authErrors, 404: problemSchema,
      },
    },
  }, async (req) => {
    const incident = await incidentOr404(deps.db, req.params.incidentId);
    return { incidentId: incident.id, entries: await getTimeline(deps.db, incident.id) };
  });

  app.get<{ Params: IdParams }>('/api/incidents/:incidentId/customers', {
    schema: {
      tags: ['incidents'], summary: 'Affected customers, in priority order',
      description: 'Customers no longer affected (after a re-analysis) are left out. totalARRAtRisk sums the listed customers\' ARR.',
      params: incidentIdParams,
      response: {
        200: {
          type: 'object',
          properties: {
            incident: incidentSchema,
            affectedCustomers: { type: 'array', items: affectedCustomerSchema },
            totalARRAtRisk: { type: 'number' },
          },
        },
        ...authErrors, 404: problemSchema,
      },
    },
  }, async (req) => {
    const incident = await incidentOr404(deps.db, req.params.incidentId);
    const rows = await getAffectedCustomers(deps.db, incident.id);
    const total = rows.reduce((sum, r) => sum + r.customer.arr, 0);
    return {
      incident,
      affectedCustomers: rows.map((r) => ({ customer: r.customer, impactLevel: r.impactLevel, reason: r.reason, outreachStatus: r.outreachStatus })),
      totalARRAtRisk: Math.round(total * 100) / 100,
    };
  });

  app.post<{ Params: IdParams & { customerId: string }; Body: { status: OutreachStatus; note?: string; actor?: string } }>(
    '/api/incidents/:incidentId/customers/:customerId/outreach', {
      schema: {
        tags: ['outreach'], summary: "Change a customer's outreach status",
        description: 'Through the incident workflow: pending → drafted → sent → responded, then resolution_sent and followed_up. '
          + 'An unknown customer answers 404, a move the workflow does not allow answers 409, both with the reason.',
        params: {
          type: 'object', required: ['incidentId', 'customerId'],
          properties: { incidentId: incidentIdParams.properties.incidentId, customerId: { type: 'string', format: 'uuid' } },
        },
        body: {
          type: 'object', additionalProperties: false, required: ['status'],
          properties: {
            status: { type: 'string', enum: [...OUTREACH_STATUSES] },
            note: { type: 'string', maxLength: 2000 },
            actor: { type: 'string', maxLength: 200, description: 'Who the caller acts for; kept in the audit record beside the authenticated actor.' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              customerId: { type: 'string' },
              previous: { type: 'string', enum: [...OUTREACH_STATUSES] },
              status: { type: 'string', enum: [...OUTREACH_STATUSES] },
            },
          },
          ...authErrors, ...workflowErrors,
        },
      },
    }, async (req) => {
      const incident = await incidentOr404(deps.db, req.params.incidentId);
      const { status, note, actor } = req.body;
      return recordOutreach({ ...deps, log: req.log }, incident, {
        customerId: req.params.customerId, status, actor: actorOf(req), ...onBehalfOf(actor), ...(note !== undefined ? { note } : {}),
      });
    });

  /** Drafts and resolution emails: the same request for one CSM, answered by one workflow update each. */
  const csmEmailsRoute = (path: string, update: typeof draftEmailsUpdate, auditAction: string, doc: { summary: string; description: string }) => {
    app.post<{ Params: IdParams; Body: { csmEmail: string; actor?: string } }>(`/api/incidents/:incidentId/${path}`, {
      preValidation: optionalBody,
      schema: {
        tags: ['outreach'], ...doc, params: incidentIdParams, body: csmActionBody,
        response: { 200: draftsResult, ...authErrors, ...workflowErrors },
      },
    }, async (req) => {
      const incident = await incidentOr404(deps.db, req.params.incidentId);
      const body = req.body;
      const actor = actorOf(req);
      await assertMayActForCsm(deps.db, actor, body.csmEmail);
      const result = await executeUpdate(deps.temporal, incident.workflowId, update, { csmEmail: body.csmEmail, actor: actorLabel(actor, body.actor) });
      await recordAudit(deps.db, { actor, action: auditAction, incidentId: incident.id, target: body.csmEmail, detail: { ...result, ...onBehalfOf(body.actor) } });
      return result;
    });
  };
  csmEmailsRoute('drafts', draftEmailsUpdate, 'outreach.drafts_requested', {
    summary: 'Draft customer emails (like the Slack button)',
    description: "Gmail drafts in the CSM's mailbox for their customers whose outreach is still pending.",
  });
  csmEmailsRoute('resolution-emails', sendResolutionEmailsUpdate, 'outreach.resolution_emails_requested', {
    summary: 'Resolution emails (like the Slack button)',
    description: 'For the customers contacted so far; only once the incident is resolved (409 before).',
  });

  app.post<{ Params: IdParams; Body: { csmEmail: string; inHours?: number } }>('/api/incidents/:incidentId/follow-ups', {
    preValidation: optionalBody,
    schema: {
      tags: ['outreach'], summary: 'Schedule follow-ups (like the Slack button)',
      params: incidentIdParams,
      body: {
        type: 'object', additionalProperties: false,
        required: ['csmEmail'],
        properties: { csmEmail: { type: 'string', format: 'email' }, inHours: { type: 'number', minimum: 0.01, maximum: 24 * 30, description: 'Hours from now (default: FOLLOW_UP_HOURS).' } },
      },
      response: { 200: { type: 'object', properties: { dueAt: { type: 'string', format: 'date-time' } } }, ...authErrors, ...workflowErrors },
    },
  }, async (req) => {
    const incident = await incidentOr404(deps.db, req.params.incidentId);
    const body = req.body;
    await assertMayActForCsm(deps.db, actorOf(req), body.csmEmail);
    const result = await executeUpdate(deps.temporal, incident.workflowId, scheduleFollowUpsUpdate, { csmEmail: body.csmEmail, inHours: body.inHours });
    await recordAudit(deps.db, { actor: actorOf(req), action: 'outreach.follow_ups_scheduled', incidentId: incident.id, target: body.csmEmail, detail: { dueAt: result.dueAt } });
    return result;
  });

  app.post<{ Params: IdParams; Body: { csmEmail: string } }>('/api/incidents/:incidentId/acknowledgements', {
    schema: {
      tags: ['outreach'], summary: "Acknowledge the alert for a CSM (like the Slack button)",
      description: 'Stops the escalation of that CSM to their manager.',
      params: incidentIdParams,
      body: { type: 'object', additionalProperties: false, required: ['csmEmail'], properties: { csmEmail: { type: 'string', format: 'email' } } },
      response: { 202: { type: 'object', properties: { status: { type: 'string' } } }, ...authErrors, ...workflowErrors },
    },
  }, async (req, reply) => {
    const incident = await incidentOr404(deps.db, req.params.incidentId);
    await assertMayActForCsm(deps.db, actorOf(req), req.body.csmEmail);
    await sendSignal(deps.temporal, incident.workflowId, acknowledgeSignal, { csmEmail: req.body.csmEmail });
    await recordAudit(deps.db, { actor: actorOf(req), action: 'incident.acknowledged', incidentId: incident.id, target: req.body.csmEmail });
    return reply.code(202).send({ status: 'acknowledged' });
  });
};
