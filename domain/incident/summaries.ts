/**
 * Pure rules over the per-CSM summaries the incident workflow keeps (model.ts): merging a fresh
 * impact analysis into what Forewarn already did with each CSM.
 */
import { sameEmail } from '../incident-state';
import type { CsmSummary, ImpactAssessment } from './model';

export interface AssessmentMerge {
  csms: CsmSummary[];
  /** Per CSM (lower-cased email), what this analysis changed among their customers. */
  changed: Map<string, { newlyAffected: number; noLongerAffected: number }>;
}

/**
 * Each CSM takes the fresh counts; what Forewarn did with them (alert, thread, acknowledgement,
 * deadlines) is kept. A known CSM the analysis does not name has no affected customer now. New
 * CSMs are appended in the analysis' order (most important customer first).
 */
export function applyAssessment(previous: CsmSummary[], assessment: ImpactAssessment): AssessmentMerge {
  const fresh = new Map(assessment.csms.map((c) => [c.email.toLowerCase(), c]));
  const changed: AssessmentMerge['changed'] = new Map();
  for (const c of assessment.csms) {
    if (c.newlyAffected || c.noLongerAffected) changed.set(c.email.toLowerCase(), { newlyAffected: c.newlyAffected, noLongerAffected: c.noLongerAffected });
  }
  const csms = previous.map((p): CsmSummary => {
    const f = fresh.get(p.email.toLowerCase());
    fresh.delete(p.email.toLowerCase());
    if (!f) return { ...p, customers: 0, arrAtRisk: 0, highImpact: 0 };
    return { ...p, customers: f.customers, arrAtRisk: f.arrAtRisk, highImpact: f.highImpact, slackUserId: f.slackUserId ?? p.slackUserId };
  });
  for (const f of fresh.values()) {
    csms.push({ email: f.email, slackUserId: f.slackUserId, customers: f.customers, arrAtRisk: f.arrAtRisk, highImpact: f.highImpact });
  }
  return { csms, changed };
}

/** CSMs with customers affected now. */
export function affectedCsms(csms: CsmSummary[]): CsmSummary[] {
  return csms.filter((c) => c.customers > 0);
}

export function csmByEmail(csms: CsmSummary[], email: string): CsmSummary | undefined {
  return csms.find((c) => sameEmail(c.email, email));
}
