/**
 * Admin work: API tokens (created, shown once, revoked) and people's admin-managed flags (admin,
 * may approve templates). Every change is on the audit log.
 */
import { recordAudit } from '../../db/audit';
import { createApiToken, listApiTokens, revokeApiToken } from '../../db/api-tokens';
import { listPeople, setPersonFlags } from '../../db/people';
import { ROLES, TOKEN_SCOPES, type TokenScope } from '../../domain/actor';
import type { RoutePlugin } from '../app';
import { actorOf, requireAuth } from '../auth';
import { HttpProblem, problemSchema } from '../problem';
import { assertAdmin } from '../roles';
import { authErrors } from './schemas';

const dateTime = { type: 'string', format: 'date-time' } as const;
const uuidParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

export const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    prefix: { type: 'string', description: 'The first characters of the token, to recognise it.' },
    scopes: { type: 'array', items: { type: 'string', enum: [...TOKEN_SCOPES] } },
    person: { type: 'object', nullable: true, properties: { id: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } } },
    createdBy: { type: 'string' }, createdAt: dateTime,
    lastUsedAt: { ...dateTime, nullable: true }, revokedAt: { ...dateTime, nullable: true },
  },
} as const;

const personSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' }, email: { type: 'string' }, name: { type: 'string' }, slackUserId: { type: 'string', nullable: true },
    role: { type: 'string', enum: [...ROLES], nullable: true, description: 'From the CSM records (manager, CSM) or the admin flag; null: no longer either.' },
    isAdmin: { type: 'boolean' }, canApproveTemplates: { type: 'boolean' }, lastSignInAt: { ...dateTime, nullable: true },
  },
} as const;

const adminErrors = { ...authErrors, 403: problemSchema } as const;

export const tokenRoutes: RoutePlugin = async (app, deps) => {
  const { db } = deps;
  app.addHook('onRequest', requireAuth());
  app.addHook('onRequest', async (req) => assertAdmin(actorOf(req), 'manage API tokens and people'));

  app.get('/api/tokens', {
    schema: { tags: ['admin'], summary: 'API tokens (never the tokens themselves)', response: { 200: { type: 'object', properties: { items: { type: 'array', items: tokenSchema } } }, ...adminErrors } },
  }, async () => ({ items: await listApiTokens(db) }));

  app.post<{ Body: { name: string; scopes: TokenScope[]; personId?: string } }>('/api/tokens', {
    schema: {
      tags: ['admin'], summary: 'Create an API token; the answer is the only time it is shown',
      description: 'For a person (`personId`: the token acts as that person, within its scopes and their role) or for an integration (no person: its scopes alone).',
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'scopes'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' },
          scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...TOKEN_SCOPES] } },
          personId: { type: 'string', format: 'uuid' },
        },
      },
      response: { 201: { ...tokenSchema, properties: { ...tokenSchema.properties, token: { type: 'string', description: 'Send as "Authorization: Bearer <token>". Stored only as a hash.' } } }, ...adminErrors, 422: problemSchema },
    },
  }, async (req, reply) => {
    const actor = actorOf(req);
    const { name, scopes, personId } = req.body;
    if (personId && !await db.selectFrom('people').select('id').where('id', '=', personId).executeTakeFirst()) {
      throw new HttpProblem(422, 'Unknown person', `No person has id ${personId}; people appear once they have signed in.`, [{ path: 'body/personId', message: 'no such person' }]);
    }
    const { token, view } = await createApiToken(db, { name: name.trim(), scopes, personId, createdBy: actor.email ? `${actor.name} <${actor.email}>` : actor.name });
    await recordAudit(db, { actor, action: 'token.created', target: view.id, detail: { name: view.name, scopes, ...(view.person ? { person: view.person.email } : {}) } });
    return reply.code(201).send({ ...view, token });
  });

  app.delete<{ Params: { id: string } }>('/api/tokens/:id', {
    schema: { tags: ['admin'], summary: 'Revoke an API token (at once; revoking twice keeps the first time)', params: uuidParams, response: { 200: tokenSchema, ...adminErrors, 404: problemSchema } },
  }, async (req) => {
    const view = await revokeApiToken(db, req.params.id);
    if (!view) throw new HttpProblem(404, 'Token not found', `No API token has id ${req.params.id}.`);
    await recordAudit(db, { actor: actorOf(req), action: 'token.revoked', target: view.id, detail: { name: view.name } });
    return view;
  });

  app.get('/api/people', {
    schema: { tags: ['admin'], summary: 'People who have signed in, with their role and flags', response: { 200: { type: 'object', properties: { items: { type: 'array', items: personSchema } } }, ...adminErrors } },
  }, async () => ({ items: await listPeople(db) }));

  app.patch<{ Params: { id: string }; Body: { isAdmin?: boolean; canApproveTemplates?: boolean } }>('/api/people/:id', {
    schema: {
      tags: ['admin'], summary: "Change a person's admin flag or their right to approve message templates",
      params: uuidParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { isAdmin: { type: 'boolean' }, canApproveTemplates: { type: 'boolean' } } },
      response: { 200: personSchema, ...adminErrors, 404: problemSchema, 409: problemSchema },
    },
  }, async (req) => {
    const actor = actorOf(req);
    if (req.body.isAdmin === false && actor.kind === 'person' && actor.id === req.params.id) {
      throw new HttpProblem(409, 'Not possible', 'An admin cannot take away their own admin right; ask another admin.');
    }
    const person = await setPersonFlags(db, req.params.id, req.body);
    if (!person) throw new HttpProblem(404, 'Person not found', `No person has id ${req.params.id}.`);
    await recordAudit(db, { actor, action: 'person.updated', target: person.email, detail: { ...req.body } });
    return (await listPeople(db)).find((p) => p.id === person.id)!;
  });
};
