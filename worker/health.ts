import http from 'node:http';

/** A tiny HTTP health endpoint for the worker process (orchestrators probe it). */
export function startHealthServer(port: number, state: () => { status: 'ok' | 'starting' | 'stopping'; details?: Record<string, unknown> }): http.Server {
  const server = http.createServer((req, res) => {
    if (req.url !== '/health') {
      res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ title: 'Not Found', status: 404, detail: 'Only GET /health is served here' }));
      return;
    }
    const s = state();
    res.writeHead(s.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(s));
  });
  server.listen(port, '0.0.0.0');
  return server;
}
