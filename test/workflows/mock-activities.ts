/**
 * Activities for the incident workflow tests (workflow type incidentWorkflowV2), typed from
 * IncidentActivities and behaving like the real ones where it matters:
 * - an in-memory incident_customer_impact per incident (level, still affected, the analysis
 *   revisions that added or dropped each customer, outreach, CSM notified, email error), so
 *   `assessImpact` answers totals and per-CSM aggregates with newlyAffected / noLongerAffected as
 *   the SQL does, and tests check per-customer state here (the workflow no longer holds it);
 * - `sendCsmMessages` through an outbox keyed by idempotency key (a key already delivered answers
 *   'duplicate' and sends nothing), each message listing the customers the real activity reads for
 *   its kind;
 * - `prepareEmailsForCsms` drafting per customer for an audience and moving outreach;
 * - `changeOutreach`, the rules db/outreach.ts applies when the API records outreach;
 * - `restoreIncident`, what db/incident-restore.ts reads back for a reopened incident's new run (the
 *   incident as last recorded, each CSM's first alert and its thread, their shares, the war room);
 * - failure injection (including Postgres refusing an event's timeline: an IncidentDataError, as
 *   activities/data-errors.ts throws it) and a log of every call.
 * The default customer base is small (three CSMs, seven customers); `largeBase()` builds any size.
 */
import { ApplicationFailure } from '@temporalio/common';
import type {
  CsmMessageBatch, CsmMessageKind, IncidentActivities, NotifyResult, TimelineEntry,
} from '../../activities/types';
import type { CsmSummary, EmailAudience, EmailBatchResult, ImpactAssessment, IncidentState, IncidentTotals } from '../../domain/incident/model';
import { joinWords } from '../../domain/messages/format';
import { checkOutreachTransition, isContacted, needsFollowUp, OUTREACH_LABELS } from '../../domain/outreach';
import type { Csm, ImpactLevel, Incident, OutreachStatus } from '../../domain/types';

export interface SeedCustomer { id: string; name: string; arr: number; csmEmail: string; region: string; uses: Record<string, ImpactLevel>; contactEmail?: string }
export interface CustomerBase { csms: Csm[]; customers: SeedCustomer[] }

export const SMALL_BASE: CustomerBase = {
  csms: [
    { email: 'ana@example.com', name: 'Ana Lopez', slackUserId: 'U_ANA', managerEmail: 'mo@example.com', timeZone: 'America/New_York' },
    { email: 'bo@example.com', name: 'Bo Chen', slackUserId: 'U_BO', managerEmail: 'mo@example.com' },
    { email: 'cy@example.com', name: 'Cy Park', slackUserId: 'U_CY', managerEmail: 'lee@example.com' },
  ],
  customers: [
    { id: 'c-techcorp', name: 'TechCorp', arr: 500_000, csmEmail: 'ana@example.com', region: 'us', uses: { 'api-gateway': 'high' }, contactEmail: 'it@techcorp.example' },
    { id: 'c-globalinc', name: 'GlobalInc', arr: 350_000, csmEmail: 'ana@example.com', region: 'us', uses: { 'api-gateway': 'high' }, contactEmail: 'ops@globalinc.example' },
    { id: 'c-dataflow', name: 'DataFlow', arr: 200_000, csmEmail: 'ana@example.com', region: 'us', uses: { pipeline: 'medium', 'api-gateway': 'medium' }, contactEmail: 'cto@dataflow.example' },
    { id: 'c-startupxyz', name: 'StartupXYZ', arr: 50_000, csmEmail: 'bo@example.com', region: 'us', uses: { 'api-gateway': 'medium' }, contactEmail: 'hi@startupxyz.example' },
    { id: 'c-smallbiz', name: 'SmallBiz', arr: 25_000, csmEmail: 'bo@example.com', region: 'us', uses: { 'api-gateway': 'low' }, contactEmail: 'owner@smallbiz.example' },
    { id: 'c-shopco', name: 'ShopCo', arr: 120_000, csmEmail: 'bo@example.com', region: 'us', uses: { billing: 'high' }, contactEmail: 'fin@shopco.example' },
    { id: 'c-eurobank', name: 'EuroBank', arr: 800_000, csmEmail: 'cy@example.com', region: 'eu', uses: { billing: 'high' }, contactEmail: 'it@eurobank.example' },
  ],
};

/** `csms` CSMs with `perCsm` customers each, all on api-gateway (every tenth one high impact). */
export function largeBase(csms: number, perCsm: number): CustomerBase {
  const base: CustomerBase = { csms: [], customers: [] };
  for (let i = 0; i < csms; i++) {
    const email = `csm${String(i).padStart(4, '0')}@example.com`;
    base.csms.push({ email, name: `CSM ${i}`, slackUserId: `U_${i}`, managerEmail: `manager${i % 10}@example.com` });
    for (let j = 0; j < perCsm; j++) {
      base.customers.push({
        id: `cust-${i}-${j}`, name: `Customer ${i}-${j}`, arr: 10_000 + j * 100, csmEmail: email, region: 'us',
        uses: { 'api-gateway': j % 10 === 0 ? 'high' : 'medium' }, contactEmail: `it@customer-${i}-${j}.example`,
      });
    }
  }
  return base;
}

const LEVEL_ORDER: Record<ImpactLevel, number> = { high: 0, medium: 1, low: 2, none: 3 };
const WEIGHT: Record<ImpactLevel, number> = { high: 1, medium: 0.5, low: 0.2, none: 0 };

function estimate(c: SeedCustomer, level: ImpactLevel, incident: Incident, hours: number): number {
  return Math.round(c.arr * WEIGHT[level] * (incident.severity === 'P1' ? 0.01 : 0.005) * hours);
}

/** Who the analysis finds, in priority order: customers using an affected component, in the incident's regions if it names any. */
export function analyze(base: CustomerBase, incident: Incident): { c: SeedCustomer; level: ImpactLevel }[] {
  return base.customers
    .filter((c) => incident.regions.length === 0 || incident.regions.includes(c.region))
    .map((c) => {
      const levels = incident.components.map((k) => c.uses[k]).filter((l): l is ImpactLevel => Boolean(l));
      const level = levels.sort((a, b) => LEVEL_ORDER[a] - LEVEL_ORDER[b])[0];
      return level ? { c, level } : undefined;
    })
    .filter((x): x is { c: SeedCustomer; level: ImpactLevel } => Boolean(x))
    .sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] || b.c.arr - a.c.arr || (a.c.id < b.c.id ? -1 : 1));
}

/** One row of the in-memory incident_customer_impact. */
export interface ImpactRow {
  customerId: string;
  name: string;
  csmEmail: string;
  arr: number;
  /** The level the latest analysis that found the customer gave it. */
  level: ImpactLevel;
  stillAffected: boolean;
  priorityRank: number;
  businessImpact: number;
  /** The analysis revision that (last) found the customer affected, and the one that dropped it. */
  affectedRevision?: number;
  unaffectedRevision?: number;
  outreachStatus: OutreachStatus;
  outreachNote?: string;
  csmNotifiedAt?: string;
  outreachError?: string;
}

type Name = keyof IncidentActivities;
/** What the incident workflow v2 calls (the others belong to workflows/incident-v1 and the single-CSM forms). */
export type V2Activities = Pick<IncidentActivities, 'recordIncident' | 'recordTimeline' | 'recordFollowUps' | 'assessImpact' | 'refreshBusinessImpact'
  | 'sendCsmMessages' | 'prepareEmailsForCsms' | 'ensureWarRoom' | 'postToWarRoom' | 'inviteToWarRoom' | 'recordIncidentProblem' | 'restoreIncident'>;
type V2Name = keyof V2Activities;
export type InputOf<K extends Name> = Parameters<IncidentActivities[K]>[0];
export interface Call { name: Name; input: unknown; startedAt: number; endedAt?: number }
export interface Sent {
  key: string; kind: CsmMessageKind;
  /** Who got the DM (for an escalation, the manager), and the CSM it is about. */
  to: string; about: string;
  /** The customers the message lists, by name, in the order shown. */
  customers: string[];
  thread?: { channel: string; ts: string }; changes?: string[];
  /** Where it landed: a thread reply's parent is (channel, thread.ts). */
  channel: string; ts: string;
}
export interface Email { key: string; kind: 'outreach' | 'resolution'; send: boolean; csm: string; customerId: string; actor: string }
export interface FollowUpRow { kind: string; csmEmail: string | null; dueAt: string; status: string }

export type OutreachOutcome =
  | { ok: true; customerId: string; previous: OutreachStatus; status: OutreachStatus; noop: boolean; csmEmail: string; impactLevel: ImpactLevel }
  | { ok: false; reason: 'unknownCustomer' | 'invalidTransition'; message: string };

const CHANGED_NAMES_MAX = 10;

function namesLine(label: string, names: string[]): string[] {
  if (names.length === 0) return [];
  const shown = names.slice(0, CHANGED_NAMES_MAX);
  const rest = names.length - shown.length;
  return [`${label}: ${rest > 0 ? `${shown.join(', ')} and ${rest} more` : joinWords(shown)}`];
}

export class MockActivities {
  readonly calls: Call[] = [];
  /** Slack messages actually delivered (at most one per idempotency key). */
  readonly sent: Sent[] = [];
  readonly emails: Email[] = [];
  readonly timeline: TimelineEntry[] = [];
  /** incident id → customer id → row. */
  private readonly impact = new Map<string, Map<string, ImpactRow>>();
  private readonly titles = new Map<string, string>();
  private readonly outbox = new Map<string, NotifyResult>();
  private readonly byCsm = new Map<string, SeedCustomer[]>();
  private readonly csmsByEmail = new Map<string, Csm>();
  private readonly seeds = new Map<string, SeedCustomer>();
  private ts = 1000;
  /** CSM emails whose message is delivered and then the batch fails once (a lost response). */
  readonly crashAfterSendOnce = new Set<string>();
  /** CSM emails Slack does not know: their messages come back 'failed'. */
  readonly unknownInSlack = new Set<string>();
  /** Customer ids Gmail refuses (no usable contact address): their emails fail. */
  readonly refusedAddresses = new Set<string>();
  /**
   * Delivery ids whose timeline entries Postgres refuses: recordTimeline fails for good with an
   * IncidentDataError (as the real activities do on SQLSTATE class 22/23), on every attempt.
   */
  readonly refusedTimelineDeliveries = new Set<string>();

  constructor(readonly base: CustomerBase = SMALL_BASE) {
    for (const c of base.customers) this.byCsm.set(c.csmEmail, [...(this.byCsm.get(c.csmEmail) ?? []), c]);
    for (const m of base.csms) this.csmsByEmail.set(m.email, m);
    for (const c of base.customers) this.seeds.set(c.id, c);
  }

  /** Inputs of every call of one activity, in call order (copied when called). */
  of<K extends Name>(name: K): InputOf<K>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input as InputOf<K>);
  }

  sentTo(email: string, kind?: CsmMessageKind): Sent[] {
    return this.sent.filter((m) => m.to === email && (!kind || m.kind === kind));
  }

  /** Every follow-up row written, one per CSM, in call order. */
  followUps(): FollowUpRow[] {
    return this.of('recordFollowUps').flatMap((f) => f.csmEmails.map((csmEmail) => ({ kind: f.kind, csmEmail, dueAt: f.dueAt, status: f.status })));
  }

  /** The incident's customers as Postgres holds them, in priority order (no longer affected ones last). */
  customers(incidentId: string): ImpactRow[] {
    return [...(this.impact.get(incidentId)?.values() ?? [])]
      .sort((a, b) => Number(b.stillAffected) - Number(a.stillAffected) || a.priorityRank - b.priorityRank);
  }

  customer(incidentId: string, customerId: string): ImpactRow | undefined {
    return this.impact.get(incidentId)?.get(customerId);
  }

  /**
   * What db/outreach.ts changeOutreach does when the API or Slack records outreach: unknown
   * customer and refused moves come back with the message a person can act on; the current status
   * again is a no-op.
   */
  changeOutreach(incidentId: string, input: { customerId: string; status: OutreachStatus; note?: string; actor?: string; at: string }): OutreachOutcome {
    const row = this.customer(incidentId, input.customerId);
    if (!row) {
      return { ok: false, reason: 'unknownCustomer', message: `Customer ${input.customerId} is not among the customers affected by "${this.titles.get(incidentId) ?? incidentId}".` };
    }
    const check = checkOutreachTransition(row.outreachStatus, input.status, row.name);
    if (!check.ok) return { ok: false, reason: 'invalidTransition', message: check.reason };
    const base = { customerId: row.customerId, previous: row.outreachStatus, csmEmail: row.csmEmail, impactLevel: row.level };
    if (check.noop) return { ok: true, ...base, status: row.outreachStatus, noop: true };
    row.outreachStatus = input.status;
    if (input.note !== undefined) row.outreachNote = input.note;
    this.timeline.push({
      kind: 'outreach', summary: `Outreach to ${row.name}: ${OUTREACH_LABELS[input.status]}${input.note ? ` — ${input.note}` : ''}`,
      details: { customerId: row.customerId, status: input.status }, actor: input.actor, occurredAt: input.at,
      dedupeKey: `outreach:${incidentId}:${row.customerId}:${input.status}:${input.at}`,
    });
    return { ok: true, ...base, status: input.status, noop: false };
  }

  private rows(incidentId: string): Map<string, ImpactRow> {
    let rows = this.impact.get(incidentId);
    if (!rows) this.impact.set(incidentId, rows = new Map());
    return rows;
  }

  /** The CSM's customers in the incident, in priority order. */
  private mine(incidentId: string, csmEmail: string): ImpactRow[] {
    const rows = this.impact.get(incidentId);
    if (!rows) return [];
    return (this.byCsm.get(csmEmail) ?? []).map((c) => rows.get(c.id)).filter((r): r is ImpactRow => Boolean(r))
      .sort((a, b) => a.priorityRank - b.priorityRank);
  }

  /** The customers a `kind` message about this CSM lists (domain/messages/slice.ts: LIST_SCOPE). */
  private listFor(kind: CsmMessageKind, incidentId: string, csmEmail: string): ImpactRow[] {
    const mine = this.mine(incidentId, csmEmail);
    const affected = mine.filter((r) => r.stillAffected);
    if (kind === 'post_mortem') return mine;
    if (kind === 'follow_up') return affected.filter((r) => r.level === 'high' && needsFollowUp(r.outreachStatus));
    // The escalation names the silent CSM's high-impact accounts first.
    if (kind === 'escalation') return [...affected].sort((a, b) => Number(b.level === 'high') - Number(a.level === 'high') || a.priorityRank - b.priorityRank);
    return affected;
  }

  private audience(audience: EmailAudience, incidentId: string, csmEmail: string): ImpactRow[] {
    const mine = this.mine(incidentId, csmEmail);
    if (audience === 'high_pending') return mine.filter((r) => r.stillAffected && r.level === 'high' && r.outreachStatus === 'pending' && !r.outreachError);
    if (audience === 'pending') return mine.filter((r) => r.stillAffected && r.outreachStatus === 'pending');
    return mine.filter((r) => isContacted(r.outreachStatus));
  }

  private totals(incidentId: string): IncidentTotals {
    const live = [...this.rows(incidentId).values()].filter((r) => r.stillAffected);
    return {
      customers: live.length,
      arrAtRisk: live.reduce((s, r) => s + r.arr, 0),
      businessImpact: live.reduce((s, r) => s + r.businessImpact, 0),
      highImpact: live.filter((r) => r.level === 'high').length,
    };
  }

  private track<K extends V2Name>(name: K, fn: V2Activities[K]): V2Activities[K] {
    return (async (input: InputOf<K>) => {
      const call: Call = { name, input: structuredClone(input), startedAt: Date.now() };
      this.calls.push(call);
      const result = await (fn as unknown as (i: InputOf<K>) => Promise<unknown>)(input);
      call.endedAt = Date.now();
      return result;
    }) as V2Activities[K];
  }

  private assess({ incident, revision }: InputOf<'assessImpact'>): ImpactAssessment {
    this.titles.set(incident.id, incident.title);
    const rows = this.rows(incident.id);
    const found = analyze(this.base, incident);
    const seen = new Set<string>();
    const changed = new Map<string, { newlyAffected: number; noLongerAffected: number }>();
    const bump = (email: string, field: 'newlyAffected' | 'noLongerAffected') => {
      const c = changed.get(email) ?? { newlyAffected: 0, noLongerAffected: 0 };
      c[field] += 1;
      changed.set(email, c);
    };
    found.forEach(({ c, level }, i) => {
      seen.add(c.id);
      const row = rows.get(c.id);
      const fields = { level, priorityRank: i + 1, businessImpact: estimate(c, level, incident, 1) };
      if (!row) {
        rows.set(c.id, { customerId: c.id, name: c.name, csmEmail: c.csmEmail, arr: c.arr, stillAffected: true, affectedRevision: revision, outreachStatus: 'pending', ...fields });
        bump(c.csmEmail, 'newlyAffected');
      } else {
        if (!row.stillAffected) {
          row.stillAffected = true;
          row.affectedRevision = revision;
          bump(c.csmEmail, 'newlyAffected');
        }
        Object.assign(row, fields);
      }
    });
    for (const row of rows.values()) {
      if (row.stillAffected && !seen.has(row.customerId)) {
        row.stillAffected = false;
        row.unaffectedRevision = revision;
        bump(row.csmEmail, 'noLongerAffected');
      }
    }
    // Per CSM with customers affected now (in the order of their most important customer), then those only dropped.
    const order = new Set<string>();
    for (const { c } of found) order.add(c.csmEmail);
    for (const email of changed.keys()) order.add(email);
    const csms = [...order].map((email) => {
      const live = this.mine(incident.id, email).filter((r) => r.stillAffected);
      return {
        email, slackUserId: this.csmsByEmail.get(email)?.slackUserId,
        customers: live.length, arrAtRisk: live.reduce((s, r) => s + r.arr, 0), highImpact: live.filter((r) => r.level === 'high').length,
        newlyAffected: changed.get(email)?.newlyAffected ?? 0, noLongerAffected: changed.get(email)?.noLongerAffected ?? 0,
      };
    });
    return { totals: this.totals(incident.id), csms };
  }

  private sendBatch(input: CsmMessageBatch): NotifyResult[] {
    const crashed: string[] = [];
    const results = input.recipients.map((r): NotifyResult => {
      const done = this.outbox.get(r.idempotencyKey);
      if (done) return { ...done, status: 'duplicate' };
      const now = new Date().toISOString();
      if (this.unknownInSlack.has(r.csmEmail)) return { status: 'failed', error: 'users_not_found', sentAt: now };
      const csm = this.csmsByEmail.get(r.csmEmail);
      const to = input.kind === 'escalation' ? csm?.managerEmail : r.csmEmail;
      if (!to) return { status: 'failed', error: 'no_manager', sentAt: now };
      const list = this.listFor(input.kind, input.incident.id, r.csmEmail);
      if (input.kind === 'follow_up' && list.length === 0) return { status: 'skipped', sentAt: now };
      const changes = [...(input.changes ?? [])];
      const mine = this.mine(input.incident.id, r.csmEmail);
      const added = input.analysisRevision === undefined ? [] : mine.filter((c) => c.stillAffected && c.affectedRevision === input.analysisRevision);
      if (input.kind === 'update' && input.analysisRevision !== undefined) {
        const removed = mine.filter((c) => !c.stillAffected && c.unaffectedRevision === input.analysisRevision);
        changes.push(...namesLine('Now also affected', added.map((c) => c.name)), ...namesLine('No longer affected', removed.map((c) => c.name)));
      }
      const ts = String(this.ts++);
      const channel = r.thread?.channel ?? `D_${input.kind === 'escalation' ? to : csm?.slackUserId ?? r.csmEmail}`;
      const result: NotifyResult = { status: 'sent', channel, ts, sentAt: now };
      this.outbox.set(r.idempotencyKey, result);
      this.sent.push({
        key: r.idempotencyKey, kind: input.kind, to, about: r.csmEmail, customers: list.map((c) => c.name), thread: r.thread,
        changes: input.changes === undefined && changes.length === 0 ? undefined : changes, channel, ts,
      });
      // After an alert (or an update naming newly affected customers) those customers count as notified.
      if (input.kind === 'alert') for (const c of list) c.csmNotifiedAt ??= now;
      if (input.kind === 'update') for (const c of added) c.csmNotifiedAt ??= now;
      if (this.crashAfterSendOnce.delete(r.csmEmail)) crashed.push(r.csmEmail);
      return result;
    });
    if (crashed.length) throw new Error(`connection reset after Slack accepted the message for ${crashed.join(', ')}`);
    return results;
  }

  private prepareEmails(input: InputOf<'prepareEmailsForCsms'>): (EmailBatchResult & { error?: string })[] {
    return input.csms.map(({ csmEmail, idempotencyPrefix }) => {
      const result = { done: 0, failed: 0 };
      for (const row of this.audience(input.audience, input.incident.id, csmEmail)) {
        const key = `${idempotencyPrefix}:${row.customerId}`;
        if (this.emails.some((e) => e.key === key)) {
          result.done += 1;
          continue;
        }
        const seed = this.seeds.get(row.customerId);
        if (!seed?.contactEmail || this.refusedAddresses.has(row.customerId)) {
          row.outreachError = 'no usable contact address';
          result.failed += 1;
          continue;
        }
        this.emails.push({ key, kind: input.kind, send: input.send, csm: csmEmail, customerId: row.customerId, actor: input.actor });
        row.outreachError = undefined;
        if (input.kind === 'outreach' && row.outreachStatus === 'pending') row.outreachStatus = 'drafted';
        if (input.kind === 'resolution' && input.send && isContacted(row.outreachStatus)) row.outreachStatus = 'resolution_sent';
        result.done += 1;
      }
      return result;
    });
  }

  /** The finished incident of `workflowId` as Postgres holds it (db/incident-restore.ts), or null when never recorded. */
  private restore({ workflowId, now }: InputOf<'restoreIncident'>): IncidentState | null {
    const recorded = this.of('recordIncident').filter((r) => r.incident.workflowId === workflowId).at(-1);
    if (!recorded) return null;
    const { incident, totals, detectedAt, warRoomChannelId } = recorded;
    const firstAlerts = new Map<string, Sent>();
    for (const m of this.sent) {
      if (m.kind === 'alert' && m.key.startsWith(`${workflowId}:`) && !firstAlerts.has(m.about)) firstAlerts.set(m.about, m);
    }
    const csms: CsmSummary[] = [...firstAlerts.values()].map((m) => {
      const live = this.mine(incident.id, m.about).filter((r) => r.stillAffected);
      return {
        email: m.about, slackUserId: this.csmsByEmail.get(m.about)?.slackUserId,
        customers: live.length, arrAtRisk: live.reduce((n, r) => n + r.arr, 0), highImpact: live.filter((r) => r.level === 'high').length,
        alertedAt: this.outbox.get(m.key)?.sentAt ?? now, thread: { channel: m.channel, ts: m.ts },
      };
    });
    const rows = [...this.rows(incident.id).values()];
    const closedAt = incident.resolvedAt ?? now;
    return {
      incident, phase: 'completed', csms,
      ...(warRoomChannelId ? { warRoom: { channelId: warRoomChannelId, name: 'incident-q1abc-response' } } : {}),
      totals, detectedAt,
      ...(csms.length ? { firstAlertAt: csms.map((c) => c.alertedAt!).sort()[0] } : {}),
      appliedAt: { status: closedAt, resolvedAt: closedAt },
      deliveryIds: [],
      revision: Math.max(0, ...rows.map((r) => Math.max(r.affectedRevision ?? 0, r.unaffectedRevision ?? 0))),
      lastPublicUpdateAt: now,
      reopenedAt: now,
    };
  }

  activities(): V2Activities {
    return {
      recordIncident: this.track('recordIncident', async ({ incident }) => { this.titles.set(incident.id, incident.title); }),
      recordTimeline: this.track('recordTimeline', async ({ entries }) => {
        if (entries.some((e) => this.refusedTimelineDeliveries.has(String(e.details?.deliveryId)))) {
          throw ApplicationFailure.nonRetryable(
            'recordTimeline: Postgres refused the incident\'s data (SQLSTATE 22021): invalid byte sequence for encoding "UTF8": 0x00', 'IncidentDataError');
        }
        for (const e of entries) if (!this.timeline.some((t) => t.dedupeKey === e.dedupeKey)) this.timeline.push(e);
      }),
      recordFollowUps: this.track('recordFollowUps', async () => {}),
      assessImpact: this.track('assessImpact', async (input) => this.assess(input)),
      refreshBusinessImpact: this.track('refreshBusinessImpact', async ({ incident, now }) => {
        // The estimate for the incident's real duration (at least an hour, as at detection).
        const hours = Math.max(1, (Date.parse(incident.resolvedAt ?? now) - Date.parse(incident.startedAt)) / 3_600_000);
        for (const row of this.rows(incident.id).values()) {
          const seed = this.seeds.get(row.customerId)!;
          if (row.stillAffected) row.businessImpact = estimate(seed, row.level, incident, hours);
        }
        return this.totals(incident.id);
      }),
      sendCsmMessages: this.track('sendCsmMessages', async (input) => this.sendBatch(input)),
      prepareEmailsForCsms: this.track('prepareEmailsForCsms', async (input) => this.prepareEmails(input)),
      ensureWarRoom: this.track('ensureWarRoom', async () => ({ channelId: 'C_WAR', name: 'incident-q1abc-response' })),
      postToWarRoom: this.track('postToWarRoom', async (input) => ({ status: 'sent', channel: input.channelId, ts: String(this.ts++), sentAt: new Date().toISOString() })),
      inviteToWarRoom: this.track('inviteToWarRoom', async () => {}),
      recordIncidentProblem: this.track('recordIncidentProblem', async () => {}),
      restoreIncident: this.track('restoreIncident', async (input) => this.restore(input)),
    };
  }
}
