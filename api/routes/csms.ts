/** A CSM's work queue: their affected customers across open incidents, pending outreach first. */
import { findCsm, getCsmQueue } from '../../db/incident-queries';
import { INCIDENT_STATUSES, SEVERITIES } from '../../domain/types';
import type { RoutePlugin } from '../app';
import { requireAuth } from '../auth';
import { HttpProblem, problemSchema } from '../problem';
import { affectedCustomerSchema, authErrors } from './schemas';

export const csmRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', requireAuth());

  app.get<{ Params: { email: string } }>('/api/csms/:email/queue', {
    schema: {
      tags: ['csms'],
      summary: "A CSM's queue across open incidents",
      description: 'Customers whose outreach is still pending come first, then by incident severity and customer priority.',
      params: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } },
      response: {
        200: {
          type: 'object',
          properties: {
            csm: {
              type: 'object',
              properties: { email: { type: 'string' }, name: { type: 'string' }, slackUserId: { type: 'string', nullable: true } },
            },
            pending: { type: 'integer', description: 'Items whose outreach is still pending.' },
            items: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  ...affectedCustomerSchema.properties,
                  priorityRank: { type: 'integer' },
                  incident: {
                    type: 'object',
                    properties: {
                      id: { type: 'string' }, title: { type: 'string' },
                      severity: { type: 'string', enum: [...SEVERITIES] }, status: { type: 'string', enum: [...INCIDENT_STATUSES] },
                      startedAt: { type: 'string', format: 'date-time' },
                    },
                  },
                },
              },
            },
          },
        },
        ...authErrors,
        404: problemSchema,
      },
    },
  }, async (req) => {
    const csm = await findCsm(deps.db, { email: req.params.email });
    if (!csm) throw new HttpProblem(404, 'CSM not found', `No CSM has the email ${req.params.email}; import CSMs with POST /api/import.`);
    const items = await getCsmQueue(deps.db, csm.email);
    return { csm, pending: items.filter((i) => i.outreachStatus === 'pending').length, items };
  });
};
