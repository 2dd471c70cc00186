import { sql } from 'kysely';
import type { RoutePlugin } from '../app';

const healthSchema = { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' }, temporal: { type: 'string' } } } as const;

export const healthRoutes: RoutePlugin = async (app, deps) => {
  app.get('/health', {
    schema: {
      tags: ['ops'], summary: 'Liveness and dependencies', security: [],
      response: { 200: healthSchema, 503: healthSchema },
    },
  }, async (_req, reply) => {
    const database = await sql`select 1`.execute(deps.db).then(() => 'ok', () => 'unreachable');
    // A health probe must answer fast even when Temporal is down.
    const temporal = await deps.temporal.connection
      .withDeadline(Date.now() + 2000, () => deps.temporal.workflowService.getSystemInfo({}))
      .then(() => 'ok', () => 'unreachable');
    const status = database === 'ok' ? 'ok' : 'degraded';
    return reply.code(status === 'ok' ? 200 : 503).send({ status, database, temporal });
  });
};
