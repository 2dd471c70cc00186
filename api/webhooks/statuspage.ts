/**
 * POST /api/webhooks/statuspage/:token — Statuspage webhook notifications.
 * Statuspage signs nothing, so the subscription URL carries a secret (STATUSPAGE_WEBHOOK_TOKEN); a wrong or
 * missing token gets the same 404 as an unknown route. Incident updates become incident events under the
 * delivery id `<incident id>@<updated_at>` — the one the status-page sync uses — so an update that arrives
 * both ways is applied once. Component status changes carry no incident: recorded and ignored (2xx).
 */
import { statuspageAliasMap } from '../../db/detection';
import {
  normalizeStatuspageIncident, parseStatuspageWebhook, statuspageComponentIds, statuspageDeliveryId, StatuspagePayloadError,
} from '../../domain/sources/statuspage';
import { incidentWorkflowId } from '../../workflows/contract';
import type { RoutePlugin } from '../app';
import { safeEqual } from '../auth';
import { HttpProblem, problemSchema, sendProblem } from '../problem';
import { acceptedBody, acceptedSchema, countRejections, webhookErrorResponses } from './common';
import { answerBy, ingestDelivery, requestDeadline } from './ingest';

export const statuspageWebhook: RoutePlugin = async (app, deps) => {
  countRejections(app, deps, 'statuspage');
  app.post<{ Params: { token: string }; Body: unknown }>('/api/webhooks/statuspage/:token', {
    bodyLimit: deps.config.api.bodyLimitBytes,
    schema: {
      tags: ['webhooks'],
      summary: 'Statuspage webhook notifications',
      description: 'Subscribe https://<forewarn>/api/webhooks/statuspage/<STATUSPAGE_WEBHOOK_TOKEN> as a webhook on the status page. '
        + 'Incident create/update notifications become incident events (source "statuspage", external id = Statuspage incident id); '
        + 'component status notifications are recorded and ignored.',
      security: [],
      params: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } },
      body: { type: 'object', description: '`{ meta, page, incident }` or `{ meta, page, component_update, component }`' },
      response: { 200: acceptedSchema, 202: acceptedSchema, 404: problemSchema, ...webhookErrorResponses },
    },
    // Before validation: a caller without the token learns nothing, not even whether its body was valid.
    preValidation: async (req, reply) => {
      const expected = deps.config.statuspage.webhookToken;
      if (!expected || !safeEqual(req.params.token ?? '', expected)) {
        req.log.warn({ configured: Boolean(expected) }, 'Statuspage delivery with a wrong token refused');
        return sendProblem(reply, 404, 'Not Found', 'No route for POST /api/webhooks/statuspage/…');
      }
    },
  }, async (req, reply) => {
    let parsed;
    try {
      parsed = parseStatuspageWebhook(req.body);
    } catch (err) {
      if (err instanceof StatuspagePayloadError) throw new HttpProblem(400, 'Invalid Statuspage notification', err.message, err.errors);
      throw err;
    }
    const deadline = requestDeadline(reply);
    const notification = parsed;
    return answerBy(req, reply, async () => {
      const ingest = deps.ingestDeps(req.log, deadline);
      const headers = { 'user-agent': req.headers['user-agent'], 'content-type': req.headers['content-type'] };
      if (notification.kind === 'component') {
        const reason = `component status change${notification.componentId ? ` of ${notification.componentId}` : ''} without an incident; Forewarn follows incidents`;
        await ingestDelivery(ingest, { source: 'statuspage', deliveryId: `component:${notification.componentUpdateId}`, rawBody: req.rawBody ?? '', headers }, [], { ignoredReason: reason });
        return { code: 200, body: { status: 'ignored', reason } };
      }
      const { incident } = notification;
      const event = normalizeStatuspageIncident(incident, await statuspageAliasMap(deps.db, statuspageComponentIds(incident)));
      const delivery = { source: 'statuspage', deliveryId: statuspageDeliveryId(incident), rawBody: req.rawBody ?? '', headers };
      if (!event) {
        const reason = 'scheduled maintenance that has not started';
        await ingestDelivery(ingest, delivery, [], { ignoredReason: reason });
        return { code: 200, body: { status: 'ignored', reason } };
      }
      const result = await ingestDelivery(ingest, delivery, [event]);
      return { code: 202, body: await acceptedBody(deps.db, result.workflowIds[0] ?? incidentWorkflowId('statuspage', incident.id), result) };
    }, deps.track);
  });
};
