/**
 * POST /api/webhooks/support — customer-reported issues.
 * Two bodies, two ways to authenticate:
 * - a Zendesk ticket event (`zen:event-type:ticket.created`), signed with `X-Zendesk-Webhook-Signature`
 *   = base64(HMAC-SHA256(secret, X-Zendesk-Webhook-Signature-Timestamp + raw body)) when ZENDESK_WEBHOOK_SECRET is
 *   set (https://developer.zendesk.com/documentation/webhooks/verifying/);
 * - any helpdesk's `{ ticketId, customerExternalId, subject, tags, createdAt }`, or a Zendesk event without a
 *   signature, with `Authorization: Bearer <SUPPORT_WEBHOOK_TOKEN or one of API_TOKENS>`.
 * The delivery is recorded, the ticket matched to components by their ticket tags and keywords, and each
 * matched component's spike detector gets it (signalWithStart). Deciding whether it is an incident is the
 * detector's job, so this answers fast.
 */
import { createHmac } from 'node:crypto';
import { supportMatchRules } from '../../db/detection';
import {
  isZendeskEvent, matchTicketComponents, parseGenericTicket, parseZendeskTicketEvent, TicketPayloadError, type ParsedTicketDelivery,
} from '../../domain/support';
import { supportDetectorWorkflowId, supportTicketSignal, WORKFLOW_TYPES, type SupportDetectorInput } from '../../workflows/contract';
import type { RoutePlugin } from '../app';
import { bearerToken, safeEqual, tokenMatches } from '../auth';
import { HttpProblem, problemSchema, sendProblem } from '../problem';
import { countRejections } from './common';

/** Zendesk's scheme: base64 HMAC-SHA256 over timestamp + body, compared in constant time. */
export function verifyZendeskSignature(rawBody: string, signature: string | undefined, timestamp: string | undefined, secret: string): boolean {
  if (!signature || !timestamp) return false;
  const expected = createHmac('sha256', secret).update(timestamp + rawBody, 'utf8').digest('base64');
  return safeEqual(signature.trim(), expected);
}

const answerSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['accepted', 'duplicate', 'ignored'] },
    deliveryId: { type: 'string' },
    components: { type: 'array', items: { type: 'string' }, description: 'Component keys the ticket was matched to.' },
    workflowIds: { type: 'array', items: { type: 'string' }, description: 'The spike detectors that received it (support-detector:<component>).' },
    reason: { type: 'string' },
  },
  required: ['status'],
} as const;

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export const supportWebhook: RoutePlugin = async (app, deps) => {
  countRejections(app, deps, 'support');
  const { config, db, temporal, metrics } = deps;

  app.post<{ Body: unknown }>('/api/webhooks/support', {
    bodyLimit: config.api.bodyLimitBytes,
    schema: {
      tags: ['webhooks'],
      summary: 'Support tickets (Zendesk ticket created, or a generic ticket)',
      description: 'Zendesk: a webhook subscribed to zen:event-type:ticket.created, signed (ZENDESK_WEBHOOK_SECRET) or with bearer-token '
        + 'authentication. Other helpdesks: `{ ticketId, customerExternalId, subject, tags, createdAt }` with `Authorization: Bearer '
        + '<SUPPORT_WEBHOOK_TOKEN or an API token>`. Tickets matched to no component are recorded and ignored.',
      security: [{ bearer: [] }],
      headers: {
        type: 'object',
        properties: { 'x-zendesk-webhook-signature': { type: 'string' }, 'x-zendesk-webhook-signature-timestamp': { type: 'string' } },
      },
      body: {
        type: 'object',
        description: 'A Zendesk event `{ type, id, detail: { id, subject, tags, organization_id, requester_id, created_at } }` '
          + 'or `{ ticketId, customerExternalId, subject, tags, createdAt }`.',
      },
      response: { 200: answerSchema, 202: answerSchema, 400: problemSchema, 401: problemSchema, 413: problemSchema, 415: problemSchema, 503: problemSchema },
    },
    preValidation: async (req, reply) => {
      const signature = header(req.headers['x-zendesk-webhook-signature']);
      if (signature !== undefined) {
        const secret = config.support.zendeskWebhookSecret;
        if (!secret) {
          req.log.error('Zendesk-signed delivery refused: ZENDESK_WEBHOOK_SECRET is not set');
          return sendProblem(reply, 401, 'Unauthorized', 'X-Zendesk-Webhook-Signature cannot be verified: ZENDESK_WEBHOOK_SECRET is not configured.');
        }
        const timestamp = header(req.headers['x-zendesk-webhook-signature-timestamp']);
        if (!verifyZendeskSignature(req.rawBody ?? '', signature, timestamp, secret)) {
          req.log.warn({ hasTimestamp: Boolean(timestamp) }, 'Zendesk delivery with a bad signature');
          return sendProblem(reply, 401, 'Unauthorized', timestamp
            ? 'X-Zendesk-Webhook-Signature does not match ZENDESK_WEBHOOK_SECRET (or the body was altered).'
            : 'X-Zendesk-Webhook-Signature-Timestamp is missing.');
        }
        return;
      }
      const tokens = [config.support.webhookToken, ...config.api.tokens].filter((t): t is string => Boolean(t));
      if (!tokenMatches(bearerToken(req), tokens)) {
        req.log.info('support delivery without a valid token');
        return sendProblem(reply.header('www-authenticate', 'Bearer'), 401, 'Unauthorized',
          'Sign the request as Zendesk (X-Zendesk-Webhook-Signature) or send "Authorization: Bearer <SUPPORT_WEBHOOK_TOKEN or an API token>".');
      }
    },
  }, async (req, reply) => {
    let parsed: ParsedTicketDelivery;
    try {
      parsed = isZendeskEvent(req.body) ? parseZendeskTicketEvent(req.body) : parseGenericTicket(req.body);
    } catch (err) {
      if (err instanceof TicketPayloadError) throw new HttpProblem(400, 'Invalid ticket', err.message, err.errors);
      throw err;
    }
    const { deliveryId } = parsed;
    const where = { source: 'support', deliveryId };
    const record = async (status: string, fields: { workflow_id?: string | null; error?: string | null } = {}) => {
      await db.updateTable('webhook_deliveries').set({ status, processed_at: new Date(), ...fields })
        .where('source', '=', where.source).where('delivery_id', '=', where.deliveryId).execute();
      metrics.webhooks.inc({ source: 'support', outcome: status === 'failed' ? 'unavailable' : status });
    };

    const inserted = await db.insertInto('webhook_deliveries')
      .values({
        source: 'support', delivery_id: deliveryId, raw_body: req.rawBody ?? '', status: 'received',
        headers: JSON.stringify({ 'user-agent': req.headers['user-agent'], 'x-zendesk-webhook-id': req.headers['x-zendesk-webhook-id'] }),
      })
      .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const existing = await db.selectFrom('webhook_deliveries').select(['status', 'workflow_id'])
        .where('source', '=', 'support').where('delivery_id', '=', deliveryId).executeTakeFirstOrThrow();
      if (existing.status === 'forwarded' || existing.status === 'ignored') {
        metrics.webhooks.inc({ source: 'support', outcome: 'duplicate' });
        return reply.code(200).send({ status: 'duplicate', deliveryId, workflowIds: existing.workflow_id ? existing.workflow_id.split(',') : [] });
      }
    }

    if (parsed.kind === 'ignored') {
      await record('ignored', { error: parsed.reason });
      return reply.code(200).send({ status: 'ignored', deliveryId, reason: parsed.reason });
    }
    const { ticket } = parsed;
    const components = matchTicketComponents(ticket, await supportMatchRules(db));
    if (components.length === 0) {
      const reason = 'matched no component: give components ticket_tags or ticket_keywords that this ticket carries';
      req.log.info({ ticketId: ticket.ticketId, tags: ticket.tags }, 'support ticket matched no component');
      await record('ignored', { error: reason });
      return reply.code(200).send({ status: 'ignored', deliveryId, components: [], reason });
    }

    const workflowIds: string[] = [];
    try {
      for (const componentKey of components) {
        const workflowId = supportDetectorWorkflowId(componentKey);
        const input: SupportDetectorInput = { componentKey, threshold: config.support.threshold, windowMinutes: config.support.windowMinutes };
        // Helpdesks time out too: give up early and answer 503 so they retry.
        await temporal.connection.withDeadline(Date.now() + 3000, () => temporal.workflow.signalWithStart(WORKFLOW_TYPES.supportDetector, {
          workflowId,
          taskQueue: config.temporal.taskQueue,
          args: [input],
          signal: supportTicketSignal,
          signalArgs: [{ ...ticket, components }],
        }));
        workflowIds.push(workflowId);
      }
    } catch (err) {
      req.log.warn({ err, deliveryId }, 'Temporal unreachable; support delivery kept for retry');
      await record('failed', { error: String(err) });
      throw new HttpProblem(503, 'Service Unavailable', 'The ticket is recorded but could not be passed to the spike detector; retry later.');
    }
    await record('forwarded', { workflow_id: workflowIds.join(','), error: null });
    req.log.info({ ticketId: ticket.ticketId, components }, 'support ticket forwarded to spike detectors');
    return reply.code(202).send({ status: 'accepted', deliveryId, components, workflowIds });
  });
};
