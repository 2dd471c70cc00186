/**
 * The activities the workflows call, as types only: workflows `import type` this file and
 * proxy it; `createActivities(deps)` in index.ts implements it.
 *
 * Nothing here grows with the number of affected customers except the `…V1` activities, kept
 * for incidents started before the customer list moved to Postgres (workflows/incident-v1/).
 */
import type { LinkedSourceView } from '../domain/incident/sources';
import type {
  AffectedCustomer, Csm, Incident, OutreachStatus,
} from '../domain/types';
import type {
  CsmMessageKind, EmailAudience, EmailBatchResult, ImpactAssessment, IncidentProblem, IncidentState, IncidentTotals,
} from '../domain/incident/model';
import type { CsmStateV1, CustomerStateV1 } from '../domain/incident/v1';

export type { CsmMessageKind } from '../domain/incident/model';

export type TimelineKind =
  | 'created' | 'status' | 'severity' | 'components' | 'regions' | 'message' | 'note' | 'alert' | 'update_posted'
  | 'war_room' | 'drafts' | 'escalation' | 'acknowledged' | 'outreach' | 'resolution' | 'reopened'
  | 'follow_up' | 'post_mortem' | 'update_reminder' | 'support_tickets'
  | 'source_linked' | 'source_status' | 'merged' | 'split';

export interface TimelineEntry {
  kind: TimelineKind;
  summary: string;
  details?: Record<string, unknown>;
  actor?: string;
  occurredAt: string;
  /** Unique per entry; makes a retried write a no-op. */
  dedupeKey: string;
}

export interface NotifyResult {
  /** 'skipped': nothing to say to this CSM (e.g. a follow-up with no customer left to call). */
  status: 'sent' | 'dry_run' | 'failed' | 'duplicate' | 'skipped';
  channel?: string;
  ts?: string;
  error?: string;
  sentAt: string;
  /** 'failed' because Postgres refused the message's data (an IncidentDataError): retrying cannot help. */
  dataError?: string;
  /** 'email': Slack could not deliver it, the CSM got it by email (activities/fallback-email.ts). */
  via?: 'email';
}

export interface EmailResult {
  customerId: string;
  status: 'drafted' | 'sent' | 'dry_run' | 'failed' | 'duplicate';
  ref?: string;
  error?: string;
}

export interface CsmMessageInput {
  /** `<workflow id>:<kind>:<recipient>:<version>` (workflows/incident-keys.ts): one message per key, ever. */
  idempotencyKey: string;
  kind: CsmMessageKind;
  incident: Incident;
  /** The CSM the message is about (for an escalation the DM goes to their manager). */
  csmEmail: string;
  totals: IncidentTotals;
  dashboardUrl: string;
  thread?: { channel: string; ts: string };
  changes?: string[];
  /**
   * 'update' after a re-analysis: the analysis revision whose newly affected and no longer
   * affected customers of this CSM the message lists (read from incident_customer_impact).
   */
  analysisRevision?: number;
}

/** One kind of message to many CSMs (the same changes for all; each CSM's customers read by the activity). */
export interface CsmMessageBatch extends Omit<CsmMessageInput, 'idempotencyKey' | 'csmEmail' | 'thread'> {
  recipients: { csmEmail: string; idempotencyKey: string; thread?: { channel: string; ts: string } }[];
}

export type FollowUpKind = 'customer_follow_up' | 'post_mortem' | 'update_reminder' | 'escalation';

export interface IncidentActivities {
  /** Upserts product_incidents (by source + external id) with the current totals. */
  recordIncident(input: { incident: Incident; totals: IncidentTotals; detectedAt: string; warRoomChannelId?: string;
    resolutionNotifiedAt?: string; followUpAt?: string; postMortemRemindedAt?: string;
    /** A correlated incident's source incidents (bounded: MAX_LINKED_SOURCES). */
    sources?: LinkedSourceView[];
    /** Merged into another incident (its workflow id), which follows it from then on. */
    mergedInto?: { workflowId: string; at: string } }): Promise<void>;
  recordTimeline(input: { incidentId: string; entries: TimelineEntry[] }): Promise<void>;
  recordFollowUp(input: { incidentId: string; kind: FollowUpKind; csmEmail?: string; dueAt: string; status: 'scheduled' | 'done' | 'cancelled' }): Promise<void>;
  /** recordFollowUp for many CSMs at once (null: an incident-wide reminder). */
  recordFollowUps(input: { incidentId: string; kind: FollowUpKind; csmEmails: (string | null)[]; dueAt: string;
    status: 'scheduled' | 'done' | 'cancelled' }): Promise<void>;
  /**
   * A part of the incident the workflow could not process, on the incident row (last_problem...,
   * problem_count = `count`: a retry or an older count changes nothing). The text is made storable
   * first, and the row is created from the (made storable) incident when it does not exist yet.
   */
  recordIncidentProblem(input: { incident: Incident; problem: IncidentProblem; count: number }): Promise<void>;
  /**
   * A reopened incident's new run: the incident as its finished run left it in Postgres (phase completed,
   * the CSMs alerted and their threads, per-CSM shares, war room, latest revision); null when never recorded.
   */
  restoreIncident(input: { workflowId: string; now: string }): Promise<IncidentState | null>;

  /**
   * Impact analysis in Postgres: scores every customer using an affected component (the rules of
   * domain/impact.ts), upserts incident_customer_impact (stamping `revision` on customers newly
   * affected or no longer affected), and answers totals and per-CSM aggregates. No customer
   * crosses the activity boundary.
   */
  assessImpact(input: { incident: Incident; now: string; revision: number }): Promise<ImpactAssessment>;
  /** The business-impact estimate of every affected customer recomputed for the incident's real duration. */
  refreshBusinessImpact(input: { incident: Incident; now: string }): Promise<IncidentTotals>;
  /**
   * One Slack message about one CSM's customers, which the activity reads from Postgres (the top
   * ALERT_CUSTOMER_LIMIT by priority, "and N more" with a dashboard link), through the outbox:
   * a key already sent answers 'duplicate' and sends nothing. After an alert (or an update that
   * lists newly affected customers) it stamps csm_notified_at on those customers. For 'escalation'
   * the DM goes to the CSM's manager ('failed' with error 'no_manager' when there is none).
   */
  sendCsmMessage(input: CsmMessageInput): Promise<NotifyResult>;
  /**
   * sendCsmMessage for many CSMs in one activity (several at a time, heartbeating): one result per
   * recipient, in order. A CSM Slack refuses for good comes back 'failed' without holding up the
   * others; a transient error fails the attempt once the others are done, and the retry answers
   * 'duplicate' for what was already sent. Batches keep the workflow history small at 500 CSMs.
   */
  sendCsmMessages(input: CsmMessageBatch): Promise<NotifyResult[]>;
  /**
   * Gmail drafts (or sends) in the CSM's mailbox for `audience`, read from Postgres page by page,
   * one outbox row per customer (`<idempotencyPrefix>:<customer id>`), heartbeating its progress:
   * a retry after a crash resumes where the last attempt stopped and never creates a second copy.
   * Outreach moves in Postgres (pending → drafted; contacted → resolution_sent when sending).
   */
  prepareCustomerEmails(input: { idempotencyPrefix: string; kind: 'outreach' | 'resolution'; send: boolean; incident: Incident;
    csmEmail: string; audience: EmailAudience; actor: string }): Promise<EmailBatchResult>;
  /** prepareCustomerEmails for many CSMs in one activity; a CSM whose run fails for good gets `error`. */
  prepareEmailsForCsms(input: { kind: 'outreach' | 'resolution'; send: boolean; incident: Incident; audience: EmailAudience; actor: string;
    csms: { csmEmail: string; idempotencyPrefix: string }[] }): Promise<(EmailBatchResult & { error?: string; dataError?: string })[]>;

  ensureWarRoom(input: { idempotencyKey: string; incident: Incident; memberSlackIds: string[]; memberEmails: string[];
    totals: IncidentTotals; dashboardUrl: string }): Promise<{ channelId: string; name: string } | null>;
  postToWarRoom(input: { idempotencyKey: string; channelId: string; incident: Incident; text: string }): Promise<NotifyResult>;
  inviteToWarRoom(input: { channelId: string; slackUserIds: string[] }): Promise<void>;

  // ---- incidents started before the customer list moved to Postgres (workflows/incident-v1/) ----
  /** Like assessImpact, then answers every affected customer and their CSMs. */
  analyzeImpact(input: { incident: Incident; now: string }): Promise<{ customers: AffectedCustomer[]; csms: Csm[] }>;
  saveOutreach(input: { incidentId: string; customerId: string; status: OutreachStatus; note?: string; actor?: string; at: string;
    csmNotifiedAt?: string; customerNotifiedAt?: string }): Promise<void>;
  markCustomersNotified(input: { incidentId: string; customerIds: string[]; field: 'csm_notified_at' | 'resolution_notified_at' | 'followed_up_at'; at: string }): Promise<void>;
  notifyCsm(input: { idempotencyKey: string; kind: CsmMessageKind; incident: Incident; csm: CsmStateV1; customers: CustomerStateV1[];
    totals: IncidentTotals; dashboardUrl: string; thread?: { channel: string; ts: string }; changes?: string[] }): Promise<NotifyResult>;
  draftCustomerEmails(input: { idempotencyPrefix: string; kind: 'outreach' | 'resolution'; send: boolean; incident: Incident;
    csm: Csm; customers: CustomerStateV1[] }): Promise<EmailResult[]>;
}

/** Detection activities (status-page sync, support spikes) are typed in detection.ts. */
