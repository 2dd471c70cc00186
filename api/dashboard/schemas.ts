/** Response schemas of the dashboard's JSON endpoints (also their OpenAPI documentation). */
import { REACHED_VIA } from '../../db/dashboard/detail';

const str = { type: 'string' } as const;
const nstr = { type: ['string', 'null'] } as const;
const int = { type: 'integer' } as const;
const numb = { type: 'number' } as const;
const nnum = { type: ['number', 'null'] } as const;
const obj = (properties: Record<string, unknown>) => ({ type: 'object', properties, required: Object.keys(properties) }) as const;
const arr = (items: unknown) => ({ type: 'array', items }) as const;

const outreach = obj({ affected: int, pending: int, drafted: int, sent: int, responded: int, resolutionSent: int, followedUp: int });

const incidentProps = {
  id: str, workflowId: str, source: str, externalId: str, title: str, severity: str, status: str, components: arr(str),
  startedAt: str, resolvedAt: nstr, detectedAt: str, affectedCustomers: int, arrAtRisk: numb, businessImpact: numb,
  statusPageUrl: nstr, slackChannelId: nstr, outreach, lastCsmAlertAt: nstr,
  // Correlation: the source incidents feeding it (when several do), and the incident it was merged into.
  linkedSources: arr({
    type: 'object', required: ['source', 'externalId', 'title', 'status', 'severity', 'components', 'suspected', 'linkedAt', 'lastEventAt'],
    properties: {
      source: str, externalId: str, title: str, status: str, severity: str, components: arr(str), suspected: { type: 'boolean' },
      linkedAt: str, lastEventAt: str, mergedFrom: str,
    },
  }),
  mergedInto: { type: ['object', 'null'], properties: { incidentId: str, workflowId: str, title: nstr }, required: ['incidentId', 'workflowId', 'title'] },
  // Links the dashboard shows; built from config so the page needs no configuration of its own.
  temporalUrl: str, slackUrl: nstr,
};
export const incidentSummarySchema = obj(incidentProps);

export const overviewSchema = obj({
  incidents: arr(incidentSummarySchema),
  counts: obj({ customers: int, csms: int, openIncidents: int }),
});

export const detailSchema = obj({
  incident: obj({
    ...incidentProps, description: nstr, regions: arr(str), latestMessage: nstr,
    // What Forewarn could not process (Postgres refused the data), shown as a warning on the page.
    lastProblem: { type: ['object', 'null'], properties: { at: str, step: str, message: str, count: int }, required: ['at', 'step', 'message', 'count'] },
    // The post-mortem, once linked (PUT /api/incidents/:id/post-mortem, the form on the page, Slack, Statuspage).
    postMortem: { type: ['object', 'null'], properties: { url: str, setBy: nstr, setAt: nstr }, required: ['url', 'setBy', 'setAt'] },
    ownerEmail: nstr,
  }),
  customers: arr(obj({
    customerId: str, externalId: str, name: str, arr: numb, segment: str, region: str, impactLevel: str, reason: str,
    businessImpact: numb, priorityRank: int, outreachStatus: str, outreachUpdatedAt: nstr, csmNotifiedAt: nstr,
    customerNotifiedAt: nstr, resolutionNotifiedAt: nstr,
    csm: { type: ['object', 'null'], properties: { email: str, name: str } },
  })),
  customersTotal: int,
  timelineTotal: int,
  byCsm: arr(obj({
    email: nstr, name: str, customers: int, arr: numb, highImpact: int, pending: int, drafted: int, sent: int, responded: int,
    alertedAt: nstr, acknowledgedAt: nstr,
    // How the alert reached the CSM (Slack, or email when Slack could not deliver it); null: no alert yet.
    reachedVia: { type: ['string', 'null'], enum: [...REACHED_VIA, null] }, slackError: nstr,
  })),
  timeline: arr(obj({ kind: str, summary: str, actor: nstr, occurredAt: str })),
  followUps: arr(obj({ kind: str, csmEmail: nstr, dueAt: str, status: str, doneAt: nstr })),
  mergeCandidates: arr(obj({ id: str, title: str, severity: str, source: str, externalId: str })),
  outcomes: obj({
    escalations: obj({ tickets: int, beforeContact: int, afterContact: int, customers: int }),
    csat: obj({ ratings: int, average: nnum, goal: numb, distribution: obj({ 1: int, 2: int, 3: int, 4: int, 5: int }) }),
  }),
});

export const teamSchema = obj({
  csmCount: int,
  members: arr(obj({
    email: nstr, name: str, managerEmail: nstr, incidents: int, customers: int, highImpact: int, arr: numb, pendingOutreach: int,
    unacknowledged: arr(obj({ incidentId: str, title: str, severity: str, alertedAt: str, escalated: { type: 'boolean' } })),
  })),
});

export const outcomesSchema = obj({
  from: str, to: str, bucket: str, incidents: int, resolvedIncidents: int,
  alert: obj({
    samples: int, p50Seconds: nnum, p90Seconds: nnum, withinPromise: int, promiseSeconds: int,
    fromStart: obj({ p50Seconds: nnum, p90Seconds: nnum }), dryRunExcluded: int,
  }),
  reach: obj({ affected: int, reached: int, share: nnum, goal: numb }),
  resolutionNotices: obj({ affected: int, notified: int, share: nnum }),
  followUps: obj({ due: int, done: int, share: nnum }),
  escalations: obj({
    tickets: int, beforeContact: int, afterContact: int, customers: int, perAffectedCustomer: nnum,
    baseline: obj({ source: nstr, from: nstr, to: nstr, perAffectedCustomer: nnum }), change: nnum, goal: numb,
  }),
  csat: obj({ ratings: int, average: nnum, goal: numb, distribution: obj({ 1: int, 2: int, 3: int, 4: int, 5: int }) }),
  series: arr(obj({
    start: str, incidents: int, alertP50Seconds: nnum, alertP90Seconds: nnum, affected: int, reached: int,
    tickets: int, ticketsBeforeContact: int, csatRatings: int, csatAverage: nnum,
  })),
});

export const outboxSchema = obj({
  items: arr(obj({
    id: str, incidentId: nstr, incidentTitle: nstr, channel: str, recipient: str, kind: str, status: str,
    // The rendered message exactly as stored (Slack text + blocks, or the email).
    payload: {},
    error: nstr, attempts: int, providerRef: nstr, createdAt: str, sentAt: nstr,
  })),
  counts: { type: 'object', additionalProperties: int },
  nextBefore: nstr,
});

export const sessionSchema = obj({
  temporalUiUrl: str, namespace: str, publicBaseUrl: str, webhookUrls: obj({ pagerduty: str, opsgenie: str, generic: str }),
  pollSeconds: numb, slackDryRun: { type: 'boolean' }, emailDryRun: { type: 'boolean' },
});
