/**
 * The activities the workflows call, as types only: workflows `import type` this file and
 * proxy it; `createActivities(deps)` in index.ts implements it.
 */
import type {
  AffectedCustomer, Csm, Incident, OutreachStatus,
} from '../domain/types';
import type { CsmState, CustomerState, IncidentState } from '../workflows/contract';

export type TimelineKind =
  | 'created' | 'status' | 'severity' | 'components' | 'regions' | 'message' | 'note' | 'alert' | 'update_posted'
  | 'war_room' | 'drafts' | 'escalation' | 'acknowledged' | 'outreach' | 'resolution' | 'reopened'
  | 'follow_up' | 'post_mortem' | 'update_reminder' | 'support_tickets';

export interface TimelineEntry {
  kind: TimelineKind;
  summary: string;
  details?: Record<string, unknown>;
  actor?: string;
  occurredAt: string;
  /** Unique per entry; makes a retried write a no-op. */
  dedupeKey: string;
}

/** Kinds of message a CSM gets in Slack; each has its renderer in domain/. */
export type CsmMessageKind = 'alert' | 'update' | 'resolution' | 'follow_up' | 'post_mortem' | 'update_reminder' | 'escalation';

export interface NotifyResult {
  status: 'sent' | 'dry_run' | 'failed' | 'duplicate';
  channel?: string;
  ts?: string;
  error?: string;
  sentAt: string;
}

export interface EmailResult {
  customerId: string;
  status: 'drafted' | 'sent' | 'dry_run' | 'failed' | 'duplicate';
  ref?: string;
  error?: string;
}

export interface IncidentActivities {
  /** Upserts product_incidents (by source + external id) with the current totals. */
  recordIncident(input: { incident: Incident; totals: IncidentState['totals']; detectedAt: string; warRoomChannelId?: string;
    resolutionNotifiedAt?: string; followUpAt?: string; postMortemRemindedAt?: string }): Promise<void>;
  recordTimeline(input: { incidentId: string; entries: TimelineEntry[] }): Promise<void>;
  /**
   * One SQL round trip for the candidates, scored in domain/, persisted to incident_customer_impact
   * (customers no longer affected are marked impact 'none', not deleted). Returns the affected
   * customers in priority order and their CSMs.
   */
  analyzeImpact(input: { incident: Incident; now: string }): Promise<{ customers: AffectedCustomer[]; csms: Csm[] }>;
  saveOutreach(input: { incidentId: string; customerId: string; status: OutreachStatus; note?: string; actor?: string; at: string;
    csmNotifiedAt?: string; customerNotifiedAt?: string }): Promise<void>;
  /** Persists notification times for many customers at once (after alerts / resolution). */
  markCustomersNotified(input: { incidentId: string; customerIds: string[]; field: 'csm_notified_at' | 'resolution_notified_at' | 'followed_up_at'; at: string }): Promise<void>;
  /**
   * Renders the message for `kind` (domain/) and sends it as a DM (or as a thread reply when
   * `thread` is set) through the outbox: `idempotencyKey` already sent → 'duplicate', nothing sent.
   * For 'escalation', `csm` and `customers` are the silent CSM's; the DM goes to `csm.managerEmail`
   * (or the manager stored for that CSM), and 'failed' with error 'no_manager' when there is none.
   */
  notifyCsm(input: { idempotencyKey: string; kind: CsmMessageKind; incident: Incident; csm: CsmState; customers: CustomerState[];
    totals: IncidentState['totals']; dashboardUrl: string; thread?: { channel: string; ts: string }; changes?: string[] }): Promise<NotifyResult>;
  /** Creates (or finds) `incident-<short id>-response`, invites the given users, posts the summary once. */
  ensureWarRoom(input: { idempotencyKey: string; incident: Incident; memberSlackIds: string[]; memberEmails: string[];
    totals: IncidentState['totals']; dashboardUrl: string }): Promise<{ channelId: string; name: string } | null>;
  postToWarRoom(input: { idempotencyKey: string; channelId: string; incident: Incident; text: string }): Promise<NotifyResult>;
  inviteToWarRoom(input: { channelId: string; slackUserIds: string[] }): Promise<void>;
  /** Gmail drafts (or sends) in the CSM's mailbox, one per customer, through the outbox. */
  draftCustomerEmails(input: { idempotencyPrefix: string; kind: 'outreach' | 'resolution'; send: boolean; incident: Incident;
    csm: Csm; customers: CustomerState[] }): Promise<EmailResult[]>;
  recordFollowUp(input: { incidentId: string; kind: 'customer_follow_up' | 'post_mortem' | 'update_reminder' | 'escalation';
    csmEmail?: string; dueAt: string; status: 'scheduled' | 'done' | 'cancelled' }): Promise<void>;
}

/** Detection activities (status-page sync, support spikes) are typed in detection.ts. */
