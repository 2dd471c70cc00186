/**
 * POST /api/webhooks/pagerduty — PagerDuty Webhooks V3.
 * Verified before anything else: `X-PagerDuty-Signature` holds one or more `v1=<hex HMAC-SHA256 of the raw
 * body>` (several while a secret rotates); any secret in PAGERDUTY_WEBHOOK_SECRETS may match.
 * Handled event types become incident events; every other type is recorded and answered 2xx so PagerDuty
 * does not retry or disable the subscription. PagerDuty gives up after 5 s: the work here is one alias
 * query and one signalWithStart (with its own deadline).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { resolveComponentAliases } from '../../db/aliases';
import {
  isHandledPagerDutyEvent, normalizePagerDuty, pagerdutyComponentLookups, pagerdutyIncidentId, type PagerDutyEnvelope,
} from '../../domain/sources/pagerduty';
import { incidentWorkflowId } from '../../workflows/contract';
import type { RoutePlugin } from '../app';
import { sendProblem } from '../problem';
import { answerBy, ingestDelivery, requestDeadline } from './ingest';
import { acceptedBody, acceptedSchema, countRejections, webhookErrorResponses } from './common';

/** True when any `v1=` signature in the header matches the body under any secret (constant-time per comparison). */
export function verifyPagerDutySignature(rawBody: string, header: string | undefined, secrets: string[]): boolean {
  if (!header || secrets.length === 0) return false;
  const provided = header.split(',').map((s) => s.trim()).filter((s) => s.startsWith('v1=')).map((s) => s.slice(3))
    .filter((hex) => /^[0-9a-f]{64}$/i.test(hex)).map((hex) => Buffer.from(hex.toLowerCase(), 'hex'));
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(rawBody, 'utf8').digest();
    for (const sig of provided) ok = timingSafeEqual(expected, sig) || ok;
  }
  return ok;
}

const envelopeSchema = {
  type: 'object',
  required: ['event'],
  properties: {
    event: {
      type: 'object',
      required: ['id', 'event_type', 'occurred_at', 'data'],
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 200 },
        event_type: { type: 'string', minLength: 1 },
        resource_type: { type: 'string' },
        occurred_at: { type: 'string', format: 'date-time' },
        agent: { type: 'object', nullable: true },
        data: { type: 'object' },
      },
    },
  },
} as const;

export const pagerdutyWebhook: RoutePlugin = async (app, deps) => {
  countRejections(app, deps, 'pagerduty');
  app.post<{ Body: PagerDutyEnvelope }>('/api/webhooks/pagerduty', {
    bodyLimit: deps.config.api.bodyLimitBytes,
    schema: {
      tags: ['webhooks'],
      summary: 'PagerDuty Webhooks V3',
      description: 'Signed with X-PagerDuty-Signature (PAGERDUTY_WEBHOOK_SECRETS). Handles incident.triggered, acknowledged, '
        + 'priority_updated, escalated, annotated, reopened and resolved; other event types are recorded and ignored (2xx).',
      security: [],
      headers: { type: 'object', properties: { 'x-pagerduty-signature': { type: 'string' } } },
      body: envelopeSchema,
      response: { 200: acceptedSchema, 202: acceptedSchema, ...webhookErrorResponses },
    },
    // After parsing (the raw body is needed), before validation: unsigned requests learn nothing.
    preValidation: async (req, reply) => {
      const secrets = deps.config.pagerduty.webhookSecrets;
      if (secrets.length === 0) {
        req.log.error('PagerDuty delivery refused: PAGERDUTY_WEBHOOK_SECRETS is not set');
        return sendProblem(reply, 401, 'Unauthorized', 'PagerDuty signatures cannot be verified: PAGERDUTY_WEBHOOK_SECRETS is not configured.');
      }
      const header = req.headers['x-pagerduty-signature'] as string | undefined;
      if (!verifyPagerDutySignature(req.rawBody ?? '', header, secrets)) {
        req.log.warn({ hasHeader: Boolean(header) }, 'PagerDuty delivery with a bad signature');
        return sendProblem(reply, 401, 'Unauthorized', header
          ? 'X-PagerDuty-Signature matches none of the configured secrets (or the body was altered).'
          : 'X-PagerDuty-Signature is missing.');
      }
    },
  }, async (req, reply) => {
    const deadline = requestDeadline(reply);
    return answerBy(req, reply, async () => {
      const envelope = req.body;
      const { event } = envelope;
      const ingest = deps.ingestDeps(req.log, deadline);
      const delivery = { source: 'pagerduty', deliveryId: event.id, rawBody: req.rawBody ?? '', headers: pickHeaders(req.headers) };
      const incidentId = pagerdutyIncidentId(envelope);
      if (!isHandledPagerDutyEvent(event.event_type) || !incidentId) {
        const reason = isHandledPagerDutyEvent(event.event_type) ? 'the event names no incident' : `event type ${event.event_type} is not used by Forewarn`;
        await ingestDelivery(ingest, delivery, [], { ignoredReason: reason });
        return { code: 200, body: { status: 'ignored', reason } };
      }
      const lookups = pagerdutyComponentLookups(envelope);
      const { keys } = await resolveComponentAliases(deps.db, 'pagerduty', lookups);
      const normalized = normalizePagerDuty(envelope, { components: keys, ...deps.config.pagerduty })!;
      if (event.event_type === 'incident.triggered' && lookups.length > 0 && keys.length === 0) {
        req.log.warn({ service: lookups }, 'PagerDuty service is not mapped to any component');
        normalized.note = `PagerDuty service ${lookups.join(' / ')} is not mapped to a Forewarn component: add a "pagerduty" alias to see affected customers.`;
      }
      const result = await ingestDelivery(ingest, delivery, [normalized]);
      return { code: 202, body: await acceptedBody(deps.db, result.workflowIds[0] ?? incidentWorkflowId('pagerduty', incidentId), result) };
    }, deps.track);
  });
};

function pickHeaders(h: Record<string, unknown>) {
  return { 'x-webhook-id': h['x-webhook-id'], 'x-webhook-subscription': h['x-webhook-subscription'], 'user-agent': h['user-agent'] };
}
