/**
 * What every request passes before a route sees it, in this order:
 * 1. media type (onRequest, before the body is read): a route takes JSON unless its schema says
 *    otherwise (`consumes`, or `body.content`); anything else — text/plain, a form, a body without
 *    a content type — is 415.
 * 2. the route's own authentication (onRequest / preValidation hooks): signatures are checked on the
 *    raw body before its JSON is trusted, so a request that is not signed learns nothing.
 * 3. invalid JSON (400), kept by the parser until now for that reason.
 * 4. text Postgres or JSON cannot hold (NUL, unpaired surrogates) in the path, query or body (400
 *    naming each field): everything answered 2xx can be stored and delivered.
 * 5. schema validation. Bodies are validated without type coercion (a numeric `title` is an error,
 *    not the string "42"); path and query strings are coerced (`?limit=10`).
 */
import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions, RouteOptions } from 'fastify';
import { findUnstorableText } from '../domain/text';
import { HttpProblem } from './problem';

declare module 'fastify' {
  interface FastifyRequest {
    /** A JSON body that did not parse: answered 400 after the route has authenticated the request. */
    jsonError?: Error;
  }
}

const JSON_TYPES = ['application/json', 'application/problem+json'];

export const AJV_OPTIONS = { allErrors: true, coerceTypes: 'array' as const, removeAdditional: false };

/** Body schemas without coercion; everything else (params, querystring, headers) with it. */
export function schemaController(): NonNullable<FastifyServerOptions['schemaController']> {
  const factory = AjvCompiler();
  return {
    compilersFactory: {
      buildValidator: (externalSchemas, ajvServerOption) => {
        const options = ajvServerOption as { customOptions?: Record<string, unknown>; plugins?: unknown[] };
        const coercing = factory(externalSchemas ?? {}, { ...options, customOptions: { ...options.customOptions } } as never);
        const strict = factory(externalSchemas ?? {}, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } } as never);
        return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict : coercing)(route as never);
      },
    },
  };
}

/** The raw body is kept for signatures; a parse error waits until the route has checked who sent it. */
export function registerBodyParsers(app: FastifyInstance): void {
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    if (!body) return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      req.jsonError = err as Error;
      done(null, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    done(null, body);
  });
}

/** The media types a route's schema declares; JSON when it declares none. */
function acceptedTypes(schema: Record<string, unknown> | undefined): string[] {
  const consumes = schema?.consumes;
  if (Array.isArray(consumes) && consumes.length) return consumes as string[];
  const content = (schema?.body as { content?: Record<string, unknown> } | undefined)?.content;
  if (content && typeof content === 'object') return Object.keys(content);
  return JSON_TYPES;
}

function hasBody(req: FastifyRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

async function checkMediaType(req: FastifyRequest): Promise<void> {
  if (!hasBody(req) || req.method === 'GET' || req.method === 'HEAD') return;
  const accepted = acceptedTypes(req.routeOptions.schema as Record<string, unknown> | undefined);
  const given = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (accepted.includes(given)) return;
  const names = accepted.filter((t) => t !== 'application/problem+json').join(' or ');
  throw new HttpProblem(415, 'Unsupported Media Type', given
    ? `This route takes ${names}, not ${given}.`
    : `The body has no Content-Type: send it as ${names}.`);
}

/** Invalid JSON and unstorable text, after the route's own hooks have authenticated the request. */
async function checkInput(req: FastifyRequest): Promise<void> {
  if (req.jsonError) {
    throw new HttpProblem(400, 'Invalid JSON', `The body is not valid JSON: ${req.jsonError.message}`, [{ path: 'body', message: 'is not valid JSON' }]);
  }
  const errors = [
    ...findUnstorableText(req.params, 'params'),
    ...findUnstorableText(req.query, 'querystring'),
    ...findUnstorableText(req.body, 'body'),
  ];
  if (errors.length) {
    throw new HttpProblem(400, 'Invalid text', errors.map((e) => `${e.path} ${e.message}`).join('; '), errors);
  }
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Must be called before any route is registered: every route gets the checks. */
export function registerEdgeChecks(app: FastifyInstance): void {
  app.addHook('onRequest', checkMediaType);
  app.addHook('onRoute', (route: RouteOptions) => {
    // Appended to the route's own preValidation hooks, so authentication comes first.
    route.preValidation = [...asArray(route.preValidation), checkInput] as RouteOptions['preValidation'];
  });
}
