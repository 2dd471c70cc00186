/** What every CSM-facing Slack message is rendered from. */
import type { IncidentTotals } from '../incident/model';
import type { Incident } from '../types';
import type { MessageCustomer } from './customer-list';
import { listTotals, type ListTotals } from './slice';
import type { ApprovedMessage } from './templates';

export type { IncidentTotals } from '../incident/model';

export interface CsmMessageInput {
  incident: Incident;
  /** Whoever receives the DM (the CSM; for an escalation, their manager). */
  recipient: { name: string; email: string };
  /** Escalation only: the CSM who has not reacted. */
  silentCsm?: { name: string; email: string };
  /**
   * The first customers of the list this message is about (slice.ts: which customers, in which
   * order), shown as given: the first `customerLimit` are listed, the rest only counted.
   */
  customers: MessageCustomer[];
  /** Totals of the whole list (`customers` may be only its first part); default: computed from `customers`. */
  mine?: ListTotals;
  /** Incident-wide totals. */
  totals: IncidentTotals;
  dashboardUrl: string;
  /** Where "…and n more" leads: the whole list in the dashboard (csmCustomersUrl); default `dashboardUrl`. */
  listUrl?: string;
  approved: ApprovedMessage;
  /** Component key → display name. */
  componentNames?: Record<string, string>;
  /** IANA zone from the recipient's Slack profile; times are shown in UTC without it. */
  timeZone?: string;
  /** What changed (updates), or extra lines for reminders. */
  changes?: string[];
  /** How many customers a list shows before linking to the dashboard. */
  customerLimit: number;
  /** Rendering time (ISO), for durations; passed in so rendering stays pure. */
  now: string;
}

/** The totals of the message's whole list. */
export function listTotalsOf(input: Pick<CsmMessageInput, 'customers' | 'mine'>): ListTotals {
  return input.mine ?? listTotals(input.customers);
}

/** P1 and P2 have a coordination channel, so their messages offer "Join War Room". */
export function hasWarRoom(incident: Incident): boolean {
  return incident.severity === 'P1' || incident.severity === 'P2';
}

/** The dashboard's incident page filtered to one CSM's customers (api/dashboard/public/app.js routes). */
export function csmCustomersUrl(dashboardUrl: string, incidentId: string, csmEmail: string): string {
  return `${dashboardUrl}#/incidents/${encodeURIComponent(incidentId)}?csm=${encodeURIComponent(csmEmail)}`;
}
