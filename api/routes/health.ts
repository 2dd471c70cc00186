import { probeDependencies } from '../../db/health';
import type { RoutePlugin } from '../app';

const state = { type: 'string', enum: ['ok', 'unreachable'] } as const;
const healthSchema = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ok', 'degraded'] }, database: state, temporal: state },
} as const;

export const healthRoutes: RoutePlugin = async (app, deps) => {
  app.get('/health', {
    schema: {
      tags: ['ops'], summary: 'Liveness and dependencies',
      description: 'Postgres and Temporal, each probed with a timeout: answers within a second. 503 when either is unreachable '
        + '(webhooks then answer 503 too, so senders retry).',
      security: [],
      response: { 200: healthSchema, 503: healthSchema },
    },
  }, async (_req, reply) => {
    const health = await probeDependencies({ db: deps.db, temporal: deps.temporal, track: deps.track });
    return reply.code(health.status === 'ok' ? 200 : 503).send(health);
  });
};
