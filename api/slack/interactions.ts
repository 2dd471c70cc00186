/**
 * Slack interactivity: POST /api/slack/interactions (button clicks, `block_actions`) and
 * POST /api/slack/commands (the `/forewarn` slash command). Both verify Slack's signature over the
 * raw form body first. Buttons are answered at once with an empty 200 (Slack waits 3 s at most);
 * the workflow call runs afterwards and its outcome reaches the user through the response_url —
 * the alert gets a line ("Acknowledged by @ana"), or the user an ephemeral note.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RoutePlugin } from '../app';
import { HttpProblem, sendProblem, problemSchema } from '../problem';
import { performAction, postToResponseUrl, responseUrlAllowed, type SlackBlockAction } from './button-actions';
import { runSlashCommand } from './commands';
import { slackUserActor } from './button-actions';
import { manualDeliveryId } from '../incident-actions';
import { setPostMortem } from '../post-mortem';
import { findCsm } from '../../db/incident-queries';
import { escapeMrkdwn } from '../../domain/messages/format';
import { verifySlackRequest } from './verify';
import { findUnstorableText } from '../../domain/text';
import { incidentSettings } from '../../config';
import { requestDeadline } from '../webhooks/ingest';

interface BlockActionsPayload {
  type: string;
  user?: { id?: string; username?: string; name?: string };
  response_url?: string;
  message?: { text?: string; blocks?: unknown[] };
  actions?: SlackBlockAction[];
}

// OpenAPI 3.0 wants `required` absent rather than empty.
const formBody = (required: string[], properties: Record<string, unknown>) => ({
  type: 'object', ...(required.length ? { required } : {}), properties, additionalProperties: { type: 'string' },
});

export const slackRoutes: RoutePlugin = async (app, deps) => {
  // Button work still running when the server closes is awaited, so a click is never half done.
  const inFlight = new Set<Promise<void>>();
  app.addHook('onClose', async () => { await Promise.allSettled([...inFlight]); });

  const verify = async (req: FastifyRequest, reply: FastifyReply) => {
    const result = verifySlackRequest({
      signingSecret: deps.config.slack.signingSecret,
      timestamp: req.headers['x-slack-request-timestamp'] as string | undefined,
      signature: req.headers['x-slack-signature'] as string | undefined,
      rawBody: req.rawBody ?? '',
      nowMs: Date.now(),
    });
    if (!result.ok) {
      req.log.warn({ reason: result.reason }, 'Slack request refused');
      return sendProblem(reply, 401, 'Unauthorized', result.reason);
    }
  };
  const slackHeaders = {
    type: 'object',
    properties: { 'x-slack-signature': { type: 'string' }, 'x-slack-request-timestamp': { type: 'string' } },
  };

  app.post<{ Body: { payload: string } }>('/api/slack/interactions', {
    bodyLimit: deps.config.api.bodyLimitBytes,
    schema: {
      tags: ['slack'],
      summary: 'Slack interactivity (button clicks)',
      description: 'Signed by Slack (SLACK_SIGNING_SECRET). Form field `payload` holds the block_actions JSON. '
        + 'Answers 200 at once; the result is posted to the response_url.',
      security: [],
      headers: slackHeaders,
      consumes: ['application/x-www-form-urlencoded'],
      body: formBody(['payload'], { payload: { type: 'string', description: 'JSON interaction payload' } }),
      response: { 200: { type: 'null', description: 'Acknowledged' }, 400: problemSchema, 401: problemSchema },
    },
    preValidation: verify,
  }, async (req, reply) => {
    let payload: BlockActionsPayload;
    try {
      payload = JSON.parse(req.body.payload);
    } catch (err) {
      return sendProblem(reply, 400, 'Invalid request', `payload is not valid JSON: ${(err as Error).message}`, [{ path: 'body/payload', message: 'is not JSON' }]);
    }
    const unstorable = findUnstorableText(payload, 'body/payload');
    if (unstorable.length) return sendProblem(reply, 400, 'Invalid text', unstorable.map((e) => `${e.path} ${e.message}`).join('; '), unstorable);
    if (payload?.type !== 'block_actions') {
      req.log.info({ type: payload?.type }, 'Slack interaction type not used by Forewarn');
      return reply.code(200).send();
    }
    const userId = payload.user?.id;
    if (!userId || !Array.isArray(payload.actions)) {
      return sendProblem(reply, 400, 'Invalid request', 'block_actions payload needs user.id and actions.', [{ path: 'body/payload', message: 'missing user.id or actions' }]);
    }
    const log = req.log;
    const work = (async () => {
      for (const element of payload.actions!) {
        const replyMessage = await performAction({
          temporal: deps.temporal, db: deps.db, user: { id: userId, name: payload.user?.username ?? payload.user?.name }, message: payload.message,
        }, element);
        log.info({ actionId: element.action_id, user: userId, replied: Boolean(replyMessage) }, 'Slack button handled');
        if (!replyMessage || !payload.response_url) continue;
        if (!responseUrlAllowed(payload.response_url, deps.config.slack.apiUrl)) {
          log.warn({ responseUrl: payload.response_url }, 'Slack response_url is not a Slack host; reply not sent');
          continue;
        }
        await postToResponseUrl(payload.response_url, replyMessage);
      }
    })().catch((err) => log.warn({ err }, 'Slack button follow-up failed')).finally(() => inFlight.delete(work));
    inFlight.add(work);
    return reply.code(200).send();
  });

  app.post<{ Body: { command?: string; text?: string; user_id: string; user_name?: string; trigger_id?: string; ssl_check?: string } }>('/api/slack/commands', {
    bodyLimit: deps.config.api.bodyLimitBytes,
    schema: {
      tags: ['slack'],
      summary: 'Slack slash command /forewarn',
      description: '`/forewarn status` (open incidents), `/forewarn queue` (your customers waiting for outreach), `/forewarn merge <A> <B>` '
        + '(merge incident B into A), `/forewarn split <A> <source>:<id>` (split a source incident out of A), '
        + '`/forewarn postmortem <incident> <link>` (link an incident\'s post-mortem), `/forewarn help`. Signed by Slack.',
      security: [],
      headers: slackHeaders,
      consumes: ['application/x-www-form-urlencoded'],
      body: formBody([], {
        command: { type: 'string' }, text: { type: 'string' }, user_id: { type: 'string' }, user_name: { type: 'string' }, trigger_id: { type: 'string' }, ssl_check: { type: 'string' },
      }),
      response: {
        200: { type: 'object', properties: { response_type: { type: 'string' }, text: { type: 'string' } } },
        400: problemSchema, 401: problemSchema,
      },
    },
    preValidation: verify,
  }, async (req, reply) => {
    if (req.body.ssl_check) return reply.code(200).send({});
    if (!req.body.user_id) return sendProblem(reply, 400, 'Invalid request', 'user_id is required.', [{ path: 'body/user_id', message: 'is required' }]);
    const userId = req.body.user_id;
    return runSlashCommand(deps.db, {
      text: req.body.text ?? '', userId, userName: req.body.user_name, dashboardUrl: `${deps.config.api.publicBaseUrl}/dashboard`,
      triggerId: req.body.trigger_id,
      // As the Slack user's linked person or CSM; an unlinked Slack user may not change incidents.
      linkPostMortem: async (incident, url) => {
        const csm = await findCsm(deps.db, { slackUserId: userId });
        const actor = await slackUserActor(deps.db, { id: userId, name: req.body.user_name }, csm && { email: csm.email, name: csm.name });
        if (!actor.role) return 'Your Slack account is not linked to a CSM or person in Forewarn, so it cannot link post-mortems.';
        try {
          const done = await setPostMortem(deps.ingestDeps(req.log, Date.now() + 2000), incident, url, { actor, deliveryId: manualDeliveryId(undefined) });
          return `:memo: Post-mortem of *${escapeMrkdwn(incident.title)}* linked: ${done.postMortem.url}`;
        } catch (err) {
          if (err instanceof HttpProblem && err.status < 500) return `:warning: ${err.message}`;
          throw err;
        }
      },
    }, { db: deps.db, temporal: deps.temporal, taskQueue: deps.config.temporal.taskQueue, settings: incidentSettings(deps.config), log: req.log },
    deps.ingestDeps(req.log, requestDeadline(reply)));
  });
};
