/**
 * The incident as Forewarn follows it: one definition used by the workflow, the activities and
 * the API. What grows with the customer base (each affected customer, its impact and outreach)
 * lives in Postgres (incident_customer_impact); this model holds only what is bounded by the
 * number of CSMs: per-CSM summaries, incident totals, deadlines and revisions.
 *
 * Size bound (docs/incident-workflow.md): a CSM summary is about 350 bytes of JSON at its
 * largest (alerted, threaded, escalated, followed up), so the state of an incident with 500
 * affected CSMs stays under 200 KB (115 KB measured), and about 700 CSMs fit comfortably under
 * 256 KB.
 */
import type { Incident } from '../types';
import type { LinkedSource } from './sources';

/** Totals over the customers affected now (the dashboard's and the search attributes' numbers). */
export interface IncidentTotals {
  customers: number;
  arrAtRisk: number;
  businessImpact: number;
  highImpact: number;
}

export const ZERO_TOTALS: IncidentTotals = { customers: 0, arrAtRisk: 0, businessImpact: 0, highImpact: 0 };

/** Kinds of message a CSM gets in Slack; each has its renderer in domain/messages. */
export type CsmMessageKind = 'alert' | 'update' | 'resolution' | 'follow_up' | 'post_mortem' | 'update_reminder' | 'escalation';

/** Settings the starter passes in (from config), so the workflow never reads the environment. */
export interface IncidentSettings {
  escalationMinutes: number;
  updateCadenceMinutes: number;
  followUpHours: number;
  postMortemHours: number;
  sendResolutionEmails: boolean;
  dashboardUrl: string;
  /**
   * A suspected incident (opened by the support-spike detector) with no new ticket or event for this
   * long is closed as dismissed. Absent in the input of incidents started before it existed: 120.
   */
  suspectedAutoCloseMinutes?: number;
}

/** One CSM's share of the incident, as the latest impact analysis found it. */
export interface CsmImpact {
  email: string;
  slackUserId?: string;
  /** Their customers affected now, the ARR of those, and how many of them are high impact. */
  customers: number;
  arrAtRisk: number;
  highImpact: number;
}

/** What the workflow keeps per CSM: their impact and what Forewarn did with them. */
export interface CsmSummary extends CsmImpact {
  alertedAt?: string;
  /** The DM that holds this incident's alert; later changes are posted in its thread. */
  thread?: { channel: string; ts: string };
  acknowledgedAt?: string;
  escalatedAt?: string;
  /** P1/P2: when to escalate to the manager if the CSM has neither acknowledged nor acted by then. */
  escalationDueAt?: string;
  /** When the CSM last moved one of their high-impact customers' outreach themselves. */
  actedAt?: string;
  resolutionNotifiedAt?: string;
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
  /** Every CSM who has (or had) affected customers in this incident, in order of first appearance. */
  csms: CsmSummary[];
  warRoom?: { channelId: string; name: string };
  totals: IncidentTotals;
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
  /**
   * Set once a second source incident joins (correlation): every linked source incident's own view, from
   * which `incident` is derived (domain/incident/sources.ts). Undefined while the incident has one source.
   */
  sources?: LinkedSource[];
  /**
   * Opened by the support-spike detector and not confirmed yet (no status or severity change by a
   * person or a source): it can be dismissed, and closes by itself at `autoCloseAt`.
   */
  suspected?: boolean;
  /** Suspected only: when it closes as dismissed unless a ticket or event comes first. */
  autoCloseAt?: string;
  /** When it was dismissed (by a person, or automatically after its quiet period). */
  dismissedAt?: string;
  /** Incidents merged into this one (their workflow ids; a repeated hand-over changes nothing). */
  mergedFrom?: string[];
  /** This incident was merged into another and ended: that one follows its sources and CSMs. */
  mergedInto?: { workflowId: string; title: string; at: string };
  /**
   * Set by a run that reopened the incident after its workflow had finished (restored from Postgres):
   * part of every idempotency key from then on, so its messages are new ones (workflows/incident-keys.ts).
   */
  reopenedAt?: string;
  /** How many times this incident's workflow continued as new. */
  continuedAsNew?: number;
  /** The latest parts of the incident Forewarn could not process (bounded: PROBLEMS_KEPT, messages truncated). */
  problems?: IncidentProblem[];
  /** Every problem so far, including those no longer kept in `problems`. */
  problemCount?: number;
}

/**
 * A part of the incident the workflow could not process because Postgres refused the data (an
 * IncidentDataError): the event or deadline work is skipped and the incident carries on.
 */
export interface IncidentProblem {
  /** Workflow time. */
  at: string;
  /** What was being done: `event <delivery id>`, `deadline work`, `alert messages`, `outreach emails`... */
  step: string;
  message: string;
}

export const PROBLEMS_KEPT = 5;
export const PROBLEM_MESSAGE_MAX = 500;

/**
 * What an impact analysis answers (computed and stored in Postgres in a few statements): the
 * totals, and per CSM with customers affected now or dropped by this analysis, their share and
 * how many of their customers this analysis added or dropped. CSMs are in the order of their most
 * important customer.
 */
export interface ImpactAssessment {
  totals: IncidentTotals;
  csms: (CsmImpact & { newlyAffected: number; noLongerAffected: number })[];
}

/** Which of a CSM's customers a batch of emails is for. */
export type EmailAudience =
  /** Automatic outreach drafts: high-impact customers still pending whose last email did not fail. */
  | 'high_pending'
  /** "Draft Customer Emails": every affected customer still pending (failed ones are tried again). */
  | 'pending'
  /** Resolution emails: every customer contacted so far (drafted, sent or responded), affected now or earlier. */
  | 'contacted';

/** What one batched email run did for one CSM. */
export interface EmailBatchResult {
  /** Customers whose draft (or sent email, when sending) exists now, including earlier attempts' work. */
  done: number;
  /** Customers whose email could not be created (no contact address, refused address...). */
  failed: number;
}
