/**
 * POST /api/webhooks/incidents — the product spec's incident body, from any tool, with an API token.
 * Component values must be Forewarn component keys (or aliases registered for source `generic`);
 * an unknown one is refused with 422 so the sender learns about the typo instead of alerting nobody.
 * Delivery id: the `Idempotency-Key` header, else a hash of the body (the same post twice changes nothing).
 */
import { createHash } from 'node:crypto';
import { resolveComponentKeysOrAliases } from '../../db/aliases';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import { EVENT_STATUSES, SEVERITIES, type IncidentEvent, type IncidentSource } from '../../domain/types';
import { GenericInputError, normalizeGeneric, type GenericIncidentBody } from '../../domain/sources/generic';
import { incidentWorkflowId } from '../../workflows/contract';
import type { RoutePlugin } from '../app';
import { requireAuth } from '../auth';
import { HttpProblem, problemSchema } from '../problem';
import { answerBy, ingestDelivery, requestDeadline } from './ingest';
import { acceptedBody, acceptedSchema, countRejections, webhookErrorResponses } from './common';

export const genericIncidentSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'title', 'status', 'severity', 'affectedComponents', 'startedAt'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 200, pattern: '^\\S(.*\\S)?$', description: "The incident's id in the sending tool." },
    title: { type: 'string', minLength: 1, maxLength: 500 },
    status: { type: 'string', enum: [...EVENT_STATUSES] },
    severity: { type: 'string', enum: [...SEVERITIES] },
    affectedComponents: {
      type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 200 },
      description: 'Forewarn component keys (or aliases registered for source "generic").',
    },
    startedAt: { type: 'string', format: 'date-time' },
    resolvedAt: { type: 'string', format: 'date-time', nullable: true },
    description: { type: 'string', maxLength: 20000 },
    affectedRegions: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 100 } },
    statusPageUrl: { type: 'string', format: 'uri', maxLength: 2000 },
    message: { type: 'string', maxLength: 20000, description: 'The latest public update text.' },
    resolutionNote: { type: 'string', maxLength: 20000, description: 'How it was resolved (the resolution DM\'s "Resolution:" line; cut to 500 characters).' },
    postMortemUrl: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2000, description: 'The post-mortem, once written: "View Post-Mortem" appears only with one.' },
    owner: { type: 'string', format: 'email', maxLength: 320, description: 'Who owns the incident: asked for the post-mortem 3 days after resolution when there is none.' },
    updatedAt: { type: 'string', format: 'date-time', description: 'When this state was true; older posts than the last applied one change nothing. Default: receipt time.' },
  },
} as const;

/**
 * The event of a generic body: component values resolved (unknown ones refused with 422, naming the
 * known keys), then normalized. Shared with declaring an incident by hand (api/routes/incident-actions.ts).
 */
export async function genericEvent(
  db: Kysely<Database>, body: GenericIncidentBody, ctx: { deliveryId: string; receivedAt: string; source?: IncidentSource; actor?: string },
): Promise<IncidentEvent> {
  const resolution = await resolveComponentKeysOrAliases(db, 'generic', body.affectedComponents);
  if (resolution.unknown.length > 0) {
    const known = await db.selectFrom('components').select('key').orderBy('key').limit(30).execute();
    const errors = resolution.unknown.map((value) => ({
      path: `body/affectedComponents/${body.affectedComponents.findIndex((c) => c.trim().toLowerCase() === value.toLowerCase())}`,
      message: `unknown component "${value}"`,
    }));
    throw new HttpProblem(422, 'Unknown component',
      `affectedComponents names ${resolution.unknown.map((u) => `"${u}"`).join(', ')}, which ${resolution.unknown.length === 1 ? 'is' : 'are'} not a component key or a "generic" alias. `
      + (known.length ? `Known components: ${known.map((k) => k.key).join(', ')}.` : 'No components are imported yet: POST /api/import first.'),
      errors);
  }
  try {
    return normalizeGeneric(body, { ...ctx, components: resolution.keys });
  } catch (err) {
    if (err instanceof GenericInputError) throw new HttpProblem(422, 'Invalid incident', err.message, [{ path: err.path, message: err.message }]);
    throw err;
  }
}

export const genericWebhook: RoutePlugin = async (app, deps) => {
  countRejections(app, deps, 'generic');
  app.post<{ Body: GenericIncidentBody }>('/api/webhooks/incidents', {
    bodyLimit: deps.config.api.bodyLimitBytes,
    schema: {
      tags: ['webhooks'],
      summary: 'Report an incident (generic JSON)',
      description: 'Starts or updates the incident workflow for `id`. Authenticated with an API token with the `webhooks` scope (or an API_TOKENS token). Answers 202 once the event is recorded and forwarded.',
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 200 } } },
      body: genericIncidentSchema,
      response: { 202: acceptedSchema, ...webhookErrorResponses, 403: problemSchema },
    },
    // Before the body is validated: a caller without a token learns nothing about the schema.
    onRequest: requireAuth({ scope: 'webhooks' }),
  }, async (req, reply) => {
    const deadline = requestDeadline(reply);
    return answerBy(req, reply, async () => {
      const body = req.body;
      const idempotencyKey = (req.headers['idempotency-key'] as string | undefined)?.trim();
      const deliveryId = idempotencyKey || `sha256:${createHash('sha256').update(req.rawBody ?? JSON.stringify(body)).digest('hex')}`;
      const event = await genericEvent(deps.db, body, { deliveryId, receivedAt: new Date().toISOString() });
      const result = await ingestDelivery(deps.ingestDeps(req.log, deadline), {
        source: 'generic', deliveryId, rawBody: req.rawBody ?? JSON.stringify(body), headers: { 'idempotency-key': idempotencyKey },
      }, [event]);
      const workflowId = result.workflowIds[0] ?? incidentWorkflowId('generic', body.id);
      return { code: 202, body: await acceptedBody(deps.db, workflowId, result) };
    }, deps.track);
  });
};
