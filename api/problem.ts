import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isDatabaseUnavailable } from '../db/connect';
import { DeliveryUnavailableError } from '../db/deliveries';

/** RFC 9457 problem details: every error the API returns has this shape. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

export class HttpProblem extends Error {
  constructor(public readonly status: number, public readonly title: string, detail: string, public readonly errors?: Problem['errors']) {
    super(detail);
  }
}

/** Seconds a client should wait before retrying a 503 (a dependency is down or a delivery is in flight). */
export const RETRY_AFTER_SECONDS = 5;

export function sendProblem(reply: FastifyReply, status: number, title: string, detail: string, errors?: Problem['errors']): FastifyReply {
  const body: Problem = { type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) };
  if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return reply.code(status).type('application/problem+json').send(body);
}

/** Postgres or Temporal is unavailable: 503 with Retry-After, never 500. */
export function unavailableProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof DeliveryUnavailableError) {
    return new HttpProblem(503, 'Service Unavailable', `The delivery is recorded but could not be forwarded: ${err.message} Retry later.`);
  }
  if (isDatabaseUnavailable(err)) {
    return new HttpProblem(503, 'Service Unavailable', 'The database cannot be reached right now; retry later.');
  }
  return undefined;
}

export const problemSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
} as const;

/** Turns validation, parsing, size and thrown HttpProblem errors into problem+json; never leaks a stack. */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, 'Not Found', `No route for ${req.method} ${req.url.split('?')[0]}`));
  app.setErrorHandler((err: FastifyError | HttpProblem, req, reply) => {
    if (err instanceof HttpProblem) {
      req.log.info({ status: err.status, detail: err.message }, 'request refused');
      return sendProblem(reply, err.status, err.title, err.message, err.errors);
    }
    const unavailable = unavailableProblem(err);
    if (unavailable) {
      req.log.warn({ err }, 'dependency unavailable');
      return sendProblem(reply, 503, unavailable.title, unavailable.message);
    }
    if (err.validation) {
      const errors = err.validation.map((v) => ({
        path: `${err.validationContext ?? 'body'}${v.instancePath || ''}${v.params && 'missingProperty' in v.params ? `/${String(v.params.missingProperty)}` : ''}${v.params && 'additionalProperty' in v.params ? `/${String(v.params.additionalProperty)}` : ''}`,
        // Name the allowed values: "must be equal to one of the allowed values" alone is not actionable.
        message: `${v.message ?? 'is invalid'}${v.params && Array.isArray(v.params.allowedValues) ? `: ${v.params.allowedValues.join(', ')}` : ''}`,
      }));
      req.log.info({ errors }, 'validation failed');
      return sendProblem(reply, 400, 'Invalid request', errors.map((e) => `${e.path} ${e.message}`).join('; '), errors);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) {
      req.log.error({ err }, 'request failed');
      return sendProblem(reply, 500, 'Internal Server Error', 'Something went wrong on our side; the request was not processed.');
    }
    req.log.info({ status, code: err.code, detail: err.message }, 'request refused');
    const title = status === 413 ? 'Payload Too Large' : status === 415 ? 'Unsupported Media Type' : 'Bad Request';
    return sendProblem(reply, status, title, err.message);
  });
}
