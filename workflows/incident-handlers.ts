/**
 * The incident workflow's signals, query and updates. Signals only record what arrived (events
 * are applied by the main loop, in order); updates validate first, so a rejected request never
 * enters the history. Outreach itself is recorded in Postgres by the API (db/outreach.ts): the
 * workflow only hears that a CSM acted, which cancels their escalation.
 */
import { ApplicationFailure, condition, isCancellation, log, setHandler } from '@temporalio/workflow';
import { findCsm } from '../domain/incident-state';
import type { CsmSummary } from '../domain/incident/model';
import {
  absorbIncidentSignal, acknowledgeSignal, detachSourceSignal, dismissUpdate, draftEmailsUpdate, incidentEventSignal, joinWarRoomSignal, mergeIntoSignal,
  outreachRecordedSignal, scheduleFollowUpsUpdate,
  sendResolutionEmailsUpdate, stateQuery, UPDATE_REJECTIONS, type DraftEmailsInput, type DraftEmailsResult,
} from './contract';
import { slack, store } from './incident-activities';
import { dueKey, revisionKey, timelineKey } from './incident-keys';
import { rescheduleFollowUp } from './incident-lifecycle';
import { dataErrorMessage } from './incident-problems';
import { errorMessage, type IncidentRun } from './incident-run';
import { dismissRefusal } from './incident-suspected';

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

function knownCsm(run: IncidentRun, input: DraftEmailsInput): CsmSummary {
  const s = started(run);
  if (!input.csmEmail && !input.slackUserId) reject(UPDATE_REJECTIONS.notAllowed, 'Say who is asking: csmEmail or slackUserId.');
  const csm = findCsm(s.csms, input);
  if (!csm) {
    reject(UPDATE_REJECTIONS.notAllowed, `${who(input)} is not the CSM of any customer affected by "${s.incident.title}".`);
  }
  return csm;
}

/** One CSM's customer emails, run under the outreach lock; counts only (the customers stay in Postgres). */
async function emailsFor(run: IncidentRun, csm: CsmSummary, kind: 'outreach' | 'resolution', send: boolean, prefix: string, actor: string): Promise<DraftEmailsResult> {
  const result = await run.emails(kind, send, kind === 'outreach' ? 'pending' : 'contacted', actor, [{ email: csm.email, prefix }]);
  if (result.errors.length) log.warn('customer emails failed', { csm: csm.email, error: result.errors[0] });
  return { drafted: result.done, failed: result.failed };
}

export function registerHandlers(run: IncidentRun): void {
  setHandler(stateQuery, () => {
    if (!run.state) throw new Error('The incident has not been received yet');
    return run.state;
  });

  setHandler(incidentEventSignal, (event) => {
    run.inbox.push(event);
  });

  setHandler(mergeIntoSignal, (input) => { run.commands.push({ kind: 'mergeInto', input }); });
  setHandler(absorbIncidentSignal, (input) => { run.commands.push({ kind: 'absorb', input }); });
  setHandler(detachSourceSignal, (input) => { run.commands.push({ kind: 'detach', input }); });

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
        entries: [{ kind: 'acknowledged', summary: `${csm.email} acknowledged the alert`, actor: csm.email, occurredAt: at, dedupeKey: timelineKey(s, 'acknowledged', csm.email.toLowerCase()) }],
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('acknowledgement not recorded', { csm: csm.email, error: errorMessage(err) });
      const refused = dataErrorMessage(err);
      if (refused !== undefined) await run.problem(`acknowledgement by ${csm.email}`, refused);
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

  setHandler(outreachRecordedSignal, ({ csmEmail, impactLevel, at }) => {
    // Forewarn's own drafts never come through here: only a person moving outreach counts as acting.
    if (impactLevel !== 'high') return;
    const csm = run.csm(csmEmail);
    if (csm) csm.actedAt ??= at;
  });

  setHandler(draftEmailsUpdate, (input) => run.outreachLock.run(async (): Promise<DraftEmailsResult> => {
    const csm = knownCsm(run, input);
    const s = run.s;
    csm.actedAt ??= run.now();
    if (csm.customers === 0) return { drafted: 0, failed: 0 };
    // A new key per request: a customer whose earlier draft failed is tried again.
    return emailsFor(run, csm, 'outreach', false, dueKey(s, 'outreach_request', csm.email, run.now()), input.actor ?? csm.email);
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
    return emailsFor(run, csm, 'resolution', true, revisionKey(run.s, 'resolution_send', csm.email), input.actor ?? csm.email);
  }), {
    validator: (input) => {
      knownCsm(run, input);
      const s = run.s;
      if (s.phase !== 'resolved') {
        reject(UPDATE_REJECTIONS.notAllowed, `Resolution emails can only be sent once the incident is resolved; "${s.incident.title}" is ${s.incident.status}.`);
      }
    },
  });

  setHandler(dismissUpdate, async (input) => {
    // The main loop does the work (between events, never in the middle of one); this waits for its outcome.
    run.dismissal = { actor: input.actor, ...(input.reason ? { reason: input.reason } : {}) };
    await condition(() => run.dismissal?.told !== undefined || run.dismissal?.refused !== undefined);
    const d = run.dismissal!;
    if (d.refused !== undefined) reject(UPDATE_REJECTIONS.notAllowed, d.refused);
    return { dismissedAt: run.s.dismissedAt!, csmsTold: d.told! };
  }, {
    validator: (_input) => {
      started(run);
      const refusal = dismissRefusal(run);
      if (refusal) reject(UPDATE_REJECTIONS.notAllowed, refusal);
      if (run.dismissal) reject(UPDATE_REJECTIONS.notAllowed, `"${run.s.incident.title}" is being dismissed already.`);
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
