/**
 * POST /api/webhooks/opsgenie — Opsgenie / Jira Service Management outgoing webhook (alert actions).
 * Opsgenie signs nothing; the integration is configured with a custom header
 * `Authorization: Bearer <OPSGENIE_WEBHOOK_TOKEN>`, or the URL carries basic auth with the token as password.
 * Create, Acknowledge, AddNote, UpdatePriority, Escalate / EscalateNext and Close become incident events;
 * other actions are recorded and answered 2xx.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { resolveComponentAliases } from '../../db/aliases';
import {
  isHandledOpsgenieAction, normalizeOpsgenie, opsgenieComponentLookups, opsgenieDeliveryId, type OpsgenieWebhookBody,
} from '../../domain/sources/opsgenie';
import { incidentWorkflowId } from '../../workflows/contract';
import type { RoutePlugin } from '../app';
import { bearerToken, safeEqual } from '../auth';
import { sendProblem } from '../problem';
import { answerBy, ingestDelivery, requestDeadline } from './ingest';
import { acceptedBody, acceptedSchema, countRejections, webhookErrorResponses } from './common';

/** The bearer token, or the password of basic auth. */
export function opsgenieCredential(req: FastifyRequest): string | undefined {
  const bearer = bearerToken(req);
  if (bearer) return bearer;
  const m = req.headers.authorization?.match(/^Basic\s+(.+)$/i);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1].trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

const bodySchema = {
  type: 'object',
  required: ['action', 'alert'],
  properties: {
    action: { type: 'string', minLength: 1 },
    alert: {
      type: 'object',
      required: ['alertId'],
      properties: {
        alertId: { type: 'string', minLength: 1, maxLength: 200 },
        message: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
        entity: { type: 'string' },
        alias: { type: 'string' },
        description: { type: 'string' },
        createdAt: { type: 'number' },
        updatedAt: { type: 'number' },
        username: { type: 'string' },
        priority: { anyOf: [{ type: 'string', pattern: '^[Pp]?[1-5]$' }, { type: 'integer', minimum: 1, maximum: 5 }], description: '"P1".."P5" or 1..5' },
        note: { type: 'string' },
        details: { type: 'object', description: 'Extra properties ("Add Alert Details to Payload"); a Statuspage incident URL in one links the alert to it.' },
      },
    },
    integrationId: { type: 'string' },
    integrationName: { type: 'string' },
    source: { type: 'object' },
  },
} as const;

export const opsgenieWebhook: RoutePlugin = async (app, deps) => {
  countRejections(app, deps, 'opsgenie');
  app.post<{ Body: OpsgenieWebhookBody }>('/api/webhooks/opsgenie', {
    bodyLimit: deps.config.api.bodyLimitBytes,
    schema: {
      tags: ['webhooks'],
      summary: 'Opsgenie / Jira Service Management alert actions',
      description: 'Authenticated with OPSGENIE_WEBHOOK_TOKEN as a bearer token or as the basic-auth password. '
        + 'Alert tags, entity and integration name are mapped to components through "opsgenie" aliases.',
      security: [],
      body: bodySchema,
      response: { 200: acceptedSchema, 202: acceptedSchema, ...webhookErrorResponses },
    },
    onRequest: async (req, reply) => {
      const token = deps.config.opsgenie.webhookToken;
      if (!token) {
        req.log.error('Opsgenie delivery refused: OPSGENIE_WEBHOOK_TOKEN is not set');
        return sendProblem(reply, 401, 'Unauthorized', 'Opsgenie deliveries cannot be authenticated: OPSGENIE_WEBHOOK_TOKEN is not configured.');
      }
      const given = opsgenieCredential(req);
      if (!given || !safeEqual(given, token)) {
        return sendProblem(reply.header('www-authenticate', 'Bearer'), 401, 'Unauthorized',
          'Send OPSGENIE_WEBHOOK_TOKEN as "Authorization: Bearer <token>" (a custom header on the Opsgenie webhook integration) or as the basic-auth password.');
      }
    },
  }, async (req, reply) => {
    const deadline = requestDeadline(reply);
    return answerBy(req, reply, async () => {
      const body = req.body;
      const deliveryId = opsgenieDeliveryId(body, createHash('sha256').update(req.rawBody ?? '').digest('hex'));
      const ingest = deps.ingestDeps(req.log, deadline);
      const delivery = { source: 'opsgenie', deliveryId, rawBody: req.rawBody ?? '', headers: { 'user-agent': req.headers['user-agent'] } };
      if (!isHandledOpsgenieAction(body.action)) {
        const reason = `action ${body.action} is not used by Forewarn`;
        await ingestDelivery(ingest, delivery, [], { ignoredReason: reason });
        return { code: 200, body: { status: 'ignored', reason } };
      }
      const lookups = opsgenieComponentLookups(body);
      const { keys } = await resolveComponentAliases(deps.db, 'opsgenie', lookups);
      const event = normalizeOpsgenie(body, { components: keys, deliveryId, receivedAt: new Date().toISOString() })!;
      if (body.action === 'Create' && keys.length === 0) {
        req.log.warn({ lookups }, 'Opsgenie alert matches no component alias');
        event.note = `Opsgenie alert names no mapped component (${lookups.join(', ') || 'no tags, entity or integration'}): add an "opsgenie" alias to see affected customers.`;
      }
      const result = await ingestDelivery(ingest, delivery, [event]);
      return { code: 202, body: await acceptedBody(deps.db, result.workflowIds[0] ?? incidentWorkflowId('opsgenie', body.alert.alertId), result) };
    }, deps.track);
  });
};
