/**
 * The few Block Kit shapes Forewarn uses, built so that every message stays inside Slack's limits
 * (a message above them is rejected with invalid_blocks, i.e. the CSM gets nothing).
 */
import {
  actionId, actionValue, CUSTOMER_ACTION_LABELS, CUSTOMER_ACTIONS, CUSTOMER_MENU_ACTION_ID, customerOptionValue,
  OPTION_VALUE_MAX, type CustomerAction, type ForewarnAction,
} from './actions';
import { truncate } from './format';

export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  buttonText: 75,
  buttonUrl: 3000,
  contextElements: 10,
  actionsElements: 25,
  actionId: 255,
  overflowOptions: { min: 2, max: 5 },
  optionText: 75,
  optionValue: OPTION_VALUE_MAX,
  /** Slack accepts 40,000 characters of fallback text but truncates what it shows; keep it readable. */
  fallbackText: 3000,
} as const;

export interface TextObject { type: 'mrkdwn' | 'plain_text'; text: string; emoji?: boolean }
export interface ButtonElement {
  type: 'button';
  text: TextObject;
  action_id: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
}
export interface OptionObject { text: TextObject; value: string }
export interface OverflowElement { type: 'overflow'; action_id: string; options: OptionObject[] }
export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text: TextObject; fields?: TextObject[]; accessory?: OverflowElement }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; elements: ButtonElement[] }
  | { type: 'divider' };

/** What chat.postMessage gets: blocks plus the plain-text fallback for notifications and screen readers. */
export interface SlackMessage { text: string; blocks: Block[] }

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.headerText), emoji: true } };
}

export function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn, SLACK_LIMITS.sectionText) } };
}

/** A section with an element beside its text (without one, a plain section). */
export function sectionWith(mrkdwn: string, accessory: OverflowElement | undefined): Block {
  return accessory ? { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn, SLACK_LIMITS.sectionText) }, accessory } : section(mrkdwn);
}

/**
 * The "…" menu beside a listed customer: mark contacted / mark responded. Its values name the incident
 * by id (a uuid), so they fit Slack's limit whatever the length of the workflow id; undefined only
 * should a value still not fit, so the message is accepted anyway (the dashboard and API record outreach too).
 */
export function customerMenu(incidentId: string, customerId: string): OverflowElement | undefined {
  const options = (Object.keys(CUSTOMER_ACTIONS) as CustomerAction[]).map((action) => ({
    text: { type: 'plain_text' as const, text: CUSTOMER_ACTION_LABELS[action], emoji: true },
    value: customerOptionValue(action, incidentId, customerId),
  }));
  if (options.some((o) => o.value.length > SLACK_LIMITS.optionValue)) return undefined;
  return { type: 'overflow', action_id: CUSTOMER_MENU_ACTION_ID, options };
}

export function context(mrkdwn: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(mrkdwn, SLACK_LIMITS.sectionText) }] };
}

/** Several short notes in one context block (one block, however many notes: up to Slack's 10 elements). */
export function contextLines(notes: string[]): Block {
  return {
    type: 'context',
    elements: notes.slice(0, SLACK_LIMITS.contextElements).map((text) => ({ type: 'mrkdwn' as const, text: truncate(text, SLACK_LIMITS.sectionText) })),
  };
}

export function divider(): Block {
  return { type: 'divider' };
}

export interface ButtonSpec { action: ForewarnAction; label: string; workflowId: string; url?: string; style?: 'primary' | 'danger' }

export function actions(buttons: ButtonSpec[]): Block {
  return {
    type: 'actions',
    elements: buttons.slice(0, SLACK_LIMITS.actionsElements).map((b) => {
      const el: ButtonElement = {
        type: 'button',
        text: { type: 'plain_text', text: truncate(b.label, SLACK_LIMITS.buttonText), emoji: true },
        action_id: actionId(b.action),
        value: actionValue(b.workflowId),
      };
      if (b.url && b.url.length <= SLACK_LIMITS.buttonUrl) el.url = b.url;
      if (b.style) el.style = b.style;
      return el;
    }),
  };
}

/**
 * Packs lines into as few section texts as possible, each within the section limit. A single
 * line longer than the limit is truncated rather than split mid-word across sections.
 */
export function packLines(lines: string[], max: number = SLACK_LIMITS.sectionText): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = truncate(raw, max);
    if (current && current.length + 1 + line.length > max) {
      chunks.push(current);
      current = line;
    } else {
      current = current ? `${current}\n${line}` : line;
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

/** Every limit a message breaks, in words; empty when Slack will accept it. */
export function limitProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  if (message.blocks.length > SLACK_LIMITS.blocks) problems.push(`${message.blocks.length} blocks (max ${SLACK_LIMITS.blocks})`);
  if (message.text.length > SLACK_LIMITS.fallbackText) problems.push(`fallback text of ${message.text.length} characters`);
  message.blocks.forEach((b, i) => {
    if (b.type === 'section' && b.text.text.length > SLACK_LIMITS.sectionText) problems.push(`block ${i}: section text of ${b.text.text.length} characters`);
    if (b.type === 'header' && b.text.text.length > SLACK_LIMITS.headerText) problems.push(`block ${i}: header of ${b.text.text.length} characters`);
    if (b.type === 'section' && b.accessory) {
      const { action_id: id, options } = b.accessory;
      if (id.length > SLACK_LIMITS.actionId) problems.push(`block ${i}: action_id of ${id.length} characters`);
      if (options.length < SLACK_LIMITS.overflowOptions.min || options.length > SLACK_LIMITS.overflowOptions.max) problems.push(`block ${i}: overflow with ${options.length} options`);
      for (const o of options) {
        if (o.text.text.length > SLACK_LIMITS.optionText) problems.push(`block ${i}: option label too long`);
        if (o.value.length > SLACK_LIMITS.optionValue) problems.push(`block ${i}: option value of ${o.value.length} characters`);
      }
    }
    if (b.type === 'actions') {
      for (const e of b.elements) if (e.text.text.length > SLACK_LIMITS.buttonText) problems.push(`block ${i}: button label too long`);
    }
  });
  return problems;
}

/** Final guard: never hand Slack a message it would reject. Drops trailing blocks if ever needed. */
export function withinLimits(message: SlackMessage): SlackMessage {
  const blocks = message.blocks.length > SLACK_LIMITS.blocks ? message.blocks.slice(0, SLACK_LIMITS.blocks) : message.blocks;
  return { text: truncate(message.text, SLACK_LIMITS.fallbackText), blocks };
}
