/** What every CSM-facing Slack message is rendered from. */
import type { Incident } from '../types';
import type { MessageCustomer } from './customer-list';
import type { ApprovedMessage } from './templates';

export interface IncidentTotals { customers: number; arrAtRisk: number; businessImpact: number; highImpact: number }

export interface CsmMessageInput {
  incident: Incident;
  /** Whoever receives the DM (the CSM; for an escalation, their manager). */
  recipient: { name: string; email: string };
  /** Escalation only: the CSM who has not reacted. */
  silentCsm?: { name: string; email: string };
  /** The recipient's customers (for an escalation, the silent CSM's). */
  customers: MessageCustomer[];
  /** Incident-wide totals. */
  totals: IncidentTotals;
  dashboardUrl: string;
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

/** P1 and P2 have a coordination channel, so their messages offer "Join War Room". */
export function hasWarRoom(incident: Incident): boolean {
  return incident.severity === 'P1' || incident.severity === 'P2';
}
