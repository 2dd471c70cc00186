import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RoutePlugin } from './app';
import { requireToken } from './auth';

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  webhooks: Counter<'source' | 'outcome'>;
  alertLatency: Histogram<'severity'>;
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

/** Prometheus scrape endpoint (token-protected like every non-webhook route). */
export const metricsRoutes: RoutePlugin = async (app, deps) => {
  const collectAlerts = alertLatencyCollector(deps.db, deps.metrics.alertLatency);
  app.get('/metrics', { schema: { hide: true }, preHandler: requireToken(deps.config.api.tokens) }, async (_req, reply) => {
    await collectAlerts().catch((err) => app.log.warn({ err }, 'alert latency collection failed'));
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
};
