/**
 * Test-only stand-ins for the incident workflow types, with just enough behaviour for the API's
 * tests. Both record events (a repeated delivery id once) and the signals they get, answer drafts
 * and follow-ups, and refuse resolution emails before resolution with the contract's failure types.
 *
 * - `incidentWorkflowV2` (WORKFLOW_TYPES.incident, every new incident): outreach lives in Postgres,
 *   so it only hears `outreachRecorded`; drafts answer counts ({ drafted, failed }).
 * - `incidentWorkflow` (WORKFLOW_TYPES.incidentV1, incidents started before): outreach still moves
 *   through its `setOutreachStatus` update, validated against the customers it was started with.
 *
 * Both are started with the customers they should know (`customers`), since a workflow cannot read
 * Postgres. The API tests check what reached them through the `receivedEvents` / `receivedSignals`
 * queries.
 */
import { ApplicationFailure, condition, defineQuery, setHandler } from '@temporalio/workflow';
import type { IncidentState } from '../../../domain/incident/model';
import type { IncidentEvent, OutreachStatus } from '../../../domain/types';
import {
  acknowledgeSignal, draftEmailsUpdate, incidentEventSignal, joinWarRoomSignal, outreachRecordedSignal, scheduleFollowUpsUpdate,
  sendResolutionEmailsUpdate, setOutreachStatusUpdate, stateQuery, UPDATE_REJECTIONS,
  type AcknowledgeInput, type DraftEmailsInput, type IncidentWorkflowInput, type JoinWarRoomInput, type OutreachRecordedInput,
} from '../../../workflows/contract';

export const receivedEventsQuery = defineQuery<IncidentEvent[]>('receivedEvents');
export interface ReceivedSignals { acks: AcknowledgeInput[]; joins: JoinWarRoomInput[]; outreach: OutreachRecordedInput[] }
export const receivedSignalsQuery = defineQuery<ReceivedSignals>('receivedSignals');

/** A customer the stand-in knows (the real v2 workflow reads them from Postgres through its activities). */
export interface FakeCustomer { id: string; name: string; csmEmail: string; outreachStatus: OutreachStatus }
export interface FakeIncidentInput extends IncidentWorkflowInput { customers?: FakeCustomer[] }

const NEXT: Record<OutreachStatus, OutreachStatus[]> = {
  pending: ['drafted', 'sent'],
  drafted: ['sent'],
  sent: ['responded', 'resolution_sent'],
  responded: ['resolution_sent'],
  resolution_sent: ['followed_up'],
  followed_up: [],
};

function emptyState(): IncidentState {
  return {
    incident: { id: 'unrecorded', workflowId: '', source: 'generic', externalId: '', title: '', status: 'investigating', severity: 'P3', components: [], regions: [], startedAt: '' },
    phase: 'active', csms: [], totals: { customers: 0, arrAtRisk: 0, businessImpact: 0, highImpact: 0 },
    detectedAt: '', appliedAt: {}, deliveryIds: [], revision: 0,
  };
}

async function fakeIncident(input: FakeIncidentInput, extra: (customers: FakeCustomer[]) => void): Promise<void> {
  const state = input.carried ?? emptyState();
  const customers = input.customers ?? [];
  const events: IncidentEvent[] = [];
  const signals: ReceivedSignals = { acks: [], joins: [], outreach: [] };

  setHandler(incidentEventSignal, (event) => {
    if (state.deliveryIds.includes(event.deliveryId)) return;
    state.deliveryIds.push(event.deliveryId);
    events.push(event);
    if (event.status === 'resolved') state.phase = 'resolved';
  });
  setHandler(acknowledgeSignal, (a) => { signals.acks.push(a); });
  setHandler(joinWarRoomSignal, (j) => { signals.joins.push(j); });
  setHandler(outreachRecordedSignal, (o) => { signals.outreach.push(o); });
  setHandler(stateQuery, () => state);
  setHandler(receivedEventsQuery, () => events);
  setHandler(receivedSignalsQuery, () => signals);

  const csmOf = (d: DraftEmailsInput) => state.csms.find((m) => (d.csmEmail && m.email === d.csmEmail) || (d.slackUserId && m.slackUserId === d.slackUserId));
  const mine = (d: DraftEmailsInput) => {
    const csm = csmOf(d);
    return customers.filter((c) => !csm || c.csmEmail === csm.email);
  };
  setHandler(draftEmailsUpdate, (d) => {
    const drafted = mine(d).filter((c) => c.outreachStatus === 'pending');
    for (const c of drafted) c.outreachStatus = 'drafted';
    return { drafted: drafted.length, failed: 0 };
  });
  setHandler(sendResolutionEmailsUpdate, (d) => {
    const sent = mine(d).filter((c) => c.outreachStatus === 'sent' || c.outreachStatus === 'responded');
    for (const c of sent) c.outreachStatus = 'resolution_sent';
    return { drafted: sent.length, failed: 0 };
  }, {
    validator: (_d: DraftEmailsInput) => {
      if (state.phase === 'active') {
        throw ApplicationFailure.create({ type: UPDATE_REJECTIONS.notAllowed, message: 'The incident is not resolved yet: resolution emails go out once it is.' });
      }
    },
  });
  setHandler(scheduleFollowUpsUpdate, (f) => {
    state.followUpDueAt = new Date(Date.now() + (f.inHours ?? 24) * 3_600_000).toISOString();
    return { dueAt: state.followUpDueAt };
  });
  extra(customers);

  await condition(() => false);
}

export async function incidentWorkflowV2(input: FakeIncidentInput): Promise<void> {
  await fakeIncident(input, () => {});
}

export async function incidentWorkflow(input: FakeIncidentInput): Promise<void> {
  await fakeIncident(input, (customers) => {
    setHandler(setOutreachStatusUpdate, (u) => {
      const c = customers.find((x) => x.id === u.customerId)!;
      const previous = c.outreachStatus;
      c.outreachStatus = u.status;
      return { customerId: c.id, previous, status: u.status };
    }, {
      validator: (u) => {
        const c = customers.find((x) => x.id === u.customerId);
        if (!c) throw ApplicationFailure.create({ type: UPDATE_REJECTIONS.unknownCustomer, message: `Customer ${u.customerId} is not affected by this incident.` });
        if (!NEXT[c.outreachStatus].includes(u.status)) {
          throw ApplicationFailure.create({
            type: UPDATE_REJECTIONS.invalidTransition,
            message: `Outreach for ${c.name} cannot go from ${c.outreachStatus} to ${u.status}; next: ${NEXT[c.outreachStatus].join(', ') || 'none'}.`,
          });
        }
      },
    });
  });
}
