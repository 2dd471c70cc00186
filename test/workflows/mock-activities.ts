/**
 * Activities for the incident workflow tests, typed from IncidentActivities: a small customer
 * base (three CSMs, seven customers), an outbox keyed by idempotency key like the real one (a
 * key already delivered answers 'duplicate' and sends nothing), and a log of every call.
 */
import type {
  CsmMessageKind, EmailResult, IncidentActivities, NotifyResult, TimelineEntry,
} from '../../activities/types';
import type { AffectedCustomer, Csm, ImpactLevel, Incident } from '../../domain/types';

export const CSMS: Csm[] = [
  { email: 'ana@example.com', name: 'Ana Lopez', slackUserId: 'U_ANA', managerEmail: 'mo@example.com', timeZone: 'America/New_York' },
  { email: 'bo@example.com', name: 'Bo Chen', slackUserId: 'U_BO', managerEmail: 'mo@example.com' },
  { email: 'cy@example.com', name: 'Cy Park', slackUserId: 'U_CY', managerEmail: 'lee@example.com' },
];

interface SeedCustomer { id: string; name: string; arr: number; csmEmail: string; region: string; uses: Record<string, ImpactLevel>; contactEmail?: string }

const SEED: SeedCustomer[] = [
  { id: 'c-techcorp', name: 'TechCorp', arr: 500_000, csmEmail: 'ana@example.com', region: 'us', uses: { 'api-gateway': 'high' }, contactEmail: 'it@techcorp.example' },
  { id: 'c-globalinc', name: 'GlobalInc', arr: 350_000, csmEmail: 'ana@example.com', region: 'us', uses: { 'api-gateway': 'high' }, contactEmail: 'ops@globalinc.example' },
  { id: 'c-dataflow', name: 'DataFlow', arr: 200_000, csmEmail: 'ana@example.com', region: 'us', uses: { pipeline: 'medium', 'api-gateway': 'medium' }, contactEmail: 'cto@dataflow.example' },
  { id: 'c-startupxyz', name: 'StartupXYZ', arr: 50_000, csmEmail: 'bo@example.com', region: 'us', uses: { 'api-gateway': 'medium' }, contactEmail: 'hi@startupxyz.example' },
  { id: 'c-smallbiz', name: 'SmallBiz', arr: 25_000, csmEmail: 'bo@example.com', region: 'us', uses: { 'api-gateway': 'low' }, contactEmail: 'owner@smallbiz.example' },
  { id: 'c-shopco', name: 'ShopCo', arr: 120_000, csmEmail: 'bo@example.com', region: 'us', uses: { billing: 'high' }, contactEmail: 'fin@shopco.example' },
  { id: 'c-eurobank', name: 'EuroBank', arr: 800_000, csmEmail: 'cy@example.com', region: 'eu', uses: { billing: 'high' }, contactEmail: 'it@eurobank.example' },
];

const LEVEL_ORDER: Record<ImpactLevel, number> = { high: 0, medium: 1, low: 2, none: 3 };
const WEIGHT: Record<ImpactLevel, number> = { high: 1, medium: 0.5, low: 0.2, none: 0 };

/** Who the analysis finds: customers using an affected component, in the incident's regions if it names any. */
export function analyze(incident: Incident): { customers: AffectedCustomer[]; csms: Csm[] } {
  const customers = SEED
    .filter((c) => incident.regions.length === 0 || incident.regions.includes(c.region))
    .map((c) => {
      const levels = incident.components.map((k) => c.uses[k]).filter((l): l is ImpactLevel => Boolean(l));
      const level = levels.sort((a, b) => LEVEL_ORDER[a] - LEVEL_ORDER[b])[0];
      return level ? { c, level } : undefined;
    })
    .filter((x): x is { c: SeedCustomer; level: ImpactLevel } => Boolean(x))
    .sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] || b.c.arr - a.c.arr)
    .map(({ c, level }, i): AffectedCustomer => ({
      id: c.id, externalId: c.id.slice(2), name: c.name, arr: c.arr, segment: 'enterprise', region: c.region, csmEmail: c.csmEmail,
      contactEmail: c.contactEmail, impactLevel: level, reason: `${level} impact`, componentNames: Object.keys(c.uses),
      businessImpact: Math.round(c.arr * WEIGHT[level] * (incident.severity === 'P1' ? 0.01 : 0.005)), priorityRank: i + 1,
    }));
  const csms = CSMS.filter((m) => customers.some((c) => c.csmEmail === m.email));
  return { customers, csms };
}

type Name = keyof IncidentActivities;
export type InputOf<K extends Name> = Parameters<IncidentActivities[K]>[0];
export interface Call { name: Name; input: unknown; startedAt: number; endedAt?: number }
export interface Sent {
  key: string; kind: CsmMessageKind; to: string; customers: string[]; thread?: { channel: string; ts: string }; changes?: string[];
  /** Where it landed: a thread reply's parent is (channel, thread.ts). */
  channel: string; ts: string;
}
export interface Email { key: string; kind: 'outreach' | 'resolution'; send: boolean; csm: string; customerId: string }

export class MockActivities {
  readonly calls: Call[] = [];
  /** Slack messages actually delivered (at most one per idempotency key). */
  readonly sent: Sent[] = [];
  readonly emails: Email[] = [];
  readonly timeline: TimelineEntry[] = [];
  private readonly outbox = new Map<string, NotifyResult>();
  private ts = 1000;
  /** CSM emails whose notification is delivered and then the activity fails once (a lost response). */
  readonly crashAfterSendOnce = new Set<string>();
  /** CSM emails Slack does not know: notifications come back 'failed'. */
  readonly unknownInSlack = new Set<string>();
  /** Extra time saveOutreach takes, to prove updates wait for it. */
  saveOutreachDelayMs = 0;

  /** Inputs of every call of one activity, in call order (copied when called). */
  of<K extends Name>(name: K): InputOf<K>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input as InputOf<K>);
  }

  sentTo(email: string, kind?: CsmMessageKind): Sent[] {
    return this.sent.filter((m) => m.to === email && (!kind || m.kind === kind));
  }

  private track<K extends Name>(name: K, fn: IncidentActivities[K]): IncidentActivities[K] {
    return (async (input: InputOf<K>) => {
      const call: Call = { name, input: structuredClone(input), startedAt: Date.now() };
      this.calls.push(call);
      const result = await (fn as unknown as (i: InputOf<K>) => Promise<unknown>)(input);
      call.endedAt = Date.now();
      return result;
    }) as IncidentActivities[K];
  }

  activities(): IncidentActivities {
    return {
      recordIncident: this.track('recordIncident', async () => {}),
      recordTimeline: this.track('recordTimeline', async ({ entries }) => {
        for (const e of entries) if (!this.timeline.some((t) => t.dedupeKey === e.dedupeKey)) this.timeline.push(e);
      }),
      analyzeImpact: this.track('analyzeImpact', async ({ incident }) => analyze(incident)),
      saveOutreach: this.track('saveOutreach', async () => {
        if (this.saveOutreachDelayMs) await new Promise((r) => setTimeout(r, this.saveOutreachDelayMs));
      }),
      markCustomersNotified: this.track('markCustomersNotified', async () => {}),
      recordFollowUp: this.track('recordFollowUp', async () => {}),
      notifyCsm: this.track('notifyCsm', async (input) => {
        const done = this.outbox.get(input.idempotencyKey);
        if (done) return { ...done, status: 'duplicate' };
        if (this.unknownInSlack.has(input.csm.email)) return { status: 'failed', error: 'users_not_found', sentAt: new Date().toISOString() };
        const to = input.kind === 'escalation' ? input.csm.managerEmail ?? 'nobody' : input.csm.email;
        const ts = String(this.ts++);
        const result: NotifyResult = {
          status: 'sent', channel: input.thread?.channel ?? `D_${input.csm.slackUserId}`, ts, sentAt: new Date().toISOString(),
        };
        this.outbox.set(input.idempotencyKey, result);
        this.sent.push({
          key: input.idempotencyKey, kind: input.kind, to, customers: input.customers.map((c) => c.name), thread: input.thread, changes: input.changes,
          channel: result.channel!, ts,
        });
        if (this.crashAfterSendOnce.delete(input.csm.email)) throw new Error('connection reset after Slack accepted the message');
        return result;
      }),
      ensureWarRoom: this.track('ensureWarRoom', async () => ({ channelId: 'C_WAR', name: 'incident-q1abc-response' })),
      postToWarRoom: this.track('postToWarRoom', async (input) => ({ status: 'sent', channel: input.channelId, ts: String(this.ts++), sentAt: new Date().toISOString() })),
      inviteToWarRoom: this.track('inviteToWarRoom', async () => {}),
      draftCustomerEmails: this.track('draftCustomerEmails', async (input) => input.customers.map((c): EmailResult => {
        const key = `${input.idempotencyPrefix}:${c.id}`;
        if (this.emails.some((e) => e.key === key)) return { customerId: c.id, status: 'duplicate' };
        if (!c.contactEmail) return { customerId: c.id, status: 'failed', error: 'no contact email' };
        this.emails.push({ key, kind: input.kind, send: input.send, csm: input.csm.email, customerId: c.id });
        return { customerId: c.id, status: input.send ? 'sent' : 'drafted', ref: `draft-${key}` };
      })),
    };
  }
}
