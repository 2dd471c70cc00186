import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { countIncidentProblems } from '../db/incident-problems';
import type { RoutePlugin } from './app';
import { requireAuth } from './auth';

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  webhooks: Counter<'source' | 'outcome'>;
  alertLatency: Histogram<'severity'>;
  /** Incidents carrying a data problem (read from Postgres at scrape time: problemGauges). */
  incidentsWithProblems: Gauge<'state'>;
  incidentProblems: Gauge;
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'forewarn_api_' });
  return {
    registry,
    requests: new Counter({ name: 'forewarn_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    webhooks: new Counter({ name: 'forewarn_webhook_deliveries_total', help: 'Webhook deliveries by source and outcome (forwarded, duplicate, ignored, rejected, unavailable)', labelNames: ['source', 'outcome'], registers: [registry] }),
    alertLatency: new Histogram({
      name: 'forewarn_csm_alert_latency_seconds', help: 'Time from incident detection to each CSM alert (from the outbox)',
      labelNames: ['severity'], buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600], registers: [registry],
    }),
    incidentsWithProblems: new Gauge({
      name: 'forewarn_incidents_with_data_problems',
      help: 'Incidents of which Forewarn could not process a part (Postgres refused the data), by state (open, resolved)',
      labelNames: ['state'], registers: [registry],
    }),
    incidentProblems: new Gauge({
      name: 'forewarn_incident_data_problems',
      help: 'Data problems recorded on incidents in all (each an event or deadline work the workflow skipped)', registers: [registry],
    }),
  };
}

/** Counts every request by route template (registered on the root instance, so it sees all routes). */
export function instrumentRequests(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook('onResponse', async (req, reply) => {
    metrics.requests.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });
}

/**
 * Alerts are sent by the worker; the API learns of them from the outbox. Each scrape observes the
 * alerts sent since the previous scrape (every API replica reports the same series: don't sum them).
 */
export function alertLatencyCollector(db: Kysely<Database>, histogram: ApiMetrics['alertLatency']) {
  let since = new Date();
  return async () => {
    const rows = await db.selectFrom('notifications as n')
      .innerJoin('product_incidents as i', 'i.id', 'n.incident_id')
      .select(['n.sent_at', 'i.detected_at', 'i.severity'])
      .where('n.kind', '=', 'alert')
      .where('n.sent_at', '>', since)
      .orderBy('n.sent_at')
      .execute();
    for (const r of rows) {
      if (!r.sent_at) continue;
      histogram.observe({ severity: r.severity }, Math.max(0, (r.sent_at.getTime() - r.detected_at.getTime()) / 1000));
      since = r.sent_at;
    }
  };
}

/**
 * Incidents with a data problem (the workflow skipped an event or deadline work Postgres refused),
 * read from product_incidents at each scrape: alert on `forewarn_incidents_with_data_problems{state="open"} > 0`
 * or on any increase of `forewarn_incident_data_problems`.
 */
export function problemCollector(db: Kysely<Database>, metrics: Pick<ApiMetrics, 'incidentsWithProblems' | 'incidentProblems'>) {
  return async () => {
    const counts = await countIncidentProblems(db);
    metrics.incidentsWithProblems.set({ state: 'open' }, counts.open);
    metrics.incidentsWithProblems.set({ state: 'resolved' }, counts.resolved);
    metrics.incidentProblems.set(counts.problems);
  };
}

/** Prometheus scrape endpoint (token-protected like every non-webhook route). */
export const metricsRoutes: RoutePlugin = async (app, deps) => {
  const collectAlerts = alertLatencyCollector(deps.db, deps.metrics.alertLatency);
  const collectProblems = problemCollector(deps.db, deps.metrics);
  app.get('/metrics', { schema: { hide: true }, preHandler: requireAuth() }, async (_req, reply) => {
    await Promise.all([
      collectAlerts().catch((err) => app.log.warn({ err }, 'alert latency collection failed')),
      collectProblems().catch((err) => app.log.warn({ err }, 'incident problem count failed')),
    ]);
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
};
