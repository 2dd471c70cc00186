/**
 * What one incident workflow run knows and the small operations every step shares: persisting
 * the incident, writing the timeline, messaging CSMs without ever failing the incident, and
 * preparing customer emails. The steps live in incident-steps.ts and incident-lifecycle.ts; the
 * handlers in incident-handlers.ts. The state is bounded by the number of CSMs
 * (domain/incident/model.ts); every customer lives in Postgres.
 */
import { isCancellation, log, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CsmMessageBatch, NotifyResult, TimelineEntry } from '../activities/types';
import {
  PROBLEM_MESSAGE_MAX, PROBLEMS_KEPT, type CsmMessageKind, type CsmSummary, type EmailAudience, type EmailBatchResult, type IncidentProblem,
  type IncidentSettings, type IncidentState,
} from '../domain/incident/model';
import { sourceViews } from '../domain/incident/sources';
import { csmByEmail } from '../domain/incident/summaries';
import { storableText } from '../domain/text';
import type { IncidentEvent } from '../domain/types';
import { SEARCH_ATTRIBUTES, type IncidentWorkflowInput } from './contract';
import { gmail, slack, store } from './incident-activities';
import { dataErrorMessage } from './incident-problems';
import type { Dismissal } from './incident-suspected';
import type { IncidentCommand } from './incident-merge';
import { Lock } from './lock';

/** CSMs per messaging or email activity: small enough to retry cheaply, large enough to keep history small. */
const BATCH = 50;

export function errorMessage(err: unknown): string {
  const e = err as { cause?: { message?: string }; message?: string };
  return e?.cause?.message ?? e?.message ?? String(err);
}

/** A notification went out (or would have, in dry-run, or already had): the CSM has it. */
export function delivered(result: NotifyResult): boolean {
  return result.status !== 'failed' && result.status !== 'skipped';
}

/** At most `max` characters, never ending in half a surrogate pair, and storable. */
function clip(text: string, max: number): string {
  const s = storableText(text);
  if (s.length <= max) return s;
  const cut = s.slice(0, max - 1);
  return `${/[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface Recipient { csm: CsmSummary; key: string; thread?: { channel: string; ts: string } }

export class IncidentRun {
  state: IncidentState | undefined;
  /** Events received by the signal handler, applied one at a time by the main loop. */
  readonly inbox: IncidentEvent[];
  /** Merges and splits received, run by the main loop before further events (incident-merge.ts). */
  readonly commands: IncidentCommand[] = [];
  /** Set by handlers that move a deadline, so the main loop re-arms its timer. */
  wake = false;
  /** A person's dismissal (the `dismiss` update), done by the main loop; `told` once done, `refused` when it no longer applied. */
  dismissal: (Dismissal & { told?: number; refused?: string }) | undefined;
  /** Email runs one at a time: an automatic draft run and a button's run never race over the same customers. */
  readonly outreachLock = new Lock();
  readonly settings: IncidentSettings;
  readonly historyLimit: number | undefined;
  /** The source incident this incident is named after (IncidentWorkflowInput.opens). */
  readonly opens: IncidentWorkflowInput['opens'];
  private searchSignature = '';
  /** The problems of a first event that could not be applied, for the start the next event makes. */
  private parked: Pick<IncidentState, 'problems' | 'problemCount'> | undefined;

  constructor(input: IncidentWorkflowInput) {
    this.settings = input.settings;
    this.state = input.carried;
    this.inbox = [...(input.pending ?? [])];
    this.historyLimit = input.continueAsNewAtHistoryLength;
    this.opens = input.opens;
  }

  /** Workflow time: deterministic, and what the time-skipping tests move forward. */
  now(): string {
    return new Date(Date.now()).toISOString();
  }

  get s(): IncidentState {
    if (!this.state) throw new Error('The incident has not started yet');
    return this.state;
  }

  csm(email: string): CsmSummary | undefined {
    return this.state ? csmByEmail(this.state.csms, email) : undefined;
  }

  shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || (this.historyLimit !== undefined && info.historyLength >= this.historyLimit);
  }

  /**
   * A part of the incident Postgres refused (incident-problems.ts): kept in the state (the last
   * PROBLEMS_KEPT, truncated), logged as "incident data error" for operators to alert on, and
   * written on the incident row. Never throws (except on cancellation).
   */
  async problem(step: string, message: string): Promise<void> {
    const s = this.s;
    const problem: IncidentProblem = { at: this.now(), step: clip(step, 200), message: clip(message, PROBLEM_MESSAGE_MAX) };
    s.problemCount = (s.problemCount ?? 0) + 1;
    s.problems = [...(s.problems ?? []), problem].slice(-PROBLEMS_KEPT);
    const count = s.problemCount;
    log.error('incident data error', { incidentId: s.incident.id, step: problem.step, error: problem.message, problems: count });
    try {
      await store.recordIncidentProblem({ incident: s.incident, problem, count });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.error('incident data error not recorded on the incident', { incidentId: s.incident.id, step: problem.step, error: errorMessage(err) });
    }
  }

  /** The first event could not be applied: the next one starts the incident afresh, with the problems so far. */
  abandonStart(): void {
    const { problems, problemCount } = this.s;
    this.parked = { problems, problemCount };
    this.state = undefined;
  }

  /** What an abandoned start left for the next one (nothing, usually). */
  takeParked(): Pick<IncidentState, 'problems' | 'problemCount'> {
    const parked = this.parked ?? {};
    this.parked = undefined;
    return parked;
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
      ...(s.sources ? { sources: sourceViews(s.sources) } : {}),
      ...(s.suspected !== undefined ? { suspected: s.suspected } : {}),
      ...(s.mergedInto ? { mergedInto: { workflowId: s.mergedInto.workflowId, at: s.mergedInto.at } } : {}),
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
   * One kind of Slack message to many CSMs, in batches. Never throws (except on cancellation): a
   * CSM Slack cannot reach must not hold up the others, so a batch that gave up counts as 'failed'
   * for its CSMs. Results are in the order of `recipients`.
   */
  async notify(kind: CsmMessageKind, recipients: Recipient[], opts: { changes?: string[]; analysisRevision?: number } = {}): Promise<NotifyResult[]> {
    if (recipients.length === 0) return [];
    const s = this.s;
    const base: Omit<CsmMessageBatch, 'recipients'> = {
      kind, incident: s.incident, totals: s.totals, dashboardUrl: this.settings.dashboardUrl, changes: opts.changes, analysisRevision: opts.analysisRevision,
    };
    const batches = await Promise.all(chunks(recipients, BATCH).map(async (batch) => {
      try {
        return await slack.sendCsmMessages({ ...base, recipients: batch.map((r) => ({ csmEmail: r.csm.email, idempotencyKey: r.key, thread: r.thread })) });
      } catch (err) {
        if (isCancellation(err)) throw err;
        const dataError = dataErrorMessage(err);
        const failed: NotifyResult = { status: 'failed', error: errorMessage(err), sentAt: this.now(), ...(dataError === undefined ? {} : { dataError }) };
        return batch.map(() => failed);
      }
    }));
    const results = batches.flat();
    const refused = results.find((r) => r.dataError !== undefined);
    if (refused) await this.problem(`${kind} messages`, refused.dataError!);
    recipients.forEach((r, i) => {
      const result = results[i]!;
      const current = this.csm(r.csm.email);
      if (current && result.status !== 'skipped') current.notifyError = delivered(result) ? current.notifyError : `${kind}: ${result.error ?? 'not delivered'}`;
      if (result.status === 'failed') log.warn('CSM notification not delivered', { kind, csm: r.csm.email, error: result.error });
    });
    return results;
  }

  /**
   * Customer emails for many CSMs (drafts in their mailboxes, or sent), in batches; outreach moves
   * in Postgres. Never throws (except on cancellation): a batch that gave up counts its CSMs as
   * failed. Call inside the outreach lock.
   */
  async emails(kind: 'outreach' | 'resolution', send: boolean, audience: EmailAudience, actor: string,
    csms: { email: string; prefix: string }[]): Promise<EmailBatchResult & { errors: string[] }> {
    const s = this.s;
    const total = { done: 0, failed: 0, errors: [] as string[] };
    let refused: string | undefined;
    await Promise.all(chunks(csms, BATCH).map(async (batch) => {
      try {
        const results = await gmail.prepareEmailsForCsms({
          kind, send, incident: s.incident, audience, actor, csms: batch.map((c) => ({ csmEmail: c.email, idempotencyPrefix: c.prefix })),
        });
        results.forEach((r, i) => {
          total.done += r.done;
          total.failed += r.failed;
          if (r.error) total.errors.push(`${batch[i]!.email}: ${r.error}`);
          if (r.dataError !== undefined) refused ??= r.dataError;
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        log.warn('customer emails failed', { kind, csms: batch.length, error: errorMessage(err) });
        total.errors.push(...batch.map((c) => `${c.email}: ${errorMessage(err)}`));
        refused ??= dataErrorMessage(err);
      }
    }));
    if (refused !== undefined) await this.problem(`${kind} emails`, refused);
    return total;
  }
}
