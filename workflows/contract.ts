/**
 * The contract between Forewarn's callers (API, Slack buttons, schedules) and its workflows:
 * task queue, workflow ids, and every signal, query and update. Callers import only this file.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { IncidentSettings, IncidentState } from '../domain/incident/model';
import type { LinkedSource } from '../domain/incident/sources';
import { incidentWorkflowId, parseIncidentWorkflowId } from '../domain/correlation';
import type { IncidentEvent, IncidentSource, OutreachStatus } from '../domain/types';

export type { IncidentSettings } from '../domain/incident/model';

export const DEFAULT_TASK_QUEUE = 'forewarn-incidents';

export { incidentWorkflowId } from '../domain/correlation';

export interface IncidentWorkflowInput {
  settings: IncidentSettings;
  /**
   * The source incident the workflow is named after (`incident:<source>:<external id>`). Correlation may
   * deliver another source's event first (their signals race); the incident still takes this identity.
   */
  opens?: { source: IncidentSource; externalId: string };
  /** Set when the workflow continues as new: everything it knew (bounded: see domain/incident/model.ts). */
  carried?: IncidentState;
  /** Set when the workflow continues as new: events received but not applied yet. */
  pending?: IncidentEvent[];
  /**
   * Set when a late event reopens an incident whose workflow had finished (`incidentReopenOptions`): the
   * new run restores what it needs from Postgres (the incident, the CSMs alerted and their threads) before
   * applying the event, so it is the same incident, not a new one.
   */
  reopen?: boolean;
  /**
   * Tests only: continue as new once the history has this many events, as if Temporal had
   * suggested it. Production leaves it unset and follows `workflowInfo().continueAsNewSuggested`.
   */
  continueAsNewAtHistoryLength?: number;
}

/**
 * signalWithStart options for an incident event, shared by every caller. A finished incident is
 * not started again by a late event (a PagerDuty annotation days after the follow-ups would
 * otherwise re-alert every CSM): REJECT_DUPLICATE makes Temporal refuse, and callers record the
 * event as ignored.
 */
export function incidentStartOptions(
  event: IncidentEvent, settings: IncidentSettings, taskQueue: string,
  /**
   * The incident correlation chose (db/incident-routing.ts), or the one a person acts on (the incident row's
   * workflow id); by default the one the event's own source incident opens.
   */
  workflowId = incidentWorkflowId(event.source, event.externalId),
) {
  return {
    workflowId,
    taskQueue,
    args: [{ settings, opens: parseIncidentWorkflowId(workflowId) }] as [IncidentWorkflowInput],
    signal: incidentEventSignal,
    signalArgs: [event] as [IncidentEvent],
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
  };
}

/**
 * For an event that reopens (`event.reopens`) an incident whose workflow has finished: the same start,
 * but Temporal may start a new run of the workflow id (ALLOW_DUPLICATE), told to restore the incident.
 * db/deliveries.ts uses it only after the REJECT_DUPLICATE start was refused.
 */
export function incidentReopenOptions(options: ReturnType<typeof incidentStartOptions>) {
  return {
    ...options,
    args: [{ ...options.args[0], reopen: true }] as [IncidentWorkflowInput],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
  };
}

/** The start of an incident event for db/deliveries.ts: with its reopening alternative when the event reopens. */
export function incidentEventStart(event: IncidentEvent, settings: IncidentSettings, taskQueue: string, workflowId?: string) {
  const options = incidentStartOptions(event, settings, taskQueue, workflowId);
  return {
    workflowType: WORKFLOW_TYPES.incident,
    options,
    ...(event.reopens ? { whenClosed: incidentReopenOptions(options) } : {}),
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

/**
 * Outreach is recorded in Postgres (db/outreach.ts) by the API and Slack; the workflow only hears
 * that a CSM acted on a customer, which cancels their escalation when the customer is high impact.
 */
export interface OutreachRecordedInput { csmEmail: string; customerId: string; impactLevel: string; status: OutreachStatus; at: string }
export const outreachRecordedSignal = defineSignal<[OutreachRecordedInput]>('outreachRecorded');

/**
 * Merge and split (api/incident-correlation.ts; docs/incident-workflow.md "Merge and split"). The API has
 * already pointed the routes at their new incident; these tell the workflows.
 * - `mergeInto` to the incident merged away (B): it hands its sources and its CSMs' alert threads to `into`
 *   (A) with `absorbIncident`, forwards any event it still holds, records the merge and ends;
 * - `absorbIncident` to A: B's sources join; CSMs alerted by B keep B's thread (never a second alert), and
 *   every alerted CSM hears of the merge in the thread they know;
 * - `detachSource` to A: the source incident leaves it (its own incident is started by the API).
 */
export interface MergeIntoInput { into: string; intoTitle: string; actor: string }
export const mergeIntoSignal = defineSignal<[MergeIntoInput]>('mergeInto');

/** What B hands A: bounded by its sources (MAX_LINKED_SOURCES) and its alerted CSMs. */
export interface AbsorbIncidentInput {
  from: string;
  title: string;
  actor: string;
  sources: LinkedSource[];
  alerted: { email: string; slackUserId?: string; alertedAt: string; thread?: { channel: string; ts: string } }[];
}
export const absorbIncidentSignal = defineSignal<[AbsorbIncidentInput]>('absorbIncident');

export interface DetachSourceInput { source: IncidentSource; externalId: string; into: string; actor: string }
export const detachSourceSignal = defineSignal<[DetachSourceInput]>('detachSource');

// ---- queries -------------------------------------------------------------------------------

export const stateQuery = defineQuery<IncidentState>('state');

// ---- updates -------------------------------------------------------------------------------
export interface SetOutreachStatusInput { customerId: string; status: OutreachStatus; note?: string; actor?: string }
export interface SetOutreachStatusResult { customerId: string; previous: OutreachStatus; status: OutreachStatus }
/**
 * Incidents started before outreach moved to Postgres (workflows/incident-v1/) still take outreach
 * through this update: validated, an unknown customer or invalid transition is rejected with a
 * message a person can act on.
 */
export const setOutreachStatusUpdate = defineUpdate<SetOutreachStatusResult, [SetOutreachStatusInput]>('setOutreachStatus');

/** "Draft Customer Emails": drafts for the CSM's customers still pending (every impact level). */
export interface DraftEmailsInput { csmEmail?: string; slackUserId?: string; actor?: string }
/** How many customers have a draft (or, for resolution emails, a sent email) now, and how many failed. */
export interface DraftEmailsResult { drafted: number; failed: number }
export const draftEmailsUpdate = defineUpdate<DraftEmailsResult, [DraftEmailsInput]>('draftEmails');

/** "Send Resolution Emails": resolution emails for the CSM's contacted customers (only once resolved). */
export const sendResolutionEmailsUpdate = defineUpdate<DraftEmailsResult, [DraftEmailsInput]>('sendResolutionEmails');

/** "Schedule Follow-ups": moves the CSM's follow-up reminder to now + delay, or confirms it. */
export interface ScheduleFollowUpsInput { csmEmail?: string; slackUserId?: string; inHours?: number }
export interface ScheduleFollowUpsResult { dueAt: string }
export const scheduleFollowUpsUpdate = defineUpdate<ScheduleFollowUpsResult, [ScheduleFollowUpsInput]>('scheduleFollowUps');

/**
 * Dismiss a suspected incident as a false alarm (validated: a confirmed, resolved or closed incident
 * is refused with the reason). Answers once the incident is dismissed and its alerted CSMs were told.
 */
export interface DismissInput { actor: string; reason?: string }
export interface DismissResult { dismissedAt: string; csmsTold: number }
export const dismissUpdate = defineUpdate<DismissResult, [DismissInput]>('dismiss');

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
/** Reads CSMs' Gmail for sent Forewarn drafts and customer replies (GMAIL_TRACK_SECONDS). */
export const OUTREACH_TRACKING_SCHEDULE_ID = 'forewarn-outreach-tracking';
export const OUTREACH_TRACKING_WORKFLOW_ID = 'outreach-tracking';

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

/** One run of the outreach tracking: rows read, moves to sent and responded, mailboxes Gmail would not let us read. */
export interface OutreachTrackingResult { checked: number; sent: number; responded: number; skippedMailboxes: string[] }
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
  /** Every new incident. */
  incident: 'incidentWorkflowV2',
  /** Incidents started before the customer list moved to Postgres, draining (workflows/incident-v1/). */
  incidentV1: 'incidentWorkflow',
  statuspageSync: 'statuspageSyncWorkflow',
  supportDetector: 'supportDetectorWorkflow',
  outreachTracking: 'outreachTrackingWorkflow',
} as const;
