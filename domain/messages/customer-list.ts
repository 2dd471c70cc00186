/** The numbered customer list of the alert ("1. :rotating_light: TechCorp - $500K ARR - Heavy API user"). */
import { formatArr } from '../money';
import type { ImpactLevel, OutreachStatus } from '../types';
import { escapeMrkdwn, IMPACT_EMOJI, oneLine, truncate } from './format';
import { customerMenu, packLines, section, sectionWith, SLACK_LIMITS, type Block } from './slack-kit';

/** What a message needs of a customer (a row of db/csm-slices.ts; the old workflow's CustomerState fits it). */
export interface MessageCustomer {
  id: string;
  name: string;
  arr: number;
  impactLevel: ImpactLevel;
  reason: string;
  priorityRank: number;
  componentNames: string[];
  contactName?: string;
  contactEmail?: string;
  stillAffected?: boolean;
  outreachStatus?: OutreachStatus;
}

const NAME_MAX = 80;
const REASON_MAX = 120;

export function totalArr(customers: MessageCustomer[]): number {
  return customers.reduce((sum, c) => sum + (Number.isFinite(c.arr) ? c.arr : 0), 0);
}

export interface CustomerList {
  /** The customers listed, in order (the lines below are theirs). */
  shown: MessageCustomer[];
  /** Block Kit lines (names bold, user text escaped). */
  mrkdwn: string[];
  /** Plain-text lines for the fallback, exactly the product's format. */
  plain: string[];
  hidden: number;
  hiddenArr: number;
}

/**
 * The first `limit` customers as numbered lines; the rest are counted for a "…and n more" line.
 * `whole` is the size and ARR of the whole list when `customers` holds only its first part.
 */
export function customerList(customers: MessageCustomer[], limit: number, whole?: { customers: number; arr: number }): CustomerList {
  const shown = customers.slice(0, Math.max(0, limit));
  const rest = customers.slice(shown.length);
  const hidden = Math.max(0, (whole?.customers ?? customers.length) - shown.length);
  const hiddenArr = whole ? Math.max(0, whole.arr - totalArr(shown)) : totalArr(rest);
  const line = (c: MessageCustomer, i: number, bold: boolean) => {
    const name = truncate(oneLine(c.name), NAME_MAX);
    const reason = truncate(oneLine(c.reason), REASON_MAX);
    const n = bold ? `*${escapeMrkdwn(name)}*` : name;
    return `${i + 1}. ${IMPACT_EMOJI[c.impactLevel]} ${n} - ${formatArr(c.arr)} ARR - ${bold ? escapeMrkdwn(reason) : reason}`;
  };
  return {
    shown,
    mrkdwn: shown.map((c, i) => line(c, i, true)),
    plain: shown.map((c, i) => line(c, i, false)),
    hidden,
    hiddenArr: hidden > 0 ? hiddenArr : 0,
  };
}

/**
 * The interaction handler appends a status line ("Acknowledged by …") to the message it answers;
 * a message that leaves no room for it would lose its last block (the buttons) instead.
 */
export const STATUS_LINE_RESERVE = 1;

/** How many blocks a customer list may use in a message whose other blocks number `otherBlocks`. */
export function listRoom(otherBlocks: number): number {
  return SLACK_LIMITS.blocks - STATUS_LINE_RESERVE - otherBlocks;
}

/**
 * The listed customers as Block Kit: each in its own section with the mark contacted / responded
 * menu beside it, as long as the message has room (`room` blocks); should it not (never with the
 * configured list sizes), the last customers share packed sections without a menu rather than
 * push the message past Slack's 50 blocks.
 */
export function customerListBlocks(list: CustomerList, incidentId: string, room: number): Block[] {
  const n = list.shown.length;
  for (let own = Math.min(n, Math.max(0, room)); own >= 0; own--) {
    const packed = packLines(list.mrkdwn.slice(own));
    if (own + packed.length > room && own > 0) continue;
    return [
      ...list.shown.slice(0, own).map((c, i) => sectionWith(list.mrkdwn[i], customerMenu(incidentId, c.id))),
      ...packed.map((text) => section(text)),
    ];
  }
  return [];
}
