/**
 * Test-only stand-in for the incident workflow, registered under the same type name
 * ('incidentWorkflow'). It implements the contract's messages with just enough behaviour for the
 * API's tests: events are recorded (a repeated delivery id once), outreach moves follow the product's
 * state machine and are rejected with the contract's failure types, drafts and follow-ups answer.
 * The API tests check what reached the workflow through the `receivedEvents` / `state` queries.
 */
import { ApplicationFailure, condition, defineQuery, setHandler } from '@temporalio/workflow';
import type { IncidentEvent, OutreachStatus } from '../../../domain/types';
import {
  acknowledgeSignal, draftEmailsUpdate, incidentEventSignal, joinWarRoomSignal, scheduleFollowUpsUpdate,
  sendResolutionEmailsUpdate, setOutreachStatusUpdate, stateQuery, UPDATE_REJECTIONS,
  type AcknowledgeInput, type IncidentState, type IncidentWorkflowInput, type JoinWarRoomInput,
} from '../../../workflows/contract';

export const receivedEventsQuery = defineQuery<IncidentEvent[]>('receivedEvents');
export const receivedSignalsQuery = defineQuery<{ acks: AcknowledgeInput[]; joins: JoinWarRoomInput[] }>('receivedSignals');

const NEXT: Record<OutreachStatus, OutreachStatus[]> = {
  pending: ['drafted', 'sent'],
  drafted: ['sent'],
  sent: ['responded', 'resolution_sent'],
  responded: ['resolution_sent'],
  resolution_sent: ['followed_up'],
  followed_up: [],
};

export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<void> {
  const state = (input.carried ?? {
    incident: { id: 'unrecorded', workflowId: '', source: 'generic', externalId: '', title: '', status: 'investigating', severity: 'P3', components: [], regions: [], startedAt: '' },
    phase: 'active', customers: [], csms: [], totals: { customers: 0, arrAtRisk: 0, businessImpact: 0, highImpact: 0 },
    detectedAt: '', appliedAt: {}, deliveryIds: [], revision: 0,
  }) as IncidentState;
  const events: IncidentEvent[] = [];
  const acks: AcknowledgeInput[] = [];
  const joins: JoinWarRoomInput[] = [];

  setHandler(incidentEventSignal, (event) => {
    if (state.deliveryIds.includes(event.deliveryId)) return;
    state.deliveryIds.push(event.deliveryId);
    events.push(event);
    if (event.status === 'resolved') state.phase = 'resolved';
  });
  setHandler(acknowledgeSignal, (a) => { acks.push(a); });
  setHandler(joinWarRoomSignal, (j) => { joins.push(j); });
  setHandler(stateQuery, () => state);
  setHandler(receivedEventsQuery, () => events);
  setHandler(receivedSignalsQuery, () => ({ acks, joins }));

  setHandler(setOutreachStatusUpdate, (u) => {
    const c = state.customers.find((x) => x.id === u.customerId)!;
    const previous = c.outreachStatus;
    c.outreachStatus = u.status;
    c.outreachNote = u.note;
    return { customerId: c.id, previous, status: u.status };
  }, {
    validator: (u) => {
      const c = state.customers.find((x) => x.id === u.customerId);
      if (!c) throw ApplicationFailure.create({ type: UPDATE_REJECTIONS.unknownCustomer, message: `Customer ${u.customerId} is not affected by this incident.` });
      if (!NEXT[c.outreachStatus].includes(u.status)) {
        throw ApplicationFailure.create({
          type: UPDATE_REJECTIONS.invalidTransition,
          message: `Outreach for ${c.name} cannot go from ${c.outreachStatus} to ${u.status}; next: ${NEXT[c.outreachStatus].join(', ') || 'none'}.`,
        });
      }
    },
  });

  const mine = (csmEmail?: string, slackUserId?: string) => {
    const csm = state.csms.find((m) => (csmEmail && m.email === csmEmail) || (slackUserId && m.slackUserId === slackUserId));
    return state.customers.filter((c) => !csm || c.csmEmail === csm.email);
  };
  setHandler(draftEmailsUpdate, (d) => {
    const drafted = mine(d.csmEmail, d.slackUserId).filter((c) => c.outreachStatus === 'pending');
    for (const c of drafted) c.outreachStatus = 'drafted';
    return { drafted: drafted.length, customerIds: drafted.map((c) => c.id) };
  });
  setHandler(sendResolutionEmailsUpdate, (d) => {
    const sent = mine(d.csmEmail, d.slackUserId).filter((c) => c.outreachStatus === 'sent' || c.outreachStatus === 'responded');
    for (const c of sent) c.outreachStatus = 'resolution_sent';
    return { drafted: sent.length, customerIds: sent.map((c) => c.id) };
  }, {
    validator: (_d) => {
      if (state.phase === 'active') {
        throw ApplicationFailure.create({ type: UPDATE_REJECTIONS.notAllowed, message: 'The incident is not resolved yet: resolution emails go out once it is.' });
      }
    },
  });
  setHandler(scheduleFollowUpsUpdate, (f) => {
    state.followUpDueAt = new Date(Date.now() + (f.inHours ?? 24) * 3_600_000).toISOString();
    return { dueAt: state.followUpDueAt };
  });

  await condition(() => false);
}

/** The contract's incident workflow type (WORKFLOW_TYPES.incident) runs the same fake. */
export const incidentWorkflowV2 = incidentWorkflow;
