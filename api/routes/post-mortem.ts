/** PUT /api/incidents/:incidentId/post-mortem: link the incident's post-mortem (api/post-mortem.ts). */
import type { RoutePlugin } from '../app';
import { actorOf, requireAuth } from '../auth';
import { manualDeliveryId } from '../incident-actions';
import { POST_MORTEM_URL_MAX, setPostMortem } from '../post-mortem';
import { problemSchema } from '../problem';
import { answerBy, requestDeadline } from '../webhooks/ingest';
import { incidentOr404 } from './incidents';
import { authErrors, incidentIdParams } from './schemas';

export const postMortemRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', requireAuth());

  app.put<{ Params: { incidentId: string }; Body: { url: string; actor?: string } }>('/api/incidents/:incidentId/post-mortem', {
    schema: {
      tags: ['incidents'],
      summary: "Link the incident's post-mortem",
      description: 'Written on the incident at once, then sent to the incident workflow: alerted CSMs get the link in their thread, '
        + '"View Post-Mortem" appears in the messages that follow, and the post-mortem reminder links it instead of asking for it. '
        + 'Setting it again replaces it. Works after Forewarn stopped following the incident too (`forwarded: false`).',
      params: incidentIdParams,
      headers: {
        type: 'object',
        properties: { 'idempotency-key': { type: 'string', maxLength: 200, description: 'A retried request with the same key changes nothing.' } },
      },
      body: {
        type: 'object', additionalProperties: false, required: ['url'],
        properties: {
          url: { type: 'string', format: 'uri', minLength: 1, maxLength: POST_MORTEM_URL_MAX, description: 'An http(s) address.' },
          actor: { type: 'string', minLength: 1, maxLength: 200, description: 'Who the caller acts for (an integration\'s user), beside the authenticated actor.' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            incidentId: { type: 'string', format: 'uuid' },
            postMortem: { type: 'object', properties: { url: { type: 'string' }, setBy: { type: 'string' }, setAt: { type: 'string', format: 'date-time' } } },
            forwarded: { type: 'boolean' },
          },
        },
        ...authErrors, 404: problemSchema, 413: problemSchema, 415: problemSchema, 503: problemSchema,
      },
    },
  }, async (req, reply) => {
    const deadline = requestDeadline(reply);
    return answerBy(req, reply, async () => {
      const incident = await incidentOr404(deps.db, req.params.incidentId);
      const action = {
        actor: actorOf(req), ...(req.body.actor ? { onBehalfOf: req.body.actor } : {}),
        deliveryId: manualDeliveryId(req.headers['idempotency-key'] as string | undefined),
      };
      return { code: 200, body: await setPostMortem(deps.ingestDeps(req.log, deadline), incident, req.body.url, action) };
    }, deps.track);
  });
};
