/** The numbered customer list of the alert ("1. :rotating_light: TechCorp - $500K ARR - Heavy API user"). */
import { formatArr } from '../money';
import type { ImpactLevel, OutreachStatus } from '../types';
import { escapeMrkdwn, IMPACT_EMOJI, oneLine, truncate } from './format';

/** What a message needs of a customer; the workflow's CustomerState fits it. */
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

/** Affected right now (not dropped by a re-analysis), in priority order. */
export function affectedInOrder(customers: MessageCustomer[]): MessageCustomer[] {
  return customers
    .filter((c) => c.impactLevel !== 'none' && c.stillAffected !== false)
    .sort((a, b) => a.priorityRank - b.priorityRank);
}

export function totalArr(customers: MessageCustomer[]): number {
  return customers.reduce((sum, c) => sum + (Number.isFinite(c.arr) ? c.arr : 0), 0);
}

export interface CustomerList {
  /** Block Kit lines (names bold, user text escaped). */
  mrkdwn: string[];
  /** Plain-text lines for the fallback, exactly the product's format. */
  plain: string[];
  hidden: number;
  hiddenArr: number;
}

/** The first `limit` customers as numbered lines; the rest are counted for a "…and n more" line. */
export function customerList(customers: MessageCustomer[], limit: number): CustomerList {
  const shown = customers.slice(0, Math.max(0, limit));
  const rest = customers.slice(shown.length);
  const line = (c: MessageCustomer, i: number, bold: boolean) => {
    const name = truncate(oneLine(c.name), NAME_MAX);
    const reason = truncate(oneLine(c.reason), REASON_MAX);
    const n = bold ? `*${escapeMrkdwn(name)}*` : name;
    return `${i + 1}. ${IMPACT_EMOJI[c.impactLevel]} ${n} - ${formatArr(c.arr)} ARR - ${bold ? escapeMrkdwn(reason) : reason}`;
  };
  return {
    mrkdwn: shown.map((c, i) => line(c, i, true)),
    plain: shown.map((c, i) => line(c, i, false)),
    hidden: rest.length,
    hiddenArr: totalArr(rest),
  };
}
