import type { RoutePlugin } from '../app';
import { actorOf, requireAuth } from '../auth';
import { recordAudit } from '../../db/audit';
import { assertMayImport } from '../roles';
import { HttpProblem, problemSchema, sendProblem } from '../problem';
import { applyImport } from '../../db/import';
import { IMPORT_ENTITIES, validateImport, validateRecords, type ImportEntity } from '../../domain/import';
import { recordsFromCsv } from '../../domain/import-csv';

/** A CRM export of 100k customers is tens of megabytes; webhooks keep the small global limit. */
export const IMPORT_BODY_LIMIT_BYTES = 100 * 1024 * 1024;

const text = { type: 'string' } as const;
const nullableText = { type: 'string', nullable: true } as const;

/** The JSON import format, for the OpenAPI document. The handler validates it itself to report every error with its path. */
export const importDocumentSchema = {
  type: 'object',
  description: 'Upserts by CSM email, component key, customer externalId and template key. Every section is optional.',
  properties: {
    csms: {
      type: 'array',
      items: {
        type: 'object', required: ['email', 'name'],
        properties: { email: text, name: text, slackUserId: nullableText, managerEmail: nullableText, timeZone: { ...nullableText, example: 'America/New_York' } },
      },
    },
    components: {
      type: 'array',
      items: {
        type: 'object', required: ['key', 'name'],
        properties: {
          key: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$', example: 'api-gateway' },
          name: text,
          aliases: {
            type: 'array', description: 'Replaces the stored aliases when present.',
            items: { type: 'object', required: ['source', 'externalId'], properties: { source: { type: 'string', enum: ['pagerduty', 'opsgenie', 'statuspage', 'support', 'generic'] }, externalId: text } },
          },
          ticketTags: { type: 'array', items: text, description: 'Support-ticket tags that point at this component.' },
          ticketKeywords: { type: 'array', items: text, description: 'Words in a ticket subject that point at this component.' },
        },
      },
    },
    customers: {
      type: 'array',
      items: {
        type: 'object', required: ['externalId', 'name', 'arr', 'segment', 'region'],
        properties: {
          externalId: text, name: text, arr: { type: 'number', minimum: 0 },
          segment: { type: 'string', enum: ['enterprise', 'mid-market', 'smb'] }, region: text,
          csmEmail: nullableText, contactName: nullableText, contactEmail: nullableText,
          components: {
            type: 'array', description: 'Replaces the stored component usage when present.',
            items: {
              type: 'object', required: ['key', 'usage'],
              properties: { key: text, usage: { type: 'string', enum: ['heavy', 'moderate', 'light'] }, integrationDependent: { type: 'boolean' } },
            },
          },
        },
      },
    },
    templates: {
      type: 'array',
      items: {
        type: 'object', required: ['key', 'body'],
        properties: {
          key: text, severity: { type: 'string', enum: ['P1', 'P2', 'P3', 'P4'], nullable: true },
          status: { type: 'string', enum: ['investigating', 'identified', 'monitoring', 'resolved'], nullable: true },
          components: { type: 'array', items: text }, body: { type: 'string', example: "We're currently experiencing {{incident.title}}." },
          version: { type: 'integer', minimum: 1 }, approvedBy: nullableText, approvedAt: { type: 'string', format: 'date-time', nullable: true },
        },
      },
    },
    usage: {
      type: 'array',
      items: {
        type: 'object', required: ['customerExternalId', 'componentKey', 'hour', 'requests'],
        properties: { customerExternalId: text, componentKey: text, hour: { type: 'string', format: 'date-time' }, requests: { type: 'integer', minimum: 0 } },
      },
    },
  },
} as const;

const counts = {
  type: 'object',
  properties: { inserted: { type: 'integer' }, updated: { type: 'integer' }, unchanged: { type: 'integer' } },
} as const;

const resultSchema = {
  type: 'object',
  properties: {
    dryRun: { type: 'boolean' },
    counts: { type: 'object', properties: Object.fromEntries(IMPORT_ENTITIES.map((e) => [e, counts])) },
    durationMs: { type: 'integer' },
  },
} as const;

export const importRoutes: RoutePlugin = async (app, deps) => {
  app.post<{ Querystring: { entity?: string; dryRun?: string } }>('/api/import', {
    // Checked before the body is read: the body limit is large, and a stranger's 100 MB is not parsed.
    onRequest: [requireAuth({ scope: 'import' }), async (req) => assertMayImport(actorOf(req))],
    bodyLimit: IMPORT_BODY_LIMIT_BYTES,
    // Documented, not enforced by Fastify: the importer reports every error with its path (422).
    validatorCompiler: () => () => true,
    schema: {
      tags: ['import'],
      summary: 'Import CSMs, components, customers, templates and usage',
      description: 'JSON in the import format, or one CSV file as text/csv with ?entity=. One transaction: '
        + 'a file with any error imports nothing and the 422 lists every error. Re-importing the same data changes nothing.',
      querystring: {
        type: 'object',
        properties: {
          entity: { type: 'string', enum: [...IMPORT_ENTITIES], description: 'What a text/csv body holds.' },
          dryRun: { type: 'boolean', description: 'Validate and count, then roll back.' },
        },
      },
      body: {
        content: {
          'application/json': { schema: importDocumentSchema },
          'text/csv': { schema: { type: 'string', description: 'Header row of field names, one row per record; lists separated by ";".' } },
        },
      },
      response: { 200: resultSchema, 400: problemSchema, 401: problemSchema, 403: problemSchema, 413: problemSchema, 415: problemSchema, 422: problemSchema },
    },
  }, async (req, reply) => {
    const started = Date.now();
    const dryRun = /^(1|true|yes)$/i.test(req.query.dryRun ?? '');
    let validation;
    if (/^text\//i.test(req.headers['content-type'] ?? '') && typeof req.body === 'string') {
      const entity = req.query.entity as ImportEntity | undefined;
      if (!entity || !IMPORT_ENTITIES.includes(entity)) {
        throw new HttpProblem(400, 'Missing entity', `A CSV body needs ?entity= with one of ${IMPORT_ENTITIES.join(', ')}.`);
      }
      const { records, errors } = recordsFromCsv({ name: `${entity}.csv`, text: req.body }, entity);
      validation = validateRecords(records, errors);
    } else {
      if (req.body === undefined) throw new HttpProblem(400, 'Empty body', 'Send the import as JSON (application/json) or one CSV file (text/csv with ?entity=).');
      validation = validateImport(req.body);
    }
    const result = await applyImport(deps.db, validation, { dryRun, actor: actorOf(req) });
    if (!result.ok) {
      req.log.info({ errors: result.errors.length }, 'import rejected');
      const n = result.errors.length;
      return sendProblem(reply, 422, 'Import rejected', `${n} error${n === 1 ? '' : 's'} found; nothing was imported.`, result.errors);
    }
    req.log.info({ counts: result.counts, dryRun }, 'import applied');
    if (!result.dryRun) {
      const format = typeof req.body === 'string' ? `csv:${req.query.entity}` : 'json';
      await recordAudit(deps.db, { actor: actorOf(req), action: 'import.applied', detail: { format, counts: result.counts } });
    }
    return { dryRun: result.dryRun, counts: result.counts, durationMs: Date.now() - started };
  });
};
