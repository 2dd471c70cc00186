/** GET /api/audit: who did what, newest first, filterable by actor, action and incident. */
import { listAudit, type AuditFilter } from '../../db/audit';
import { ACTOR_KINDS } from '../../domain/actor';
import type { RoutePlugin } from '../app';
import { requireAuth } from '../auth';
import { problemSchema } from '../problem';
import { authErrors } from './schemas';

export const auditEntrySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    actor: {
      type: 'object',
      properties: { kind: { type: 'string', enum: [...ACTOR_KINDS] }, id: { type: 'string' }, name: { type: 'string', description: 'Name, with the email in angle brackets when known.' } },
    },
    action: { type: 'string', example: 'outreach.changed' },
    incidentId: { type: 'string', format: 'uuid', nullable: true },
    target: { type: 'string', nullable: true, description: 'What was acted on besides the incident: a customer id, a token id, a CSM email.' },
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

export const auditRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', requireAuth());

  app.get<{ Querystring: AuditFilter }>('/api/audit', {
    schema: {
      tags: ['audit'],
      summary: 'The audit log: every change with who made it',
      description: 'Newest first. Page with `before` = the `nextBefore` of the previous page.',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          actor: { type: 'string', minLength: 1, maxLength: 320, description: "An actor's id, name or email." },
          actorKind: { type: 'string', enum: [...ACTOR_KINDS] },
          action: { type: 'string', minLength: 1, maxLength: 100, description: 'e.g. outreach.changed, token.created, session.signed_in' },
          incidentId: { type: 'string', format: 'uuid' },
          before: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
          limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            items: { type: 'array', items: auditEntrySchema },
            nextBefore: { type: 'integer', nullable: true, description: 'Pass as `before` for the next (older) page; null on the last page.' },
          },
        },
        ...authErrors, 403: problemSchema,
      },
    },
  }, async (req) => {
    const items = await listAudit(deps.db, req.query);
    return { items, nextBefore: items.length === req.query.limit ? items[items.length - 1]!.id : null };
  });
};
