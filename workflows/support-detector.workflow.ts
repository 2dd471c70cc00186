/**
 * Support-spike detector: one run per component (`support-detector:<component key>`), fed by the support
 * webhook with signalWithStart. It keeps the tickets received within the window (a durable timer drops each
 * one as it ages out) and, when tickets from `threshold` distinct customers are inside the window:
 * - if an incident on the component is already open, adds the tickets to it as a timeline note;
 * - otherwise opens a suspected incident (source 'support', P3, investigating).
 * From then on, every further ticket of this run goes to that incident as a note — never a second incident.
 * If that incident is resolved (or its workflow has ended), the run lets go of it and counts afresh.
 * The run completes when its window is empty; the next ticket starts a new one.
 */
import {
  allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { DetectionActivities, DetectorTicket } from '../activities/detection';
import { evaluateSpike, ticketsInWindow } from '../domain/support';
import {
  supportDetectorStateQuery, supportTicketSignal,
  type SupportDetectorInput, type SupportDetectorState, type SupportTicket,
} from './contract';

// Postgres reads and Temporal signals: quick, idempotent (delivery ids), worth retrying for a while.
const { findOpenIncidentForComponent, openSuspectedIncident, addTicketsToIncident } = proxyActivities<DetectionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

export interface SupportDetectorResult { componentKey: string; incidentsOpened: number }

const iso = (ms: number) => new Date(ms).toISOString();
/** `20261126T143000Z`: readable in the incident's workflow id. */
const compact = (ms: number) => iso(ms).replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export async function supportDetectorWorkflow(input: SupportDetectorInput): Promise<SupportDetectorResult> {
  const state: SupportDetectorState = input.carried ?? {
    componentKey: input.componentKey, tickets: [], reportedTicketIds: [], incidentsOpened: 0,
  };
  const inbox: SupportTicket[] = [];
  setHandler(supportTicketSignal, (ticket) => {
    inbox.push(ticket);
  });
  setHandler(supportDetectorStateQuery, () => state);

  const markReported = (tickets: DetectorTicket[]) => {
    state.reportedTicketIds = [...new Set([...state.reportedTicketIds, ...tickets.map((t) => t.ticketId)])];
  };

  /** Sends new tickets to the attached incident, or — on a spike — to an open one or a new suspected one. */
  async function act(unreported: DetectorTicket[], now: number): Promise<void> {
    if (state.attachedTo) {
      const lookup = await findOpenIncidentForComponent({ componentKey: input.componentKey, attachedWorkflowId: state.attachedTo.workflowId });
      if (!lookup.attachedResolved) {
        const { delivered } = await addTicketsToIncident({ incident: state.attachedTo, componentKey: input.componentKey, tickets: unreported, at: iso(now) });
        if (delivered) return markReported(unreported);
      }
      state.attachedTo = undefined;
    }
    if (!evaluateSpike({ tickets: unreported, now, threshold: input.threshold, windowMinutes: input.windowMinutes }).spike) return;
    const { open } = await findOpenIncidentForComponent({ componentKey: input.componentKey });
    if (open) {
      const { delivered } = await addTicketsToIncident({ incident: open, componentKey: input.componentKey, tickets: unreported, at: iso(now) });
      if (delivered) {
        state.attachedTo = open;
        return markReported(unreported);
      }
    }
    state.attachedTo = await openSuspectedIncident({
      componentKey: input.componentKey,
      externalId: `${input.componentKey}-${compact(now)}`,
      tickets: unreported,
      windowMinutes: input.windowMinutes,
      openedAt: iso(now),
    });
    state.incidentsOpened += 1;
    markReported(unreported);
  }

  for (;;) {
    const now = Date.now();
    for (const ticket of inbox.splice(0)) {
      // Retried deliveries of a ticket already counted change nothing.
      if (state.tickets.some((t) => t.ticketId === ticket.ticketId)) continue;
      state.tickets.push({ ...ticket, receivedAt: iso(now) });
    }
    state.tickets = ticketsInWindow(state.tickets, now, input.windowMinutes);
    state.reportedTicketIds = state.reportedTicketIds.filter((id) => state.tickets.some((t) => t.ticketId === id));
    const reported = new Set(state.reportedTicketIds);
    const unreported = state.tickets.filter((t) => !reported.has(t.ticketId));
    if (unreported.length > 0) await act(unreported, now);

    if (inbox.length > 0) continue;
    if (state.tickets.length === 0) break;
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof supportDetectorWorkflow>({ ...input, carried: state });
    }
    // Wake for the next ticket, or when the oldest ticket leaves the window.
    const { nextExpiry } = evaluateSpike({ tickets: state.tickets, now: Date.now(), threshold: input.threshold, windowMinutes: input.windowMinutes });
    await condition(() => inbox.length > 0, Math.max((nextExpiry ?? Date.now()) - Date.now(), 1));
  }
  await condition(allHandlersFinished);
  return { componentKey: input.componentKey, incidentsOpened: state.incidentsOpened };
}
