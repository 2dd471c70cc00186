/**
 * GET /api/metrics/summary — the product's success metrics, for one incident or for the incidents
 * detected in a period (db/success-metrics.ts): time to each CSM alert from detection and from the
 * source's start, the share of affected customers reached proactively, customer-initiated escalations
 * against the baseline, CSAT, resolution notices and follow-ups done.
 */
import { getIncident } from '../../db/incident-queries';
import { metricsSummary } from '../../db/success-metrics';
import type { RoutePlugin } from '../app';
import { requireAuth } from '../auth';
import { HttpProblem, problemSchema } from '../problem';
import { authErrors } from './schemas';

const share = { type: 'number', nullable: true, description: 'Between 0 and 1; null when there is nothing to count.' } as const;
const nnum = { type: 'number', nullable: true } as const;
const int = { type: 'integer' } as const;
const latency = { p50Seconds: nnum, p90Seconds: nnum, maxSeconds: nnum };
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
              description: 'Seconds from detection to each CSM alert Slack accepted (outbox, kind "alert", status "sent"); '
                + 'fromStart: the same alerts from the source\'s start of the incident. Dry-run alerts reached nobody: only counted.',
              properties: {
                alerts: int, ...latency, dryRunExcluded: int,
                fromStart: { type: 'object', properties: latency },
              },
            },
            affectedCustomers: { type: 'integer' },
            outreach: { type: 'object', description: 'Customers with outreach sent or beyond.', properties: { reached: { type: 'integer' }, share } },
            escalations: {
              type: 'object',
              description: 'Support tickets opened by affected customers while the incident ran, before and after their first contact '
                + 'from their CSM, per affected customer, against the baseline (ESCALATION_BASELINE_FROM/TO or _RATE). Goal: change <= -0.6.',
              properties: {
                tickets: int, beforeContact: int, afterContact: int, customers: int, perAffectedCustomer: nnum,
                baseline: {
                  type: 'object',
                  properties: {
                    source: { type: 'string', nullable: true, description: "'period', 'rate', or null without a baseline" }, from: { type: 'string', nullable: true },
                    to: { type: 'string', nullable: true }, perAffectedCustomer: nnum,
                  },
                },
                change: { type: 'number', nullable: true, description: 'perAffectedCustomer / baseline - 1 (-0.6: 60% fewer).' },
                goal: { type: 'number' },
              },
            },
            csat: {
              type: 'object', description: 'Ratings (1-5) from the resolution email links. Goal: average >= 4.',
              properties: {
                ratings: int, average: nnum, goal: { type: 'number' },
                distribution: { type: 'object', properties: { 1: int, 2: int, 3: int, 4: int, 5: int } },
              },
            },
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
      return { scope: { incidentId }, ...(await metricsSummary(deps.db, { incidentId }, deps.config.metrics.escalationBaseline)) };
    }
    const to = req.query.to ? new Date(req.query.to) : new Date();
    const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - DEFAULT_PERIOD_DAYS * 86_400_000);
    if (from >= to) throw new HttpProblem(400, 'Invalid request', `from (${from.toISOString()}) must be before to (${to.toISOString()}).`, [{ path: 'querystring/from', message: 'must be before to' }]);
    return { scope: { from: from.toISOString(), to: to.toISOString() }, ...(await metricsSummary(deps.db, { from, to }, deps.config.metrics.escalationBaseline)) };
  });
};
