/**
 * What one incident workflow run knows and the small operations every step shares: persisting
 * the incident, writing the timeline, notifying a CSM without ever failing the incident, and
 * applying email results to outreach. The steps themselves live in incident-steps.ts and
 * incident-lifecycle.ts; the handlers in incident-handlers.ts.
 */
import { isCancellation, log, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CsmMessageKind, EmailResult, NotifyResult, TimelineEntry } from '../../activities/types';
import type { IncidentEvent, OutreachStatus } from '../../domain/types';
import { incidentTotals } from '../../domain/incident-state';
import {
  SEARCH_ATTRIBUTES, type CsmState, type CustomerState, type IncidentSettings, type IncidentState, type IncidentWorkflowInput,
} from './contract';
import { store, slack } from './incident-activities';
import { Lock } from '../lock';

export const ZERO_TOTALS: IncidentState['totals'] = { customers: 0, arrAtRisk: 0, businessImpact: 0, highImpact: 0 };

export function errorMessage(err: unknown): string {
  const e = err as { cause?: { message?: string }; message?: string };
  return e?.cause?.message ?? e?.message ?? String(err);
}

/** A notification went out (or would have, in dry-run, or already had): the CSM has it. */
export function delivered(result: NotifyResult): boolean {
  return result.status !== 'failed';
}

export class IncidentRun {
  state: IncidentState | undefined;
  /** Events received by the signal handler, applied one at a time by the main loop. */
  readonly inbox: IncidentEvent[];
  /** Set by handlers that move a deadline, so the main loop re-arms its timer. */
  wake = false;
  readonly outreachLock = new Lock();
  readonly settings: IncidentSettings;
  readonly historyLimit: number | undefined;
  private searchSignature = '';

  constructor(input: IncidentWorkflowInput) {
    this.settings = input.settings;
    this.state = input.carried;
    this.inbox = [...(input.pending ?? [])];
    this.historyLimit = input.continueAsNewAtHistoryLength;
  }

  /** Workflow time: deterministic, and what the time-skipping tests move forward. */
  now(): string {
    return new Date(Date.now()).toISOString();
  }

  get s(): IncidentState {
    if (!this.state) throw new Error('The incident has not started yet');
    return this.state;
  }

  customer(id: string): CustomerState | undefined {
    return this.state?.customers.find((c) => c.id === id);
  }

  csm(email: string): CsmState | undefined {
    const lower = email.toLowerCase();
    return this.state?.csms.find((c) => c.email.toLowerCase() === lower);
  }

  shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || (this.historyLimit !== undefined && info.historyLength >= this.historyLimit);
  }

  refreshTotals(): void {
    this.s.totals = incidentTotals(this.s.customers);
  }

  async recordIncident(): Promise<void> {
    const s = this.s;
    const latest = (values: (string | undefined)[]) => values.filter((v): v is string => Boolean(v)).sort().at(-1);
    await store.recordIncident({
      incident: s.incident,
      totals: s.totals,
      detectedAt: s.detectedAt,
      warRoomChannelId: s.warRoom?.channelId,
      resolutionNotifiedAt: s.phase === 'active' ? undefined : latest(s.csms.map((c) => c.resolutionNotifiedAt)),
      followUpAt: s.followUpDueAt,
      postMortemRemindedAt: s.postMortemRemindedAt,
    });
  }

  async timeline(entries: TimelineEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await store.recordTimeline({ incidentId: this.s.incident.id, entries });
  }

  /** Search attributes and memo for the Temporal UI; only upserted when something shown there changed. */
  upsertSearch(): void {
    const { incident, totals } = this.s;
    const signature = JSON.stringify([incident.severity, incident.status, incident.components, totals.arrAtRisk, totals.customers, incident.title]);
    if (signature === this.searchSignature) return;
    this.searchSignature = signature;
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.severity, value: incident.severity },
      { key: SEARCH_ATTRIBUTES.status, value: incident.status },
      { key: SEARCH_ATTRIBUTES.source, value: incident.source },
      { key: SEARCH_ATTRIBUTES.components, value: incident.components },
      { key: SEARCH_ATTRIBUTES.arrAtRisk, value: totals.arrAtRisk },
      { key: SEARCH_ATTRIBUTES.impactedCustomers, value: totals.customers },
    ]);
    upsertMemo({ title: incident.title });
  }

  /**
   * One Slack message to one CSM. Never throws (except on cancellation): a CSM Slack cannot
   * reach must not hold up the others, so an activity that gave up counts as 'failed'.
   */
  async notify(kind: CsmMessageKind, csm: CsmState, opts: {
    key: string; customers: CustomerState[]; thread?: { channel: string; ts: string }; changes?: string[];
  }): Promise<NotifyResult> {
    const s = this.s;
    let result: NotifyResult;
    try {
      result = await slack.notifyCsm({
        idempotencyKey: opts.key, kind, incident: s.incident, csm, customers: opts.customers, totals: s.totals,
        dashboardUrl: this.settings.dashboardUrl, thread: opts.thread, changes: opts.changes,
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      result = { status: 'failed', error: errorMessage(err), sentAt: this.now() };
    }
    const current = this.csm(csm.email);
    if (current) current.notifyError = delivered(result) ? current.notifyError : `${kind}: ${result.error ?? 'not delivered'}`;
    if (!delivered(result)) log.warn('CSM notification not delivered', { kind, csm: csm.email, error: result.error });
    return result;
  }

  /**
   * Applies what Gmail did to each customer's outreach and persists the changes (call inside
   * the outreach lock). Outreach drafts move pending customers to drafted; resolution emails that
   * were sent move customers to resolution_sent. Failures are kept on the customer, not retried.
   */
  async applyEmailResults(kind: 'outreach' | 'resolution', send: boolean, results: EmailResult[], actor: string): Promise<string[]> {
    const at = this.now();
    const done: string[] = [];
    const writes: Promise<void>[] = [];
    const resolutionSent: string[] = [];
    for (const r of results) {
      const c = this.customer(r.customerId);
      if (!c) continue;
      if (r.status === 'failed') {
        c.outreachError = r.error ?? 'email not created';
        continue;
      }
      c.outreachError = undefined;
      done.push(c.id);
      let next: OutreachStatus | undefined;
      if (kind === 'outreach' && c.outreachStatus === 'pending') next = 'drafted';
      if (kind === 'resolution' && send && c.outreachStatus !== 'resolution_sent' && c.outreachStatus !== 'followed_up') {
        next = 'resolution_sent';
        c.resolutionNotifiedAt = at;
        c.customerNotifiedAt = at;
        resolutionSent.push(c.id);
      }
      if (!next) continue;
      c.outreachStatus = next;
      c.outreachUpdatedAt = at;
      writes.push(store.saveOutreach({
        incidentId: this.s.incident.id, customerId: c.id, status: next, actor, at,
        note: kind === 'outreach' ? 'Gmail draft ready in the CSM\'s mailbox' : 'Resolution email sent',
        customerNotifiedAt: next === 'resolution_sent' ? at : undefined,
      }));
    }
    await Promise.all(writes);
    if (resolutionSent.length) {
      await store.markCustomersNotified({ incidentId: this.s.incident.id, customerIds: resolutionSent, field: 'resolution_notified_at', at });
    }
    return done;
  }
}
