/**
 * Impact scoring: who is affected by an incident, how badly, in what order, and what it may
 * cost. Pure functions over candidates read from Postgres (activities/impact.ts); the rules are
 * documented for CS teams in docs/impact.md — keep the two in step.
 */
import type {
  AffectedCustomer, ImpactCandidate, ImpactLevel, Segment, Severity, UsageLevel,
} from './types';

/**
 * The rules below are also compiled into SQL (db/impact-analysis.ts scores every customer in
 * Postgres from these same tables and texts), so each is a plain exported value.
 */
/** Scale used to raise and drop levels one step at a time. */
export const LEVEL_VALUE: Record<ImpactLevel, number> = { none: 0, low: 1, medium: 2, high: 3 };
export const LEVEL_BY_VALUE: ImpactLevel[] = ['none', 'low', 'medium', 'high'];
export const USAGE_LEVEL: Record<UsageLevel, ImpactLevel> = { heavy: 'high', moderate: 'medium', light: 'low' };
export const USAGE_RANK: Record<UsageLevel, number> = { heavy: 3, moderate: 2, light: 1 };
export const SEGMENT_RANK: Record<Segment, number> = { enterprise: 0, 'mid-market': 1, smb: 2 };

/**
 * Business-impact weights. An hour of a P1 outage for a high-impact customer counts that hour's
 * full share of their ARR; lower levels and severities count a fraction of it.
 */
export const IMPACT_WEIGHT: Record<ImpactLevel, number> = { high: 1, medium: 0.5, low: 0.2, none: 0 };
export const SEVERITY_WEIGHT: Record<Severity, number> = { P1: 1, P2: 0.6, P3: 0.3, P4: 0.1 };
export const HOURS_PER_YEAR = 365 * 24;
/** An incident that has just started is estimated as one hour, so the first alert shows a real number. */
export const MIN_ESTIMATE_HOURS = 1;

export const NO_LONGER_AFFECTED_REASON = 'No longer affected';
export const NO_TRAFFIC_REASON = 'No traffic on the affected components during the incident';
/** "Heavy API Gateway user": the most-used affected component between these two texts. */
export const HEAVY_USER_REASON = { before: 'Heavy ', after: ' user' } as const;
export const INTEGRATION_DEPENDENT_REASON = 'Integration-dependent';
/** The reason of a customer at its usage level (not raised, not dropped). */
export const LEVEL_REASON: Record<'medium' | 'low', string> = { medium: 'Moderate impact', low: 'Low impact' };
/** The reason of a customer dropped one level for no traffic during the incident. */
export const IDLE_REASON: Record<'medium' | 'low', string> = {
  medium: 'Moderate impact (no traffic during the incident)',
  low: 'Low impact (no traffic during the incident)',
};

export interface ImpactScore {
  level: ImpactLevel;
  reason: string;
  /** Affected components the customer uses, heaviest usage first. */
  componentNames: string[];
}

/**
 * The level and reason for one candidate:
 * 1. usage level of the most-used affected component: heavy → high, moderate → medium, light → low;
 * 2. integration-dependent on any affected component: one level up (never above high);
 * 3. usage tracked (windowRequests not null) but zero requests on the affected components during
 *    the incident window: one level down (low → none, i.e. not affected). No usage data: unchanged.
 */
export function scoreCandidate(candidate: ImpactCandidate): ImpactScore {
  const components = [...candidate.components].sort((a, b) =>
    USAGE_RANK[b.usage] - USAGE_RANK[a.usage]
    || Number(b.integrationDependent) - Number(a.integrationDependent)
    || compareCodePoints(a.name, b.name));
  const componentNames = [...new Set(components.map((c) => c.name))];
  if (components.length === 0) return { level: 'none', reason: NO_TRAFFIC_REASON, componentNames };

  const primary = components[0];
  const base = LEVEL_VALUE[USAGE_LEVEL[primary.usage]];
  const integrationDependent = components.some((c) => c.integrationDependent);
  const raised = Math.min(base + (integrationDependent ? 1 : 0), LEVEL_VALUE.high);
  const idle = candidate.windowRequests === 0;
  const value = Math.max(raised - (idle ? 1 : 0), 0);
  const level = LEVEL_BY_VALUE[value];

  let reason: string;
  if (level === 'none') reason = NO_TRAFFIC_REASON;
  // An idle customer can only have dropped to medium or low (a raise never goes above high).
  else if (idle) reason = IDLE_REASON[level === 'medium' ? 'medium' : 'low'];
  else if (primary.usage === 'heavy') reason = `${HEAVY_USER_REASON.before}${primary.name}${HEAVY_USER_REASON.after}`;
  else if (raised > base) reason = INTEGRATION_DEPENDENT_REASON;
  else reason = LEVEL_REASON[level === 'medium' ? 'medium' : 'low'];
  return { level, reason, componentNames };
}

/** Hours the incident has lasted so far (or lasted), at least MIN_ESTIMATE_HOURS. */
export function incidentHours(startedAt: string, endAt: string): number {
  const ms = Date.parse(endAt) - Date.parse(startedAt);
  const hours = Number.isFinite(ms) ? ms / 3_600_000 : 0;
  return Math.max(hours, MIN_ESTIMATE_HOURS);
}

/**
 * Estimated revenue exposure of one customer, in the ARR's currency, rounded to cents:
 *
 *   ARR / 8,760 (hours a year) × incident hours × impact weight × severity weight
 *
 * i.e. the share of a year's contract value that falls within the incident, scaled by how hard
 * the customer is hit (high 1, medium 0.5, low 0.2) and how severe the incident is
 * (P1 1, P2 0.6, P3 0.3, P4 0.1). It is a ranking aid, not a refund or SLA-credit figure.
 */
export function businessImpactEstimate(input: { arr: number; level: ImpactLevel; severity: Severity; hours: number }): number {
  const value = (input.arr / HOURS_PER_YEAR) * input.hours * IMPACT_WEIGHT[input.level] * SEVERITY_WEIGHT[input.severity];
  return Math.round(value * 100) / 100;
}

/**
 * Unicode code-point order, the order of Postgres' `collate "C"` on UTF-8 text. Names are compared
 * this way rather than with localeCompare so that the ranking computed in SQL
 * (db/impact-analysis.ts) and the one computed here agree exactly, whatever the database's
 * collation or Node's ICU data. JavaScript's `<` compares UTF-16 code units, which differs from
 * code-point order only when a character outside the BMP meets one in U+E000..U+FFFF: the
 * surrogate fix-up below handles that case.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  let i = 0;
  while (i < length && a.charCodeAt(i) === b.charCodeAt(i)) i += 1;
  if (i === length) return a.length - b.length;
  return codePointOrderUnit(a.charCodeAt(i)) - codePointOrderUnit(b.charCodeAt(i));
}

/** Moves surrogates (characters above U+FFFF) after every other UTF-16 code unit. */
function codePointOrderUnit(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

type Ranked = Pick<AffectedCustomer, 'impactLevel' | 'arr' | 'segment' | 'name'> & { id?: string };

/**
 * Priority order: impact level, then ARR (largest first), then segment (enterprise first), then
 * name (code-point order, see compareCodePoints); the id last keeps ranks stable across
 * re-analyses when two customers share a name. db/impact-analysis.ts ranks in SQL in this order.
 */
export function compareAffected(a: Ranked, b: Ranked): number {
  return LEVEL_VALUE[b.impactLevel] - LEVEL_VALUE[a.impactLevel]
    || b.arr - a.arr
    || (SEGMENT_RANK[a.segment] ?? 9) - (SEGMENT_RANK[b.segment] ?? 9)
    || compareCodePoints(a.name, b.name)
    || compareCodePoints(a.id ?? '', b.id ?? '');
}

/** The same shape as IncidentState['totals'] (domain/ does not import the workflow contract). */
export interface ImpactTotals {
  customers: number;
  arrAtRisk: number;
  businessImpact: number;
  highImpact: number;
}

export function impactTotals(customers: Pick<AffectedCustomer, 'arr' | 'businessImpact' | 'impactLevel'>[]): ImpactTotals {
  let arrAtRisk = 0;
  let businessImpact = 0;
  let highImpact = 0;
  let count = 0;
  for (const c of customers) {
    if (c.impactLevel === 'none') continue;
    count += 1;
    arrAtRisk += c.arr;
    businessImpact += c.businessImpact;
    if (c.impactLevel === 'high') highImpact += 1;
  }
  return {
    customers: count,
    arrAtRisk: Math.round(arrAtRisk * 100) / 100,
    businessImpact: Math.round(businessImpact * 100) / 100,
    highImpact,
  };
}

export interface ImpactAnalysis {
  /** Affected customers (level above none), in priority order, ranked 1..n. */
  customers: AffectedCustomer[];
  /** Candidates that use an affected component but scored none (idle during the incident). */
  unaffected: { id: string; reason: string }[];
  totals: ImpactTotals;
}

/**
 * Scores every candidate and orders the affected ones. The estimate uses the incident's duration
 * up to `resolvedAt`, or up to `now` while it is open.
 */
export function analyzeCandidates(
  candidates: ImpactCandidate[],
  incident: { severity: Severity; startedAt: string; resolvedAt?: string },
  now: string,
): ImpactAnalysis {
  const hours = incidentHours(incident.startedAt, incident.resolvedAt ?? now);
  const affected: AffectedCustomer[] = [];
  const unaffected: ImpactAnalysis['unaffected'] = [];
  for (const candidate of candidates) {
    const score = scoreCandidate(candidate);
    if (score.level === 'none') {
      unaffected.push({ id: candidate.id, reason: score.reason });
      continue;
    }
    // Fields listed one by one: object rest/spread here left V8 with slow dictionary-mode
    // objects, which made sorting 45k customers take seconds (bench/impact.ts).
    affected.push({
      id: candidate.id,
      externalId: candidate.externalId,
      name: candidate.name,
      arr: candidate.arr,
      segment: candidate.segment,
      region: candidate.region,
      csmEmail: candidate.csmEmail,
      contactName: candidate.contactName,
      contactEmail: candidate.contactEmail,
      impactLevel: score.level,
      reason: score.reason,
      componentNames: score.componentNames,
      businessImpact: businessImpactEstimate({ arr: candidate.arr, level: score.level, severity: incident.severity, hours }),
      priorityRank: 0,
    });
  }
  affected.sort(compareAffected);
  affected.forEach((c, i) => { c.priorityRank = i + 1; });
  return { customers: affected, unaffected, totals: impactTotals(affected) };
}
