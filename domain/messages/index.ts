/** Renders each kind of CSM message (domain/incident/model.ts CsmMessageKind) as Block Kit + fallback text. */
import type { CsmMessageKind } from '../incident/model';
import { renderAlert } from './alert';
import type { CsmMessageInput } from './input';
import { renderEscalation, renderFollowUp, renderPostMortem, renderUpdateReminder } from './reminders';
import { renderResolution } from './resolution';
import type { SlackMessage } from './slack-kit';
import { renderUpdate } from './update';

export type { CsmMessageKind } from '../incident/model';

const RENDERERS: Record<CsmMessageKind, (input: CsmMessageInput) => SlackMessage> = {
  alert: renderAlert,
  update: renderUpdate,
  resolution: renderResolution,
  follow_up: renderFollowUp,
  post_mortem: renderPostMortem,
  update_reminder: renderUpdateReminder,
  escalation: renderEscalation,
};

export function renderCsmMessage(kind: CsmMessageKind, input: CsmMessageInput): SlackMessage {
  return RENDERERS[kind](input);
}

export type { CsmMessageInput, IncidentTotals } from './input';
export { csmCustomersUrl } from './input';
export { sliceFor, listTotals, LIST_SCOPE, FOLLOW_UP_STATUSES, highImpactFirst, type CustomerSlice, type ListScope, type ListTotals } from './slice';
export { affectedChangeLines, CHANGED_NAMES_MAX, type ChangedCustomers } from './update';
export type { MessageCustomer } from './customer-list';
export type { SlackMessage, Block } from './slack-kit';
export { SLACK_LIMITS, limitProblems } from './slack-kit';
export { renderWarRoomSummary, renderWarRoomPost, warRoomChannelName, warRoomPurpose } from './war-room';
export { approvedMessage, rankTemplates, renderTemplate, isApproved, type MessageTemplate, type ApprovedMessage } from './templates';
export {
  actionId, parseAction, parseCustomerAction, customerActionValue, customerOptionValue, CUSTOMER_ACTIONS, CUSTOMER_MENU_ACTION_ID,
  FOREWARN_ACTIONS, type ForewarnAction, type CustomerAction,
} from './actions';
export { alsoReportedLine, mergedLine, sourceStatusLine, splitLine } from './sources';
