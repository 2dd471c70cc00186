/**
 * The Slack buttons Forewarn puts on its messages, and how the API's interaction handler reads
 * them back. The scheme (also in domain/messages/README.md):
 *
 *   action_id = "forewarn:<action>"   e.g. "forewarn:acknowledge"
 *   value     = the incident's workflow id, verbatim, e.g. "incident:pagerduty:Q1ABC"
 *
 * Buttons that open a page (view_status_page, view_post_mortem, view_dashboard) also carry a
 * `url`; Slack still sends an interaction for them, which the handler only acknowledges.
 */
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

const PREFIX = 'forewarn:';

export function actionId(action: ForewarnAction): string {
  return `${PREFIX}${action}`;
}

/** Slack caps a button value at 2,000 characters; workflow ids are far shorter. */
export function actionValue(workflowId: string): string {
  return workflowId;
}

/** Reads one element of a block_actions payload; null when it is not a Forewarn button. */
export function parseAction(element: { action_id?: string; value?: string }): { action: ForewarnAction; workflowId: string } | null {
  const id = element.action_id ?? '';
  if (!id.startsWith(PREFIX)) return null;
  const action = id.slice(PREFIX.length) as ForewarnAction;
  if (!FOREWARN_ACTIONS.includes(action)) return null;
  const workflowId = element.value ?? '';
  if (!workflowId) return null;
  return { action, workflowId };
}
