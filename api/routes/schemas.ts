/** JSON schemas of the REST API's resources (they document /openapi.json and shape the responses). */
import {
  IMPACT_LEVELS, INCIDENT_SOURCES, INCIDENT_STATUSES, OUTREACH_STATUSES, SEGMENTS, SEVERITIES,
} from '../../domain/types';
import { problemSchema } from '../problem';

const nullableString = { type: 'string', nullable: true } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

/** One source incident of a correlated incident (domain/incident/sources.ts LinkedSourceView). */
export const linkedSourceSchema = {
  type: 'object',
  properties: {
    source: { type: 'string', enum: [...INCIDENT_SOURCES] },
    externalId: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'string', enum: [...INCIDENT_STATUSES] },
    severity: { type: 'string', enum: [...SEVERITIES] },
    components: { type: 'array', items: { type: 'string' } },
    suspected: { type: 'boolean', description: 'A support spike: never holds up the resolution.' },
    linkedAt: dateTime,
    lastEventAt: dateTime,
    mergedFrom: { type: 'string', description: 'The incident (workflow id) it came with, when merged in.' },
  },
} as const;

export const incidentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    workflowId: { type: 'string' },
    source: { type: 'string', enum: [...INCIDENT_SOURCES] },
    externalId: { type: 'string' },
    title: { type: 'string' },
    description: nullableString,
    severity: { type: 'string', enum: [...SEVERITIES] },
    status: { type: 'string', enum: [...INCIDENT_STATUSES] },
    components: { type: 'array', items: { type: 'string' } },
    regions: { type: 'array', items: { type: 'string' } },
    startedAt: dateTime,
    resolvedAt: { ...dateTime, nullable: true },
    statusPageUrl: nullableString,
    message: { ...nullableString, description: 'The latest public update text.' },
    warRoomChannelId: { ...nullableString, description: 'Slack channel coordinating a P1/P2.' },
    affectedCustomerCount: { type: 'integer' },
    arrAtRisk: { type: 'number' },
    businessImpactEstimate: { type: 'number' },
    detectedAt: dateTime,
    updatedAt: dateTime,
    suspected: { type: 'boolean', description: 'Opened by the support-spike detector and not confirmed yet: POST …/dismiss closes it as a false alarm.' },
    postMortem: {
      type: 'object', nullable: true,
      description: 'The post-mortem, once linked (Statuspage\'s published post-mortem, or PUT /api/incidents/:id/post-mortem); null until then.',
      properties: { url: { type: 'string' }, setBy: nullableString, setAt: { ...dateTime, nullable: true } },
    },
    ownerEmail: { ...nullableString, description: 'The incident\'s owner at the source: asked for the post-mortem when it is missing.' },
    lastProblem: {
      type: 'object',
      nullable: true,
      description: 'The latest part of the incident Forewarn could not process (Postgres refused the data): the event or '
        + 'deadline work was skipped and the incident carried on. Null when there was none.',
      properties: {
        at: dateTime,
        step: { type: 'string', description: 'What was being done: `event <delivery id>`, `deadline work`, `alert messages`...' },
        message: { type: 'string', description: 'The activity and what Postgres answered.' },
        count: { type: 'integer', description: 'Problems recorded on this incident so far.' },
      },
    },
    linkedSources: {
      type: 'array',
      description: 'The source incidents that feed it when several do (correlation: docs/incident-workflow.md); empty for one source.',
      items: linkedSourceSchema,
    },
    mergedInto: {
      type: 'object', nullable: true,
      description: 'Set when a person merged it into another incident, which follows its sources and CSMs from then on.',
      properties: { workflowId: { type: 'string' }, incidentId: { type: 'string', format: 'uuid' }, at: { ...dateTime, nullable: true } },
    },
  },
} as const;

export const customerSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    externalId: { type: 'string' },
    name: { type: 'string' },
    arr: { type: 'number' },
    segment: { type: 'string', enum: [...SEGMENTS] },
    region: { type: 'string' },
    contactName: nullableString,
    contactEmail: nullableString,
    csm: { type: 'object', nullable: true, properties: { email: { type: 'string' }, name: { type: 'string' } } },
  },
} as const;

export const affectedCustomerSchema = {
  type: 'object',
  properties: {
    customer: customerSchema,
    impactLevel: { type: 'string', enum: [...IMPACT_LEVELS] },
    reason: { type: 'string' },
    outreachStatus: { type: 'string', enum: [...OUTREACH_STATUSES] },
  },
} as const;

export const timelineEntrySchema = {
  type: 'object',
  properties: {
    kind: { type: 'string' },
    summary: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
    actor: nullableString,
    occurredAt: dateTime,
  },
} as const;

export const incidentIdParams = {
  type: 'object',
  required: ['incidentId'],
  properties: { incidentId: { type: 'string', format: 'uuid', description: "Forewarn's incident id (uuid)." } },
} as const;

export const authErrors = { 400: problemSchema, 401: problemSchema, 403: problemSchema } as const;
