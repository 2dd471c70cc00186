/**
 * Detection activities: the status-page sync (read the page, forward what changed) and the support-spike
 * detector (find an open incident on a component, open a suspected incident, add tickets to an incident).
 */
import { createHash } from 'node:crypto';
import { log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { incidentSettings } from '../config';
import {
  mergeStatuspageIncidents, normalizeStatuspageIncident, selectStatuspageChanges, statuspageComponentIds,
} from '../domain/sources/statuspage';
import { distinctCustomers, supportTicketsNote, suspectedIncidentTitle } from '../domain/support';
import { CLOSED_STATUSES, type IncidentEvent } from '../domain/types';
import { forwardDelivery } from '../db/deliveries';
import { recordRoute, routedIncidentStarts, routeIncidentEvent } from '../db/incident-routing';
import { parseIncidentWorkflowId } from '../domain/correlation';
import { componentName, incidentsOnComponent, statuspageAliasMap, statuspageDeliveries } from '../db/detection';
import { findUnstorableText } from '../domain/text';
import {
  incidentEventSignal, incidentStartOptions, WORKFLOW_TYPES, type IncidentRef, type SupportTicket,
} from '../workflows/contract';
import type { ActivityDeps } from './index';
import { fetchIncidentList, statuspageReader } from './statuspage-api';

/** One event to forward, with the raw text kept in webhook_deliveries. */
export interface EventDelivery { event: IncidentEvent; raw: string }

export interface StatuspageChanges {
  /** Incidents read from the page (unresolved and recent, one per id). */
  fetched: number;
  changes: EventDelivery[];
  /** Incidents the page listed that could not be read, with why. */
  rejected: { path: string; message: string }[];
}

export interface ForwardResult { forwarded: number; duplicates: number; workflowIds: string[] }

export interface OpenIncidentLookup {
  /** An incident not resolved on the component (the attached one first, when still open). */
  open: IncidentRef | null;
  /** The attached incident is known to Postgres as resolved. */
  attachedResolved: boolean;
}

export type DetectorTicket = SupportTicket & { receivedAt: string };

export interface DetectionActivities {
  /** Reads the status page and returns an event for every incident version not yet forwarded (state: webhook_deliveries). */
  fetchStatuspageChanges(input: Record<string, never>): Promise<StatuspageChanges>;
  /** Records each delivery (dedupe by source + delivery id) and signalWithStarts its incident workflow. */
  forwardIncidentEvents(input: { source: string; deliveries: EventDelivery[] }): Promise<ForwardResult>;
  findOpenIncidentForComponent(input: { componentKey: string; attachedWorkflowId?: string }): Promise<OpenIncidentLookup>;
  /** Starts the suspected incident (source 'support', P3, investigating) with the tickets that made the spike. */
  openSuspectedIncident(input: { componentKey: string; externalId: string; tickets: DetectorTicket[]; windowMinutes: number; openedAt: string }): Promise<IncidentRef>;
  /** A timeline note on an incident's workflow; delivered false when that workflow no longer runs. */
  addTicketsToIncident(input: { incident: IncidentRef; componentKey: string; tickets: DetectorTicket[]; at: string }): Promise<{ delivered: boolean }>;
}

const SYNC_VIA = { 'x-forewarn-via': 'statuspage-sync' };

const deliveryLog = {
  info: (attrs: object, message: string) => log.info(message, attrs as Record<string, unknown>),
  warn: (attrs: object, message: string) => log.warn(message, attrs as Record<string, unknown>),
};

export function createDetectionActivities(deps: ActivityDeps): DetectionActivities {
  const { config, db, temporal } = deps;

  // Like every activity it heartbeats while it runs (activities/index.ts), so a dead worker's sync is
  // retried within the heartbeat timeout.
  const fetchStatuspageChanges = async (): Promise<StatuspageChanges> => {
    const reader = statuspageReader(config.statuspage);
    if (!reader) return { fetched: 0, changes: [], rejected: [] };
    const [unresolved, recent] = await Promise.all([
      fetchIncidentList(reader.unresolvedUrl, reader.headers),
      fetchIncidentList(reader.recentUrl, reader.headers),
    ]);
    const rejected = [...unresolved.rejected, ...recent.rejected];
    for (const r of rejected) log.warn('Statuspage incident set aside', r);
    const incidents = mergeStatuspageIncidents(unresolved.incidents, recent.incidents);
    const { recorded, followed } = await statuspageDeliveries(db, incidents.map((i) => i.id));
    // A resolved incident Forewarn never followed is only news if it changed within a few sync periods.
    const resolvedLookbackMs = Math.max(3 * config.statuspage.syncEverySeconds, 600) * 1000;
    const { changed } = selectStatuspageChanges({ incidents, recorded, followed, now: new Date(), resolvedLookbackMs });
    const aliases = await statuspageAliasMap(db, changed.flatMap(statuspageComponentIds));
    const changes: EventDelivery[] = [];
    for (const incident of changed) {
      // Text Postgres cannot hold would fail every later step: set the incident aside, named.
      const unstorable = findUnstorableText(incident, `incident ${incident.id}`, 5);
      if (unstorable.length) {
        for (const u of unstorable) log.warn('Statuspage incident set aside', u as unknown as Record<string, unknown>);
        rejected.push(...unstorable);
        continue;
      }
      const event = normalizeStatuspageIncident(incident, aliases);
      if (event) changes.push({ event, raw: JSON.stringify({ incident }) });
    }
    return { fetched: incidents.length, changes, rejected };
  };

  async function forwardIncidentEvents(input: { source: string; deliveries: EventDelivery[] }): Promise<ForwardResult> {
    const result: ForwardResult = { forwarded: 0, duplicates: 0, workflowIds: [] };
    const routing = { db, settings: incidentSettings(config), taskQueue: config.temporal.taskQueue, correlationWindowMinutes: config.correlation.windowMinutes };
    for (const { event, raw } of input.deliveries) {
      // Temporal unreachable: DeliveryUnavailableError fails the attempt, and the activity's retry (or the next tick) forwards it.
      const r = await forwardDelivery(
        { db, temporal, log: deliveryLog },
        { source: input.source, deliveryId: event.deliveryId, rawBody: raw, headers: SYNC_VIA },
        routedIncidentStarts(routing, [event]),
      );
      // Already forwarded (by the webhook or an earlier attempt), or being forwarded by the webhook right now.
      if (r.status === 'duplicate' || r.status === 'in_flight') result.duplicates += 1;
      if (r.status !== 'forwarded') continue;
      result.forwarded += 1;
      result.workflowIds.push(...r.workflowIds);
    }
    return result;
  }

  async function findOpenIncidentForComponent(input: { componentKey: string; attachedWorkflowId?: string }): Promise<OpenIncidentLookup> {
    const rows = await incidentsOnComponent(db, input.componentKey, input.attachedWorkflowId);
    const attached = rows.find((r) => r.workflowId === input.attachedWorkflowId);
    const closed = (status: string) => (CLOSED_STATUSES as readonly string[]).includes(status);
    const open = (attached && !closed(attached.status) ? attached : undefined) ?? rows.find((r) => !closed(r.status));
    return {
      open: open ? { workflowId: open.workflowId, source: open.source, externalId: open.externalId, title: open.title } : null,
      attachedResolved: attached !== undefined && closed(attached.status),
    };
  }

  async function openSuspectedIncident(input: {
    componentKey: string; externalId: string; tickets: DetectorTicket[]; windowMinutes: number; openedAt: string;
  }): Promise<IncidentRef> {
    const name = await componentName(db, input.componentKey);
    const customers = distinctCustomers(input.tickets).length;
    const title = suspectedIncidentTitle(name, input.tickets.length, customers, input.windowMinutes);
    const firstReport = input.tickets.map((t) => t.receivedAt).sort()[0] ?? input.openedAt;
    const event: IncidentEvent = {
      source: 'support',
      externalId: input.externalId,
      title,
      description: supportTicketsNote(name, input.tickets),
      status: 'investigating',
      severity: 'P3',
      components: [input.componentKey],
      startedAt: firstReport,
      occurredAt: input.openedAt,
      // Stable across activity retries: the workflow applies the opening once.
      deliveryId: `support-open:${input.externalId}`,
    };
    // Routed like every source incident, under the component's lock: a real incident that arrived meanwhile
    // (or one still active on the component) takes the tickets as a note instead (db/incident-routing.ts).
    const options = incidentStartOptions(event, incidentSettings(config), config.temporal.taskQueue);
    const { workflowId } = options;
    const route = await routeIncidentEvent(db, event, { windowMinutes: config.correlation.windowMinutes, join: 'note' });
    if (route.workflowId !== workflowId) {
      const target = parseIncidentWorkflowId(route.workflowId)!;
      const incident: IncidentRef = { workflowId: route.workflowId, ...target };
      const { delivered } = await addTicketsToIncident({ incident, componentKey: input.componentKey, tickets: input.tickets, at: input.openedAt });
      if (delivered) {
        log.info('support spike added to an open incident on its component', { workflowId: route.workflowId, component: input.componentKey });
        return incident;
      }
      // That incident ended meanwhile: the spike opens its own after all.
      await recordRoute(db, event, workflowId, 'new');
    }
    await temporal.workflow.signalWithStart(WORKFLOW_TYPES.incident, options);
    log.info('suspected incident opened from support tickets', { workflowId, component: input.componentKey, tickets: input.tickets.length, customers });
    return { workflowId, source: 'support', externalId: input.externalId, title };
  }

  async function addTicketsToIncident(input: { incident: IncidentRef; componentKey: string; tickets: DetectorTicket[]; at: string }): Promise<{ delivered: boolean }> {
    const name = await componentName(db, input.componentKey);
    const ids = input.tickets.map((t) => t.ticketId).sort();
    const digest = createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16);
    const event: IncidentEvent = {
      source: input.incident.source,
      externalId: input.incident.externalId,
      note: supportTicketsNote(name, input.tickets),
      occurredAt: input.at,
      deliveryId: `support-note:${input.componentKey}:${digest}`,
    };
    try {
      // A plain signal, not signalWithStart: a finished incident must not be restarted by a note.
      await temporal.workflow.getHandle(input.incident.workflowId).signal(incidentEventSignal, event);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        log.info('incident workflow no longer running; tickets not added', { workflowId: input.incident.workflowId });
        return { delivered: false };
      }
      throw err;
    }
    log.info('support tickets added to incident', { workflowId: input.incident.workflowId, tickets: ids.length });
    return { delivered: true };
  }

  return {
    fetchStatuspageChanges, forwardIncidentEvents, findOpenIncidentForComponent, openSuspectedIncident, addTicketsToIncident,
  };
}
