/**
 * The state of incidents started before the customer list moved to Postgres (workflow type
 * `incidentWorkflow`, workflows/incident-v1/). Frozen: those incidents drain on the code they
 * started with, and their histories must keep replaying. New incidents use model.ts.
 */
import type { AffectedCustomer, Csm, Incident, OutreachStatus } from '../types';
import type { IncidentPhase, IncidentTotals } from './model';

export interface CustomerStateV1 extends AffectedCustomer {
  outreachStatus: OutreachStatus;
  outreachNote?: string;
  outreachUpdatedAt?: string;
  csmNotifiedAt?: string;
  customerNotifiedAt?: string;
  resolutionNotifiedAt?: string;
  /** false once a re-analysis no longer finds the customer affected (kept, not deleted). */
  stillAffected: boolean;
  outreachError?: string;
}

export interface CsmStateV1 extends Csm {
  alertedAt?: string;
  thread?: { channel: string; ts: string };
  acknowledgedAt?: string;
  escalatedAt?: string;
  resolutionNotifiedAt?: string;
  actedAt?: string;
  escalationDueAt?: string;
  notifyError?: string;
  followUpDueAt?: string;
  followUpDoneAt?: string;
  postMortemRemindedAt?: string;
}

export interface IncidentStateV1 {
  incident: Incident;
  phase: IncidentPhase;
  customers: CustomerStateV1[];
  csms: CsmStateV1[];
  warRoom?: { channelId: string; name: string };
  totals: IncidentTotals;
  detectedAt: string;
  firstAlertAt?: string;
  lastAlertAt?: string;
  followUpDueAt?: string;
  postMortemDueAt?: string;
  appliedAt: Record<string, string>;
  deliveryIds: string[];
  revision: number;
  lastPublicUpdateAt?: string;
  nextUpdateReminderAt?: string;
  postMortemRemindedAt?: string;
  continuedAsNew?: number;
}
