/**
 * POST /api/webhooks/support — customer-reported issues.
 * Two bodies, two ways to authenticate:
 * - a Zendesk ticket event (`zen:event-type:ticket.created`), signed with `X-Zendesk-Webhook-Signature`
 *   = base64(HMAC-SHA256(secret, X-Zendesk-Webhook-Signature-Timestamp + raw body)) when ZENDESK_WEBHOOK_SECRET is
 *   set (https://developer.zendesk.com/documentation/webhooks/verifying/);
 * - any helpdesk's `{ ticketId, customerExternalId, subject, tags, createdAt }`, or a Zendesk event without a
 *   signature, with `Authorization: Bearer <SUPPORT_WEBHOOK_TOKEN or one of API_TOKENS>`.
 * The delivery is recorded, the ticket stored with its customer and time (escalation metric), the ticket matched to components by their ticket tags and keywords, and each
 * matched component's spike detector gets it (signalWithStart). Deciding whether it is an incident is the
 * detector's job, so this answers fast.
 */
import { createHmac } from 'node:crypto';
import { supportMatchRules } from '../../db/detection';
import { recordSupportTicket } from '../../db/support-tickets';
import {
  isZendeskEvent, matchTicketComponents, parseGenericTicket, parseZendeskTicketEvent, TicketPayloadError, type ParsedTicketDelivery,
} from '../../domain/support';
import { supportDetectorWorkflowId, supportTicketSignal, WORKFLOW_TYPES, type SupportDetectorInput } from '../../workflows/contract';
import type { RoutePlugin } from '../app';
import { bearerToken, safeEqual, tokenMatches } from '../auth';
import { HttpProblem, problemSchema, sendProblem } from '../problem';
import { countRejections } from './common';
import { answerBy, forwardFromApi, requestDeadline } from './ingest';

/** Zendesk's scheme: base64 HMAC-SHA256 over timestamp + body, compared in constant time. */
export function verifyZendeskSignature(rawBody: string, signature: string | undefined, timestamp: string | undefined, secret: string): boolean {
  if (!signature || !timestamp) return false;
  const expected = createHmac('sha256', secret).update(timestamp + rawBody, 'utf8').digest('base64');
  return safeEqual(signature.trim(), expected);
}

/** Like Slack's: a signed request older (or newer) than this is a replay and is refused. */
export const ZENDESK_SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

/** Zendesk sends an ISO 8601 time; epoch seconds are accepted too. True when it is within the window of now. */
export function zendeskTimestampFresh(timestamp: string, nowMs: number): boolean {
  const t = timestamp.trim();
  const ms = /^\d{9,11}$/.test(t) ? Number(t) * 1000 : Date.parse(t);
  return Number.isFinite(ms) && Math.abs(nowMs - ms) <= ZENDESK_SIGNATURE_WINDOW_MS;
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
        if (!zendeskTimestampFresh(timestamp!, Date.now())) {
          req.log.warn({ timestamp }, 'Zendesk delivery with a stale signature timestamp');
          return sendProblem(reply, 401, 'Unauthorized',
            'X-Zendesk-Webhook-Signature-Timestamp is more than 5 minutes from now: a replayed or delayed delivery is refused.');
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
    const deadline = requestDeadline(reply);
    const ticketDelivery = parsed;
    return answerBy(req, reply, async () => {
      const forwardDeps = { db, temporal, log: req.log, metrics: metrics.webhooks, deadline, track: deps.track };
      const delivery = {
        source: 'support', deliveryId, rawBody: req.rawBody ?? '',
        headers: { 'user-agent': req.headers['user-agent'], 'x-zendesk-webhook-id': req.headers['x-zendesk-webhook-id'] },
      };
      if (ticketDelivery.kind === 'ignored') {
        const result = await forwardFromApi(forwardDeps, delivery, [], { ignoredReason: ticketDelivery.reason });
        return result.status === 'duplicate'
          ? { code: 200, body: { status: 'duplicate', deliveryId, workflowIds: result.workflowIds } }
          : { code: 200, body: { status: 'ignored', deliveryId, reason: ticketDelivery.reason } };
      }
      const { ticket } = ticketDelivery;
      // Every ticket counts for the escalation metric, whether or not it matches a component.
      await recordSupportTicket(db, ticket);
      const components = matchTicketComponents(ticket, await supportMatchRules(db));
      if (components.length === 0) {
        const reason = 'matched no component: give components ticket_tags or ticket_keywords that this ticket carries';
        req.log.info({ ticketId: ticket.ticketId, tags: ticket.tags }, 'support ticket matched no component');
        const result = await forwardFromApi(forwardDeps, delivery, [], { ignoredReason: reason });
        return result.status === 'duplicate'
          ? { code: 200, body: { status: 'duplicate', deliveryId, workflowIds: result.workflowIds } }
          : { code: 200, body: { status: 'ignored', deliveryId, components: [], reason } };
      }
      const starts = components.map((componentKey) => {
        const input: SupportDetectorInput = { componentKey, threshold: config.support.threshold, windowMinutes: config.support.windowMinutes };
        return {
          workflowType: WORKFLOW_TYPES.supportDetector,
          options: {
            workflowId: supportDetectorWorkflowId(componentKey), taskQueue: config.temporal.taskQueue, args: [input],
            signal: supportTicketSignal, signalArgs: [{ ...ticket, components }],
          },
        };
      });
      const result = await forwardFromApi(forwardDeps, delivery, starts);
      if (result.status === 'duplicate') return { code: 200, body: { status: 'duplicate', deliveryId, workflowIds: result.workflowIds } };
      req.log.info({ ticketId: ticket.ticketId, components }, 'support ticket forwarded to spike detectors');
      return { code: 202, body: { status: 'accepted', deliveryId, components, workflowIds: result.workflowIds } };
    }, deps.track);
  });
};
