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

/** Prometheus scrape endpoint (token-protected like every non-webhook route). */
export const metricsRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.requests.inc({ method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });
  app.get('/metrics', { schema: { hide: true }, preHandler: requireToken(deps.config.api.tokens) }, async (_req, reply) => {
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
};
