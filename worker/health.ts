import http from 'node:http';
import type { DependencyHealth } from '../db/health';

export interface WorkerState { status: 'ok' | 'starting' | 'stopping'; details?: Record<string, unknown> }

export interface HealthServer extends http.Server {
  /** Once the worker holds its connections: /health reports Postgres and Temporal too. */
  probe(dependencies: () => Promise<DependencyHealth>): void;
}

/**
 * A tiny HTTP health endpoint for the worker process (orchestrators probe it): 200 only when the worker
 * runs and both Postgres and Temporal answer (each probe bounded, so the answer comes within a second).
 */
export function startHealthServer(port: number, state: () => WorkerState): HealthServer {
  let dependencies: (() => Promise<DependencyHealth>) | undefined;
  const server = http.createServer((req, res) => {
    if (req.url !== '/health') {
      res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ title: 'Not Found', status: 404, detail: 'Only GET /health is served here' }));
      return;
    }
    void (async () => {
      const s = state();
      const deps = dependencies ? await dependencies().catch((): DependencyHealth => ({ status: 'degraded', database: 'unreachable', temporal: 'unreachable' })) : undefined;
      const status = s.status !== 'ok' ? s.status : deps?.status === 'ok' ? 'ok' : 'degraded';
      const body = { status, ...(deps ? { database: deps.database, temporal: deps.temporal } : {}), ...(s.details ? { details: s.details } : {}) };
      res.writeHead(status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    })();
  }) as HealthServer;
  server.probe = (p) => { dependencies = p; };
  server.listen(port, '0.0.0.0');
  return server;
}
