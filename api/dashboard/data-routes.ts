import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app';
import { requireAuth } from '../auth';
import { HttpProblem, problemSchema } from '../problem';
import type { IncidentSummary } from '../../db/dashboard/incident-summary';
import { listIncidentsOverview } from '../../db/dashboard/incidents';
import { CUSTOMER_SORTS, DEFAULT_DETAIL_OPTIONS, getIncidentDetail, type DetailOptions } from '../../db/dashboard/detail';
import { getTeamView } from '../../db/dashboard/team';
import { getOutcomes } from '../../db/dashboard/outcomes';
import { listOutbox } from '../../db/dashboard/outbox';
import { detailSchema, outboxSchema, outcomesSchema, overviewSchema, sessionSchema, teamSchema } from './schemas';

/** How often the page asks for changes; the promise is "within 5 seconds". */
export const POLL_SECONDS = 2;

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const DAY = 86_400_000;
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{6,}$/;

/**
 * Token-protected JSON endpoints for what the dashboard shows beyond the REST API: aggregates
 * across incidents, the team view, outcome series and the outbox. The page polls them; every
 * response carries an ETag, so an unchanged view costs a 304 and no re-render.
 */
export async function dashboardDataRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { config, db } = deps;
  const links = <T extends IncidentSummary>(i: T) => ({
    ...i,
    temporalUrl: `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(i.workflowId)}`,
    // app_redirect opens the channel in whichever Slack workspace the user is signed in to.
    // In dry-run the war room has a made-up id ("dry-run:…") that no Slack can open: no link then.
    slackUrl: i.slackChannelId && SLACK_CHANNEL_ID.test(i.slackChannelId)
      ? `https://slack.com/app_redirect?channel=${encodeURIComponent(i.slackChannelId)}` : null,
  });

  app.addHook('preHandler', requireAuth());
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('cache-control', 'no-store');
    if (req.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    const etag = `"${createHash('sha1').update(payload).digest('base64url')}"`;
    reply.header('etag', etag);
    if (req.headers['if-none-match'] === etag) {
      reply.code(304);
      return '';
    }
    return payload;
  });

  const tags = ['dashboard'];

  app.get('/api/dashboard/session', {
    schema: { tags, summary: 'Checks the token and returns what the page needs to build links', response: { 200: sessionSchema, ...errors } },
  }, async () => ({
    temporalUiUrl: config.temporal.uiUrl,
    namespace: config.temporal.namespace,
    publicBaseUrl: config.api.publicBaseUrl,
    webhookUrls: {
      pagerduty: `${config.api.publicBaseUrl}/api/webhooks/pagerduty`,
      opsgenie: `${config.api.publicBaseUrl}/api/webhooks/opsgenie`,
      generic: `${config.api.publicBaseUrl}/api/webhooks/incidents`,
    },
    pollSeconds: POLL_SECONDS,
    slackDryRun: config.slack.dryRun,
    emailDryRun: config.google.dryRun,
  }));

  app.get<{ Querystring: { resolvedDays: number; limit: number } }>('/api/dashboard/incidents', {
    schema: {
      tags, summary: 'Open incidents, then recently resolved ones, with outreach progress',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          resolvedDays: { type: 'integer', minimum: 1, maximum: 365, default: 14, description: 'How far back resolved incidents are listed' },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
        },
      },
      response: { 200: overviewSchema, ...errors },
    },
  }, async (req) => {
    const overview = await listIncidentsOverview(db, req.query);
    return { ...overview, incidents: overview.incidents.map(links) };
  });

  app.get<{ Params: { incidentId: string }; Querystring: Omit<DetailOptions, 'timelineLimit'> }>('/api/dashboard/incidents/:incidentId', {
    schema: {
      tags, summary: 'One incident: a page of its customers, totals by CSM, timeline and follow-ups',
      params: { type: 'object', properties: { incidentId: { type: 'string', minLength: 1, maxLength: 300, description: 'Incident id or workflow id' } }, required: ['incidentId'] },
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          sort: { type: 'string', enum: [...CUSTOMER_SORTS], default: DEFAULT_DETAIL_OPTIONS.sort },
          dir: { type: 'string', enum: ['asc', 'desc'], default: DEFAULT_DETAIL_OPTIONS.dir },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: DEFAULT_DETAIL_OPTIONS.limit },
          offset: { type: 'integer', minimum: 0, default: 0 },
          csm: { type: 'string', format: 'email', maxLength: 320, description: "Only this CSM's customers (the link in their alert)" },
        },
      },
      response: { 200: detailSchema, ...errors },
    },
  }, async (req) => {
    const detail = await getIncidentDetail(db, req.params.incidentId, { ...DEFAULT_DETAIL_OPTIONS, ...req.query });
    if (!detail) throw new HttpProblem(404, 'Not Found', `No incident with id ${req.params.incidentId}`);
    return { ...detail, incident: links(detail.incident) };
  });

  app.get('/api/dashboard/team', {
    schema: { tags, summary: 'Per CSM across open incidents: affected customers, pending outreach, unacknowledged alerts', response: { 200: teamSchema, ...errors } },
  }, async () => getTeamView(db));

  app.get<{ Querystring: { from?: string; to?: string; days?: number } }>('/api/dashboard/outcomes', {
    schema: {
      tags, summary: 'Success metrics over a period, with a series for the chart',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          from: { type: 'string', format: 'date-time' },
          to: { type: 'string', format: 'date-time' },
          days: { type: 'integer', minimum: 1, maximum: 366, description: 'The last N days (ignored when from is given)' },
        },
      },
      response: { 200: outcomesSchema, ...errors },
    },
  }, async (req) => {
    // "Last N days" ends at the next whole minute, so a page polling it sees the same answer (and ETag) until something changes.
    const to = req.query.to ? new Date(req.query.to) : new Date(Math.ceil(Date.now() / 60_000) * 60_000);
    const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - (req.query.days ?? 30) * DAY);
    if (from >= to) throw new HttpProblem(400, 'Invalid period', 'querystring/from must be before querystring/to', [{ path: 'querystring/from', message: 'must be before to' }]);
    if (to.getTime() - from.getTime() > 366 * DAY) {
      throw new HttpProblem(400, 'Invalid period', 'The period may span at most 366 days', [{ path: 'querystring/from', message: 'at most 366 days before to' }]);
    }
    return getOutcomes(db, { from, to }, config.metrics.escalationBaseline);
  });

  app.get<{ Querystring: { channel?: 'slack' | 'email'; status?: string; incidentId?: string; before?: string; limit: number } }>('/api/dashboard/outbox', {
    schema: {
      tags, summary: 'Every Slack message and email as rendered, newest first, with its delivery status',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          channel: { type: 'string', enum: ['slack', 'email'] },
          status: { type: 'string', enum: ['pending', 'sent', 'drafted', 'dry_run', 'failed'] },
          incidentId: { type: 'string', format: 'uuid' },
          before: { type: 'string', format: 'uuid', description: 'Next page: the nextBefore of the previous page' },
          limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
        },
      },
      response: { 200: outboxSchema, ...errors },
    },
  }, async (req) => {
    const { items, counts } = await listOutbox(db, req.query);
    return { items, counts, nextBefore: items.length === req.query.limit ? items[items.length - 1]!.id : null };
  });
}
