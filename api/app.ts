import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { incidentSettings, type Config } from '../config';
import type { Database } from '../db/types';
import { registerProblemHandlers, HttpProblem } from './problem';
import { healthRoutes } from './routes/health';
import { metricsRoutes, createApiMetrics, instrumentRequests, type ApiMetrics } from './metrics';
import { importRoutes } from './routes/import';
import { incidentRoutes } from './routes/incidents';
import { csmRoutes } from './routes/csms';
import { summaryRoutes } from './routes/summary';
import { genericWebhook } from './webhooks/generic';
import { pagerdutyWebhook } from './webhooks/pagerduty';
import { opsgenieWebhook } from './webhooks/opsgenie';
import { statuspageWebhook } from './webhooks/statuspage';
import { supportWebhook } from './webhooks/support';
import { slackRoutes } from './slack/interactions';
import { dashboardRoutes } from './dashboard';
import type { IngestDeps } from './webhooks/ingest';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received: signatures are computed on it. */
    rawBody?: string;
  }
}

export interface AppDeps {
  config: Config;
  db: Kysely<Database>;
  temporal: Client;
  metrics?: ApiMetrics;
  /** A pino logger; tests leave it out for silence. */
  loggerInstance?: FastifyBaseLogger;
}

/** What every route plugin receives. */
export interface RouteDeps extends AppDeps {
  metrics: ApiMetrics;
  /** For webhook plugins: record → forward to the incident workflow. Set per request's logger by `ingestDeps(req.log)`. */
  ingestDeps: (log: IngestDeps['log']) => IngestDeps;
}

export type RoutePlugin = (app: FastifyInstance, deps: RouteDeps) => Promise<void>;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger: false }),
    bodyLimit: deps.config.api.bodyLimitBytes,
    trustProxy: true,
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
  });
  registerProblemHandlers(app);

  // Keep the raw body for signature checks; parse JSON and Slack's form bodies ourselves.
  app.addContentTypeParser(['application/json', 'application/problem+json'], { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    if (!body) return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(new HttpProblem(400, 'Invalid JSON', `The body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    done(null, body);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Forewarn API', version: '0.1.0', description: 'Incident impact for Customer Success: webhooks in, affected customers and outreach out.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const metrics = deps.metrics ?? createApiMetrics();
  instrumentRequests(app, metrics);
  const routeDeps: RouteDeps = {
    ...deps,
    metrics,
    ingestDeps: (log) => ({
      db: deps.db, temporal: deps.temporal, taskQueue: deps.config.temporal.taskQueue, settings: incidentSettings(deps.config), log,
      metrics: metrics.webhooks,
    }),
  };
  const plugins: RoutePlugin[] = [
    healthRoutes, metricsRoutes, importRoutes, incidentRoutes, csmRoutes, summaryRoutes,
    genericWebhook, pagerdutyWebhook, opsgenieWebhook, statuspageWebhook, supportWebhook, slackRoutes, dashboardRoutes,
  ];
  for (const plugin of plugins) await app.register(async (scope) => plugin(scope, routeDeps));
  return app;
}
