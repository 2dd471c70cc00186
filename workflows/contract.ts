/**
 * The contract between Forewarn's callers (API, Slack buttons, schedules) and its workflows:
 * task queue, workflow ids, and every signal, query and update. Callers import only this file.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AffectedCustomer, Csm, Incident, IncidentEvent, IncidentSource, OutreachStatus,
} from '../domain/types';

export const DEFAULT_TASK_QUEUE = 'forewarn-incidents';

export function incidentWorkflowId(source: IncidentSource, externalId: string): string {
  return `incident:${source}:${externalId}`;
}

/** Settings the starter passes in (from config), so the workflow never reads the environment. */
export interface IncidentSettings {
  escalationMinutes: number;
  updateCadenceMinutes: number;
  followUpHours: number;
  postMortemHours: number;
  sendResolutionEmails: boolean;
  dashboardUrl: string;
}

export interface IncidentWorkflowInput {
  settings: IncidentSettings;
  /** Set when the workflow continues as new: everything it knew. */
  carried?: IncidentState;
  /** Set when the workflow continues as new: events received but not applied yet. */
  pending?: IncidentEvent[];
  /**
   * Tests only: continue as new once the history has this many events, as if Temporal had
   * suggested it. Production leaves it unset and follows `workflowInfo().continueAsNewSuggested`.
   */
  continueAsNewAtHistoryLength?: number;
}

export interface CustomerState extends AffectedCustomer {
  outreachStatus: OutreachStatus;
  outreachNote?: string;
  outreachUpdatedAt?: string;
  csmNotifiedAt?: string;
  customerNotifiedAt?: string;
  resolutionNotifiedAt?: string;
  /** false once a re-analysis no longer finds the customer affected (kept, not deleted). */
  stillAffected: boolean;
  /** Why the last email for this customer failed (no contact, invalid address...); not retried automatically. */
  outreachError?: string;
}

export interface CsmState extends Csm {
  alertedAt?: string;
  /** The DM that holds this incident's alert; later changes are posted in its thread. */
  thread?: { channel: string; ts: string };
  acknowledgedAt?: string;
  escalatedAt?: string;
  resolutionNotifiedAt?: string;
  /** When the CSM last moved one of their customers' outreach themselves (Forewarn's own drafts do not count). */
  actedAt?: string;
  /** P1/P2: when to escalate to the manager if the CSM has neither acknowledged nor acted by then. */
  escalationDueAt?: string;
  /** The last notification that could not be delivered (user not found...); others are not held up. */
  notifyError?: string;
  /** After resolution: when this CSM's follow-up reminder is due ("Schedule Follow-ups" moves it). */
  followUpDueAt?: string;
  followUpDoneAt?: string;
  postMortemRemindedAt?: string;
}

export type IncidentPhase = 'active' | 'resolved' | 'completed';

export interface IncidentState {
  incident: Incident;
  phase: IncidentPhase;
  customers: CustomerState[];
  csms: CsmState[];
  warRoom?: { channelId: string; name: string };
  totals: { customers: number; arrAtRisk: number; businessImpact: number; highImpact: number };
  detectedAt: string;
  firstAlertAt?: string;
  lastAlertAt?: string;
  followUpDueAt?: string;
  postMortemDueAt?: string;
  /** Per field, the occurredAt of the last applied event: older events change nothing. */
  appliedAt: Record<string, string>;
  /** Delivery ids already applied (bounded; oldest dropped). */
  deliveryIds: string[];
  /** Bumped on every change notified to CSMs; part of each notification's idempotency key. */
  revision: number;
  /** Last change of the public update text (or detection): the P1 update cadence counts from here. */
  lastPublicUpdateAt?: string;
  /** P1 while active: when CSMs are reminded that no public update came. */
  nextUpdateReminderAt?: string;
  postMortemRemindedAt?: string;
  /** How many times this incident's workflow continued as new. */
  continuedAsNew?: number;
}

/**
 * signalWithStart options for an incident event, shared by every caller. A finished incident is
 * not started again by a late event (a PagerDuty annotation days after the follow-ups would
 * otherwise re-alert every CSM): REJECT_DUPLICATE makes Temporal refuse, and callers record the
 * event as ignored.
 */
export function incidentStartOptions(event: IncidentEvent, settings: IncidentSettings, taskQueue: string) {
  return {
    workflowId: incidentWorkflowId(event.source, event.externalId),
    taskQueue,
    args: [{ settings }] as [IncidentWorkflowInput],
    signal: incidentEventSignal,
    signalArgs: [event] as [IncidentEvent],
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
  };
}

// ---- signals -------------------------------------------------------------------------------
/** Every source's event, sent with signalWithStart. */
export const incidentEventSignal = defineSignal<[IncidentEvent]>('incidentEvent');

export interface AcknowledgeInput { csmEmail?: string; slackUserId?: string }
export const acknowledgeSignal = defineSignal<[AcknowledgeInput]>('acknowledge');

/** "Join War Room" button: invite the clicking Slack user to the coordination channel. */
export interface JoinWarRoomInput { slackUserId: string }
export const joinWarRoomSignal = defineSignal<[JoinWarRoomInput]>('joinWarRoom');

// ---- queries -------------------------------------------------------------------------------
export const stateQuery = defineQuery<IncidentState>('state');

// ---- updates -------------------------------------------------------------------------------
export interface SetOutreachStatusInput { customerId: string; status: OutreachStatus; note?: string; actor?: string }
export interface SetOutreachStatusResult { customerId: string; previous: OutreachStatus; status: OutreachStatus }
/** Validated: unknown customer or invalid transition is rejected with a message a person can act on. */
export const setOutreachStatusUpdate = defineUpdate<SetOutreachStatusResult, [SetOutreachStatusInput]>('setOutreachStatus');

/** "Draft Customer Emails": drafts for the CSM's customers still pending (every impact level). */
export interface DraftEmailsInput { csmEmail?: string; slackUserId?: string; actor?: string }
export interface DraftEmailsResult { drafted: number; customerIds: string[] }
export const draftEmailsUpdate = defineUpdate<DraftEmailsResult, [DraftEmailsInput]>('draftEmails');

/** "Send Resolution Emails": resolution emails for the CSM's contacted customers (only once resolved). */
export const sendResolutionEmailsUpdate = defineUpdate<DraftEmailsResult, [DraftEmailsInput]>('sendResolutionEmails');

/** "Schedule Follow-ups": moves the CSM's follow-up reminder to now + delay, or confirms it. */
export interface ScheduleFollowUpsInput { csmEmail?: string; slackUserId?: string; inHours?: number }
export interface ScheduleFollowUpsResult { dueAt: string }
export const scheduleFollowUpsUpdate = defineUpdate<ScheduleFollowUpsResult, [ScheduleFollowUpsInput]>('scheduleFollowUps');

/**
 * `ApplicationFailure` types the update validators reject with (its message says what to do).
 * The API turns them into HTTP statuses: unknownCustomer → 404, invalidTransition and notAllowed → 409.
 */
export const UPDATE_REJECTIONS = {
  /** The customer is not among the incident's affected customers. */
  unknownCustomer: 'UnknownCustomer',
  /** The outreach state machine does not allow this move (e.g. pending → responded). */
  invalidTransition: 'InvalidTransition',
  /** Not possible in the incident's current phase (e.g. resolution emails before resolution), or unknown CSM. */
  notAllowed: 'UpdateNotAllowed',
} as const;

// ---- detection workflows ------------------------------------------------------------------
export const STATUSPAGE_SYNC_SCHEDULE_ID = 'forewarn-statuspage-sync';
export const STATUSPAGE_SYNC_WORKFLOW_ID = 'statuspage-sync';

export function supportDetectorWorkflowId(componentKey: string): string {
  return `support-detector:${componentKey}`;
}

export interface SupportTicket {
  ticketId: string;
  customerExternalId: string;
  subject: string;
  tags: string[];
  createdAt: string;
  /** Component keys the ticket was matched to. */
  components: string[];
}
export const supportTicketSignal = defineSignal<[SupportTicket]>('supportTicket');

/** An incident the detectors send events to (opened by them, or found open on the component). */
export interface IncidentRef { workflowId: string; source: IncidentSource; externalId: string; title?: string }

/** One support-detector run per component (workflow id `supportDetectorWorkflowId(key)`). */
export interface SupportDetectorInput {
  componentKey: string;
  threshold: number;
  windowMinutes: number;
  /** Set when the detector continues as new. */
  carried?: SupportDetectorState;
}

export interface SupportDetectorState {
  componentKey: string;
  /** Tickets inside the window, with the time Forewarn received them. */
  tickets: (SupportTicket & { receivedAt: string })[];
  /** Ticket ids already added to an incident (opened or found open). */
  reportedTicketIds: string[];
  /** The incident this run sends its tickets to, once the spike opened or found one. */
  attachedTo?: IncidentRef;
  incidentsOpened: number;
}
export const supportDetectorStateQuery = defineQuery<SupportDetectorState>('supportDetectorState');

export interface StatuspageSyncResult { fetched: number; forwarded: number; duplicates: number; workflowIds: string[] }

// ---- search attributes (the ops view in the Temporal UI) ------------------------------------
export const SEARCH_ATTRIBUTES = {
  severity: defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('IncidentStatus', SearchAttributeType.KEYWORD),
  source: defineSearchAttributeKey('IncidentSource', SearchAttributeType.KEYWORD),
  components: defineSearchAttributeKey('AffectedComponents', SearchAttributeType.KEYWORD_LIST),
  arrAtRisk: defineSearchAttributeKey('ArrAtRisk', SearchAttributeType.DOUBLE),
  impactedCustomers: defineSearchAttributeKey('ImpactedCustomers', SearchAttributeType.INT),
} as const;

/** Name → CLI type, for `temporal server start-dev --search-attribute` and `operator search-attribute create`. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'KeywordList' | 'Double' | 'Int'> = {
  IncidentSeverity: 'Keyword',
  IncidentStatus: 'Keyword',
  IncidentSource: 'Keyword',
  AffectedComponents: 'KeywordList',
  ArrAtRisk: 'Double',
  ImpactedCustomers: 'Int',
};

/** Workflow type names, for callers that start workflows without importing workflow code. */
export const WORKFLOW_TYPES = {
  incident: 'incidentWorkflow',
  statuspageSync: 'statuspageSyncWorkflow',
  supportDetector: 'supportDetectorWorkflow',
} as const;
