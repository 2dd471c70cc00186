/**
 * Per-customer Slack buttons ("mark contacted", "mark responded"), next to the incident-wide ones
 * of actions.ts. They name a customer too, so the value carries both ids:
 *
 *   action_id = "forewarn:mark_contacted" | "forewarn:mark_responded"
 *   value     = "<workflow id>|<customer id>"   e.g. "incident:pagerduty:Q1ABC|6f1c…-uuid"
 *
 * The customer id (a uuid) never contains "|", so the value splits at its last "|".
 * mark_contacted sets outreach to `sent`, mark_responded to `responded` (the workflow validates the move).
 */
import type { OutreachStatus } from '../types';

export const CUSTOMER_ACTIONS = { mark_contacted: 'sent', mark_responded: 'responded' } as const satisfies Record<string, OutreachStatus>;
export type CustomerAction = keyof typeof CUSTOMER_ACTIONS;

const PREFIX = 'forewarn:';

export function customerActionId(action: CustomerAction): string {
  return `${PREFIX}${action}`;
}

export function customerActionValue(workflowId: string, customerId: string): string {
  return `${workflowId}|${customerId}`;
}

/** Reads a per-customer button; null when the element is something else. */
export function parseCustomerAction(element: { action_id?: string; value?: string }):
  { action: CustomerAction; workflowId: string; customerId: string; status: OutreachStatus } | null {
  const id = element.action_id ?? '';
  if (!id.startsWith(PREFIX)) return null;
  const action = id.slice(PREFIX.length);
  if (!(action in CUSTOMER_ACTIONS)) return null;
  const value = element.value ?? '';
  const cut = value.lastIndexOf('|');
  if (cut <= 0 || cut === value.length - 1) return null;
  return {
    action: action as CustomerAction,
    workflowId: value.slice(0, cut),
    customerId: value.slice(cut + 1),
    status: CUSTOMER_ACTIONS[action as CustomerAction],
  };
}
