import type { RoutePlugin } from '../app';
import { sendProblem } from '../problem';
import { assetsVersion, loadAssets, renderShell } from './assets';
import { dashboardDataRoutes } from './data-routes';

// The page loads only its own scripts and styles and talks only to this origin.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

/**
 * The CS-manager dashboard: a server-rendered shell at / and /dashboard, its static assets, and
 * the token-protected JSON it reads (api/dashboard/data-routes.ts). Outreach changes go through
 * the REST API's outreach route, so the workflow validates them.
 */
export const dashboardRoutes: RoutePlugin = async (app, deps) => {
  const assets = loadAssets();
  const shell = renderShell({ version: assetsVersion(assets) });

  for (const url of ['/', '/dashboard', '/dashboard/']) {
    app.get(url, { schema: { hide: true } }, async (_req, reply) => reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(shell));
  }

  app.get<{ Params: { '*': string } }>('/dashboard/assets/*', { schema: { hide: true } }, async (req, reply) => {
    const asset = assets.get(req.params['*']);
    if (!asset) return sendProblem(reply, 404, 'Not Found', `No dashboard asset ${req.params['*']}`);
    reply.header('etag', asset.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
    if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });

  await app.register(async (scope) => dashboardDataRoutes(scope, deps));
};
