/**
 * Message templates: versions written, submitted, approved by someone else and then used
 * (domain/messages/template-lifecycle.ts). Saving validates the content (an unknown placeholder is a
 * 400 naming it) and answers a preview for the spec's example incident and a customer. Every move is
 * on the version (who and when) and in the audit log.
 */
import type { Kysely } from 'kysely';
import { actorLabel, type Actor } from '../../domain/actor';
import {
  BODY_MAX, contentProblems, previewTemplate, SUBJECT_MAX, TemplateMoveRefused, type TemplateContent, type TemplateMove,
} from '../../domain/messages/template-lifecycle';
import { TEMPLATE_CHANNELS, TEMPLATE_STAGES, TEMPLATE_STATES, PLACEHOLDER_NAMES } from '../../domain/messages/templates';
import { SEGMENTS, SEVERITIES } from '../../domain/types';
import {
  createDraft, editDraft, listTemplates, moveTemplate, personOf, TemplateConflict, TemplateNotFound, templateVersions,
} from '../../db/templates';
import type { Database } from '../../db/types';
import type { RoutePlugin } from '../app';
import { actorOf, requireAuth } from '../auth';
import { assertMayApproveTemplates } from '../roles';
import { HttpProblem, problemSchema } from '../problem';
import { authErrors } from './schemas';

const KEY_PATTERN = '^[a-z0-9][a-z0-9._-]*$';
// null must be listed too: with an enum, `nullable` alone does not let null through.
const nullableEnum = (values: readonly string[]) => ({ type: 'string', enum: [...values, null], nullable: true }) as const;
const dateTime = { type: 'string', format: 'date-time', nullable: true } as const;

const contentProperties = {
  severity: { ...nullableEnum(SEVERITIES), description: 'null: any severity.' },
  stage: { ...nullableEnum(TEMPLATE_STAGES), description: 'The incident status it speaks for, or follow_up; null: any.' },
  segment: { ...nullableEnum(SEGMENTS), description: "The customer segment it is written for; null: any. A segment's template is used for messages about one customer (emails)." },
  channel: { ...nullableEnum(TEMPLATE_CHANNELS), description: 'slack: the CSM alert\'s approved messaging; email: the customer email; null: both.' },
  components: { type: 'array', maxItems: 50, uniqueItems: true, items: { type: 'string', pattern: KEY_PATTERN, maxLength: 100 }, description: 'Component keys; empty: any.' },
  subject: { type: 'string', nullable: true, minLength: 1, maxLength: SUBJECT_MAX, description: "Email subject; null: Forewarn's default subject." },
  body: { type: 'string', minLength: 1, maxLength: BODY_MAX, description: 'e.g. "We\'re currently experiencing {{incident.title}}. Updates: {{incident.statusPageUrl}}"' },
} as const;

export const templateContentSchema = {
  type: 'object', additionalProperties: false, required: ['body'],
  description: `Placeholders: ${PLACEHOLDER_NAMES.map((n) => `{{${n}}}`).join(', ')}.`,
  properties: contentProperties,
} as const;

const versionSchema = {
  type: 'object',
  properties: {
    key: { type: 'string' }, version: { type: 'integer' }, state: { type: 'string', enum: [...TEMPLATE_STATES] },
    ...contentProperties,
    createdBy: { type: 'string', nullable: true }, createdAt: dateTime, updatedAt: dateTime,
    submittedBy: { type: 'string', nullable: true }, submittedAt: dateTime,
    approvedBy: { type: 'string', nullable: true }, approvedAt: dateTime, activatedAt: dateTime, supersededAt: dateTime,
    returnedBy: { type: 'string', nullable: true }, returnedAt: dateTime, returnReason: { type: 'string', nullable: true },
  },
} as const;

const previewSchema = {
  type: 'object',
  properties: {
    example: { type: 'object', properties: { incident: { type: 'string' }, stage: { type: 'string' }, customer: { type: 'string' }, csm: { type: 'string' } } },
    slack: { type: 'string', description: "The Slack alert's approved messaging (customer details shown as hints)." },
    email: { type: 'object', properties: { subject: { type: 'string' }, text: { type: 'string' } } },
    warnings: { type: 'array', items: { type: 'string' } },
  },
} as const;

const keyParam = { key: { type: 'string', pattern: KEY_PATTERN, minLength: 1, maxLength: 100 } } as const;
const versionParams = {
  type: 'object', required: ['key', 'version'], additionalProperties: false,
  properties: { ...keyParam, version: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } },
} as const;

interface Content {
  severity?: TemplateContent['severity']; stage?: TemplateContent['stage']; segment?: TemplateContent['segment'];
  channel?: TemplateContent['channel']; components?: string[]; subject?: string | null; body: string;
}

function contentOf(body: Content): TemplateContent {
  return {
    severity: body.severity ?? null, stage: body.stage ?? null, segment: body.segment ?? null, channel: body.channel ?? null,
    components: body.components ?? [], subject: body.subject ?? null, body: body.body,
  };
}

/** The name a version's record shows: a person's token names its person; other tokens are told apart by their id. */
function personName(actor: Actor): string {
  return actor.kind === 'token' && !actor.email ? `${actor.name} (${actor.id})` : actorLabel(actor);
}

/** 400 naming every problem (an unknown placeholder by its name), or the content's components unknown. */
async function checkedContent(db: Kysely<Database>, body: Content): Promise<TemplateContent> {
  const content = contentOf(body);
  const problems = contentProblems(content).map((p) => ({ path: `body/${p.path}`, message: p.message }));
  if (content.components.length) {
    const known = new Set((await db.selectFrom('components').select('key').where('key', 'in', content.components).execute()).map((r) => r.key));
    content.components.forEach((k, i) => {
      if (!known.has(k)) problems.push({ path: `body/components/${i}`, message: `unknown component "${k}"` });
    });
  }
  if (problems.length) {
    throw new HttpProblem(400, 'Invalid template', problems.map((p) => `${p.path.slice('body/'.length)}: ${p.message}`).join('; '), problems);
  }
  return content;
}

async function componentNames(db: Kysely<Database>, keys: string[]): Promise<Record<string, string>> {
  if (!keys.length) return {};
  const rows = await db.selectFrom('components').select(['key', 'name']).where('key', 'in', keys).execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.name]));
}

/** The lifecycle's refusals as HTTP answers. */
async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof TemplateNotFound) throw new HttpProblem(404, 'Not Found', err.message);
    if (err instanceof TemplateConflict) throw new HttpProblem(409, 'Conflict', err.message);
    if (err instanceof TemplateMoveRefused) throw new HttpProblem(err.reason === 'self_approval' ? 403 : 409, err.reason === 'self_approval' ? 'Forbidden' : 'Conflict', err.message);
    throw err;
  }
}

const saved = { type: 'object', properties: { version: versionSchema, preview: previewSchema } } as const;
const errors = { ...authErrors, 404: problemSchema, 409: problemSchema } as const;

export const templateRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', requireAuth());
  const { db } = deps;

  app.get('/api/templates', {
    schema: {
      tags: ['templates'], summary: 'Every message template: its newest version and which version is active',
      response: {
        200: {
          type: 'object',
          properties: { templates: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, activeVersion: { type: 'integer', nullable: true }, latest: versionSchema } } } },
        },
        ...authErrors,
      },
    },
  }, async () => ({ templates: await listTemplates(db) }));

  app.get<{ Params: { key: string } }>('/api/templates/:key', {
    schema: {
      tags: ['templates'], summary: "A template's versions, newest first, each with who wrote, submitted and approved it",
      params: { type: 'object', required: ['key'], additionalProperties: false, properties: keyParam },
      response: {
        200: { type: 'object', properties: { key: { type: 'string' }, activeVersion: { type: 'integer', nullable: true }, versions: { type: 'array', items: versionSchema } } },
        ...errors,
      },
    },
  }, async (req) => answering(async () => {
    const versions = await templateVersions(db, req.params.key);
    return { key: req.params.key, activeVersion: versions.find((v) => v.state === 'active')?.version ?? null, versions };
  }));

  app.post<{ Body: Content }>('/api/templates/preview', {
    schema: {
      tags: ['templates'], summary: 'Render content for the example incident and customer, without saving it',
      body: templateContentSchema,
      response: { 200: { type: 'object', properties: { preview: previewSchema } }, ...authErrors },
    },
  }, async (req) => {
    const content = await checkedContent(db, req.body);
    return { preview: previewTemplate(content, await componentNames(db, content.components)) };
  });

  app.post<{ Params: { key: string }; Body: Content }>('/api/templates/:key/versions', {
    schema: {
      tags: ['templates'], summary: 'Start a new draft version (version 1 of a new template)',
      description: 'Refused (409) while the template has a draft or submitted version. Answers the draft and its preview.',
      params: { type: 'object', required: ['key'], additionalProperties: false, properties: keyParam },
      body: templateContentSchema,
      response: { 201: saved, ...errors },
    },
  }, async (req, reply) => {
    const actor = actorOf(req);
    const content = await checkedContent(db, req.body);
    const version = await answering(() => createDraft(db, req.params.key, content, personOf(actor, personName(actor)), actor));
    reply.code(201);
    return { version, preview: previewTemplate(content, await componentNames(db, content.components)) };
  });

  app.put<{ Params: { key: string; version: number }; Body: Content }>('/api/templates/:key/versions/:version', {
    schema: {
      tags: ['templates'], summary: 'Save a draft (only a draft can change)',
      params: versionParams, body: templateContentSchema,
      response: { 200: saved, ...errors },
    },
  }, async (req) => {
    const actor = actorOf(req);
    const content = await checkedContent(db, req.body);
    const version = await answering(() => editDraft(db, req.params.key, req.params.version, content, actor));
    return { version, preview: previewTemplate(content, await componentNames(db, content.components)) };
  });

  const move = (name: TemplateMove, summary: string, description: string) => {
    app.post<{ Params: { key: string; version: number }; Body: { reason?: string } | undefined }>(`/api/templates/:key/versions/:version/${name}`, {
      schema: {
        tags: ['templates'], summary, description,
        params: versionParams,
        ...(name === 'return' ? {
          body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } } },
        } : {}),
        response: { 200: { type: 'object', properties: { version: versionSchema } }, ...errors },
      },
    }, async (req) => {
      const actor = actorOf(req);
      // Approvers: admins, and people an admin allowed to (people.can_approve_templates).
      if (name === 'approve') await assertMayApproveTemplates(db, actor);
      const by = personOf(actor, personName(actor));
      return { version: await answering(() => moveTemplate(db, req.params.key, req.params.version, name, by, actor, req.body?.reason)) };
    });
  };
  move('submit', 'Submit a draft for approval', 'draft → submitted; 409 from any other state.');
  move('approve', 'Approve a submitted version: it becomes the active one',
    'submitted → active, by someone other than its author and submitter (403 otherwise); the active version before it is superseded and kept.');
  move('return', 'Send a submitted version back to draft, with the reason', 'submitted → draft; 409 from any other state.');
};
