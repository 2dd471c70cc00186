import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { incidentSettings, type Config } from '../config';
import type { Database } from '../db/types';
import { registerProblemHandlers } from './problem';
import { registerAuth } from './auth';
import { auditRoutes } from './routes/audit';
import { signInRoutes } from './sign-in';
import { tokenRoutes } from './routes/tokens';
import { AJV_OPTIONS, registerBodyParsers, registerEdgeChecks, schemaController } from './edge';
import { healthRoutes } from './routes/health';
import { metricsRoutes, createApiMetrics, instrumentRequests, type ApiMetrics } from './metrics';
import { importRoutes } from './routes/import';
import { incidentRoutes } from './routes/incidents';
import { incidentCorrelationRoutes } from './routes/incident-correlation';
import { incidentActionRoutes } from './routes/incident-actions';
import { csmRoutes } from './routes/csms';
import { summaryRoutes } from './routes/summary';
import { templateRoutes } from './routes/templates';
import { postMortemRoutes } from './routes/post-mortem';
import { ratingRoutes } from './routes/rating';
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
  /** For webhook plugins: record → forward to the incident workflow, with the request's logger and deadline. */
  ingestDeps: (log: IngestDeps['log'], deadline?: number) => IngestDeps;
  /** Work that outlives its request (a webhook answered 503 at its deadline): awaited when the server closes. */
  track: (work: Promise<unknown>) => void;
}

export type RoutePlugin = (app: FastifyInstance, deps: RouteDeps) => Promise<void>;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger: false }),
    bodyLimit: deps.config.api.bodyLimitBytes,
    trustProxy: true,
    ajv: { customOptions: AJV_OPTIONS },
    schemaController: schemaController(),
  });
  registerProblemHandlers(app);
  registerBodyParsers(app);
  registerEdgeChecks(app);
  await app.register(cookie);
  registerAuth(app, { tokens: deps.config.api.tokens, db: deps.db });

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
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled: Promise<unknown> = work.catch(() => {}).finally(() => pending.delete(settled));
    pending.add(settled);
  };
  app.addHook('onClose', async () => { await Promise.allSettled([...pending]); });
  const routeDeps: RouteDeps = {
    ...deps,
    metrics,
    track,
    ingestDeps: (log, deadline) => ({
      db: deps.db, temporal: deps.temporal, taskQueue: deps.config.temporal.taskQueue, settings: incidentSettings(deps.config),
      correlationWindowMinutes: deps.config.correlation.windowMinutes, log,
      metrics: metrics.webhooks, deadline, track,
    }),
  };
  const plugins: RoutePlugin[] = [
    healthRoutes, metricsRoutes, importRoutes, incidentRoutes, incidentActionRoutes, incidentCorrelationRoutes, csmRoutes, summaryRoutes, auditRoutes, templateRoutes, postMortemRoutes, signInRoutes, tokenRoutes, ratingRoutes,
    genericWebhook, pagerdutyWebhook, opsgenieWebhook, statuspageWebhook, supportWebhook, slackRoutes, dashboardRoutes,
  ];
  for (const plugin of plugins) await app.register(async (scope) => plugin(scope, routeDeps));
  return app;
}
