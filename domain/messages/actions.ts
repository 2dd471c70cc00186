/**
 * Every interactive control Forewarn puts on its Slack messages, and how the API's interaction
 * handler reads a click back. One module owns the scheme (also in domain/messages/README.md):
 *
 * Incident buttons
 *   action_id = "forewarn:<action>"            e.g. "forewarn:acknowledge"
 *   value     = the incident's workflow id     e.g. "incident:pagerduty:Q1ABC"
 *   Buttons that open a page (view_status_page, view_post_mortem, view_dashboard) also carry a
 *   `url`; Slack still sends an interaction for them, which the handler only acknowledges.
 *
 * Per-customer outreach ("mark contacted" → sent, "mark responded" → responded)
 *   an overflow menu beside each listed customer:
 *     action_id             = "forewarn:customer_outreach"
 *     option value          = "<action>|<incident id>|<customer id>"   (both uuids: 88 characters at most,
 *                             within Slack's 150 whatever the length of the workflow id)
 *     click payload         = { action_id, selected_option: { value } }
 *   or, equally understood, a button:
 *     action_id = "forewarn:<action>", value = "<incident id>|<customer id>"
 *   The incident id is the product_incidents id (uuid); the handler finds the workflow from it.
 *   Messages posted before carry the workflow id in its place, and are still understood: the
 *   action never contains "|" and a customer id (a uuid) never does, so the reference is whatever
 *   lies between the first and the last "|", even if an external id contains one, and a reference
 *   that is not a uuid is a workflow id.
 */
import type { OutreachStatus } from '../types';

export const FOREWARN_ACTIONS = [
  'view_status_page',
  'draft_customer_emails',
  'join_war_room',
  'acknowledge',
  'send_resolution_emails',
  'schedule_follow_ups',
  'view_post_mortem',
  'view_dashboard',
] as const;
export type ForewarnAction = (typeof FOREWARN_ACTIONS)[number];

/** Per-customer actions and the outreach status each sets (the workflow validates the move). */
export const CUSTOMER_ACTIONS = { mark_contacted: 'sent', mark_responded: 'responded' } as const satisfies Record<string, OutreachStatus>;
export type CustomerAction = keyof typeof CUSTOMER_ACTIONS;

export const CUSTOMER_ACTION_LABELS: Record<CustomerAction, string> = {
  mark_contacted: 'Mark contacted',
  mark_responded: 'Mark responded',
};

const PREFIX = 'forewarn:';
const SEP = '|';

/** action_id of the per-customer overflow menu; the chosen option names the action. */
export const CUSTOMER_MENU_ACTION_ID = `${PREFIX}customer_outreach`;

/** Slack's limit on an option's value (the overflow menu's option object). */
export const OPTION_VALUE_MAX = 150;

export function actionId(action: ForewarnAction | CustomerAction): string {
  return `${PREFIX}${action}`;
}

/** Slack caps a button value at 2,000 characters; workflow ids are far shorter. */
export function actionValue(workflowId: string): string {
  return workflowId;
}

/** A per-customer button's value: the incident's id (uuid), not its workflow id, so the value stays short. */
export function customerActionValue(incidentId: string, customerId: string): string {
  return `${incidentId}${SEP}${customerId}`;
}

/** A per-customer overflow option's value. */
export function customerOptionValue(action: CustomerAction, incidentId: string, customerId: string): string {
  return `${action}${SEP}${customerActionValue(incidentId, customerId)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One element of a block_actions payload: a button click or an overflow (or select) choice. */
export interface ClickedElement { action_id?: string; value?: string; selected_option?: { value?: string } | null }

/** Reads an incident button; null when it is not one of Forewarn's. */
export function parseAction(element: ClickedElement): { action: ForewarnAction; workflowId: string } | null {
  const id = element.action_id ?? '';
  if (!id.startsWith(PREFIX)) return null;
  const action = id.slice(PREFIX.length) as ForewarnAction;
  if (!FOREWARN_ACTIONS.includes(action)) return null;
  const workflowId = element.value ?? '';
  if (!workflowId) return null;
  return { action, workflowId };
}

/** The incident is named by its id (current messages) or, in messages posted before, by its workflow id. */
export type ParsedCustomerAction = { action: CustomerAction; customerId: string; status: OutreachStatus }
  & ({ incidentId: string; workflowId?: undefined } | { workflowId: string; incidentId?: undefined });

/** Reads a per-customer overflow choice or button; null when the element is something else. */
export function parseCustomerAction(element: ClickedElement): ParsedCustomerAction | null {
  const id = element.action_id ?? '';
  let action: string;
  let rest: string;
  if (id === CUSTOMER_MENU_ACTION_ID) {
    const value = element.selected_option?.value ?? '';
    const cut = value.indexOf(SEP);
    if (cut <= 0) return null;
    action = value.slice(0, cut);
    rest = value.slice(cut + 1);
  } else if (id.startsWith(PREFIX)) {
    action = id.slice(PREFIX.length);
    rest = element.value ?? '';
  } else {
    return null;
  }
  if (!Object.hasOwn(CUSTOMER_ACTIONS, action)) return null;
  const cut = rest.lastIndexOf(SEP);
  if (cut <= 0 || cut === rest.length - 1) return null;
  const ref = rest.slice(0, cut);
  return {
    action: action as CustomerAction,
    ...(UUID.test(ref) ? { incidentId: ref.toLowerCase() } : { workflowId: ref }),
    customerId: rest.slice(cut + 1),
    status: CUSTOMER_ACTIONS[action as CustomerAction],
  };
}
