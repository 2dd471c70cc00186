/**
 * Customer satisfaction after an incident: the 1–5 scale, its goal, and the rating lines of a
 * resolution email (their signed link: domain/csat-link.ts).
 */

export const CSAT_SCORES = [5, 4, 3, 2, 1] as const;
export const CSAT_LABELS: Record<number, string> = { 5: 'Excellent', 4: 'Good', 3: 'Okay', 2: 'Poor', 1: 'Very poor' };
/** Goal from the product spec: an average of at least 4.0. */
export const CSAT_GOAL = 4;

/** The rating block of a resolution email: one line per score, best first. */
export function csatLinksText(link: string): string {
  return [
    'How did we handle this incident? One click rates it:',
    ...CSAT_SCORES.map((s) => `  ${s} – ${CSAT_LABELS[s]}: ${link}?score=${s}`),
  ].join('\n');
}
