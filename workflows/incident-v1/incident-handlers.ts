/**
 * The incident workflow's signals, query and updates. Signals only record what arrived (events
 * are applied by the main loop, in order); updates validate first, so a rejected request never
 * enters the history, and persist before they answer.
 */
import { ApplicationFailure, isCancellation, log, setHandler } from '@temporalio/workflow';
import { checkOutreachTransition, isContacted } from '../../domain/outreach';
import { customersOf, findCsm, sameEmail } from '../../domain/incident-state';
import { OUTREACH_STATUSES, type OutreachStatus } from '../../domain/types';
import {
  acknowledgeSignal, draftEmailsUpdate, incidentEventSignal, joinWarRoomSignal, scheduleFollowUpsUpdate, sendResolutionEmailsUpdate,
  setOutreachStatusUpdate, stateQuery, UPDATE_REJECTIONS, type CsmState, type DraftEmailsInput, type DraftEmailsResult,
} from './contract';
import { gmail, slack, store } from './incident-activities';
import { revisionKey, timelineKey, dueKey } from '../incident-keys';
import { rescheduleFollowUp } from './incident-lifecycle';
import { errorMessage, type IncidentRun } from './incident-run';

const MAX_FOLLOW_UP_HOURS = 24 * 30;

function reject(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

function started(run: IncidentRun) {
  if (!run.state) reject(UPDATE_REJECTIONS.notAllowed, 'The incident has not been received yet; try again in a moment.');
  return run.state;
}

function who(input: DraftEmailsInput): string {
  return input.csmEmail ?? (input.slackUserId ? `Slack user ${input.slackUserId}` : 'nobody');
}

function knownCsm(run: IncidentRun, input: DraftEmailsInput): CsmState {
  const s = started(run);
  if (!input.csmEmail && !input.slackUserId) reject(UPDATE_REJECTIONS.notAllowed, 'Say who is asking: csmEmail or slackUserId.');
  const csm = findCsm(s.csms, input);
  if (!csm) {
    reject(UPDATE_REJECTIONS.notAllowed, `${who(input)} is not the CSM of any customer affected by "${s.incident.title}".`);
  }
  return csm;
}

export function registerHandlers(run: IncidentRun): void {
  setHandler(stateQuery, () => {
    if (!run.state) throw new Error('The incident has not been received yet');
    return run.state;
  });

  setHandler(incidentEventSignal, (event) => {
    run.inbox.push(event);
  });

  setHandler(acknowledgeSignal, async (input) => {
    const s = run.state;
    const csm = s ? findCsm(s.csms, input) : undefined;
    if (!s || !csm) {
      log.warn('acknowledgement from someone who is not an affected CSM', { ...input });
      return;
    }
    if (csm.acknowledgedAt) return;
    const at = run.now();
    csm.acknowledgedAt = at;
    try {
      await store.recordTimeline({
        incidentId: s.incident.id,
        entries: [{ kind: 'acknowledged', summary: `${csm.name} acknowledged the alert`, actor: csm.email, occurredAt: at, dedupeKey: timelineKey(s, 'acknowledged', csm.email.toLowerCase()) }],
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('acknowledgement not recorded', { csm: csm.email, error: errorMessage(err) });
    }
  });

  setHandler(joinWarRoomSignal, async ({ slackUserId }) => {
    const room = run.state?.warRoom;
    if (!room) {
      log.info('join war room: this incident has no war room', { slackUserId });
      return;
    }
    try {
      await slack.inviteToWarRoom({ channelId: room.channelId, slackUserIds: [slackUserId] });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('war room invitation failed', { slackUserId, error: errorMessage(err) });
    }
  });

  setHandler(setOutreachStatusUpdate, (input) => run.outreachLock.run(async () => {
    // Checked again under the lock: another change may have landed since validation.
    const checked = checkOutreach(run, input);
    const { customer, noop } = checked;
    const previous = customer.outreachStatus;
    if (noop) return { customerId: customer.id, previous, status: previous };
    const s = run.s;
    const at = run.now();
    await store.saveOutreach({
      incidentId: s.incident.id, customerId: customer.id, status: input.status, note: input.note, actor: input.actor, at,
      customerNotifiedAt: input.status === 'sent' && !customer.customerNotifiedAt ? at : undefined,
    });
    const c = run.customer(customer.id)!;
    c.outreachStatus = input.status;
    c.outreachUpdatedAt = at;
    if (input.note !== undefined) c.outreachNote = input.note;
    if (input.status === 'sent') c.customerNotifiedAt ??= at;
    if (input.status === 'resolution_sent') c.resolutionNotifiedAt ??= at;
    if (c.impactLevel === 'high') {
      const csm = run.csm(c.csmEmail);
      if (csm) csm.actedAt ??= at;
    }
    return { customerId: c.id, previous, status: c.outreachStatus };
  }), { validator: (input) => { checkOutreach(run, input); } });

  setHandler(draftEmailsUpdate, (input) => run.outreachLock.run(async (): Promise<DraftEmailsResult> => {
    const csm = knownCsm(run, input);
    const s = run.s;
    const customers = customersOf(s.customers, csm.email).filter((c) => c.outreachStatus === 'pending');
    csm.actedAt ??= run.now();
    if (customers.length === 0) return { drafted: 0, customerIds: [] };
    // A new key per request: a customer whose earlier draft failed is tried again.
    const results = await gmail.draftCustomerEmails({
      idempotencyPrefix: dueKey(s, 'outreach_request', csm.email, run.now()), kind: 'outreach', send: false, incident: s.incident, csm, customers,
    });
    const done = await run.applyEmailResults('outreach', false, results, input.actor ?? csm.email);
    return { drafted: done.length, customerIds: done };
  }), {
    validator: (input) => {
      const csm = knownCsm(run, input);
      if (run.s.phase !== 'active') {
        reject(UPDATE_REJECTIONS.notAllowed, `"${run.s.incident.title}" is resolved: send resolution emails instead of outreach drafts (${csm.email}).`);
      }
    },
  });

  setHandler(sendResolutionEmailsUpdate, (input) => run.outreachLock.run(async (): Promise<DraftEmailsResult> => {
    const csm = knownCsm(run, input);
    const s = run.s;
    const customers = s.customers.filter((c) => sameEmail(c.csmEmail, csm.email) && isContacted(c.outreachStatus));
    if (customers.length === 0) return { drafted: 0, customerIds: [] };
    const results = await gmail.draftCustomerEmails({
      idempotencyPrefix: revisionKey(s, 'resolution_send', csm.email), kind: 'resolution', send: true, incident: s.incident, csm, customers,
    });
    const done = await run.applyEmailResults('resolution', true, results, input.actor ?? csm.email);
    return { drafted: done.length, customerIds: done };
  }), {
    validator: (input) => {
      knownCsm(run, input);
      const s = run.s;
      if (s.phase !== 'resolved') {
        reject(UPDATE_REJECTIONS.notAllowed, `Resolution emails can only be sent once the incident is resolved; "${s.incident.title}" is ${s.incident.status}.`);
      }
    },
  });

  setHandler(scheduleFollowUpsUpdate, async (input) => {
    const csm = knownCsm(run, input);
    if (input.inHours === undefined) return { dueAt: csm.followUpDueAt ?? run.s.followUpDueAt! };
    const dueAt = new Date(Date.now() + input.inHours * 3_600_000).toISOString();
    await rescheduleFollowUp(run, csm.email, dueAt);
    return { dueAt };
  }, {
    validator: (input) => {
      knownCsm(run, input);
      const s = run.s;
      if (s.phase !== 'resolved') {
        reject(UPDATE_REJECTIONS.notAllowed, `Follow-ups are scheduled once the incident is resolved; "${s.incident.title}" is ${s.incident.status}.`);
      }
      if (input.inHours !== undefined && !(Number.isFinite(input.inHours) && input.inHours > 0 && input.inHours <= MAX_FOLLOW_UP_HOURS)) {
        reject(UPDATE_REJECTIONS.notAllowed, `inHours must be a number of hours above 0 and at most ${MAX_FOLLOW_UP_HOURS}, got ${String(input.inHours)}.`);
      }
    },
  });
}

function checkOutreach(run: IncidentRun, input: { customerId: string; status: OutreachStatus }) {
  const s = started(run);
  const customer = s.customers.find((c) => c.id === input.customerId);
  if (!customer) {
    reject(UPDATE_REJECTIONS.unknownCustomer, `Customer ${input.customerId} is not among the customers affected by "${s.incident.title}".`);
  }
  if (!OUTREACH_STATUSES.includes(input.status)) {
    reject(UPDATE_REJECTIONS.invalidTransition, `"${String(input.status)}" is not an outreach status; use one of ${OUTREACH_STATUSES.join(', ')}.`);
  }
  const check = checkOutreachTransition(customer.outreachStatus, input.status, customer.name);
  if (!check.ok) reject(UPDATE_REJECTIONS.invalidTransition, check.reason);
  return { customer, noop: check.noop };
}
