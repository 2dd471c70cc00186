/**
 * GET /api/metrics/summary — the product's success metrics, for one incident or for the incidents
 * detected in a period: time from detection to each CSM alert (p50 / p90, against the 5-minute promise),
 * the share of affected customers reached proactively, resolution notices, follow-ups done.
 */
import { getIncident, metricsSummary } from '../../db/incident-queries';
import type { RoutePlugin } from '../app';
import { requireAuth } from '../auth';
import { HttpProblem, problemSchema } from '../problem';
import { authErrors } from './schemas';

const share = { type: 'number', nullable: true, description: 'Between 0 and 1; null when there is nothing to count.' } as const;
const DEFAULT_PERIOD_DAYS = 30;

export const summaryRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', requireAuth());

  app.get<{ Querystring: { incidentId?: string; from?: string; to?: string } }>('/api/metrics/summary', {
    schema: {
      tags: ['metrics'],
      summary: 'Success metrics',
      description: `Per incident (?incidentId=) or over the incidents detected in [from, to) (default: the last ${DEFAULT_PERIOD_DAYS} days).`,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          incidentId: { type: 'string', format: 'uuid' },
          from: { type: 'string', format: 'date-time' },
          to: { type: 'string', format: 'date-time' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            scope: {
              type: 'object',
              properties: { incidentId: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
            },
            incidents: { type: 'integer' },
            timeToAlert: {
              type: 'object',
              description: 'Seconds from detection to each CSM alert sent (outbox, kind "alert").',
              properties: {
                alerts: { type: 'integer' },
                p50Seconds: { type: 'number', nullable: true },
                p90Seconds: { type: 'number', nullable: true },
                maxSeconds: { type: 'number', nullable: true },
              },
            },
            affectedCustomers: { type: 'integer' },
            outreach: { type: 'object', description: 'Customers with outreach sent or beyond.', properties: { reached: { type: 'integer' }, share } },
            resolutionNotice: {
              type: 'object', description: 'Customers of resolved incidents who got a resolution notice.',
              properties: { eligible: { type: 'integer' }, notified: { type: 'integer' }, share },
            },
            followUps: {
              type: 'object', description: 'Customer follow-ups done, of those due.',
              properties: { due: { type: 'integer' }, done: { type: 'integer' }, share },
            },
          },
        },
        ...authErrors,
        404: problemSchema,
      },
    },
  }, async (req) => {
    const { incidentId } = req.query;
    if (incidentId) {
      if (req.query.from || req.query.to) throw new HttpProblem(400, 'Invalid request', 'Give either incidentId or a period (from, to), not both.', [{ path: 'querystring/incidentId', message: 'cannot be combined with from/to' }]);
      if (!(await getIncident(deps.db, incidentId))) throw new HttpProblem(404, 'Incident not found', `No incident has id ${incidentId}.`);
      return { scope: { incidentId }, ...(await metricsSummary(deps.db, { incidentId })) };
    }
    const to = req.query.to ? new Date(req.query.to) : new Date();
    const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - DEFAULT_PERIOD_DAYS * 86_400_000);
    if (from >= to) throw new HttpProblem(400, 'Invalid request', `from (${from.toISOString()}) must be before to (${to.toISOString()}).`, [{ path: 'querystring/from', message: 'must be before to' }]);
    return { scope: { from: from.toISOString(), to: to.toISOString() }, ...(await metricsSummary(deps.db, { from, to })) };
  });
};
