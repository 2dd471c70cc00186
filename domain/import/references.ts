/** References to CSMs, components and customers that an import does not define itself: what to look up, and the errors for those the database lacks. */
import { describe } from './field-reader';
import type { ImportError, Reference } from './types';

/** The distinct values of unresolved references, per kind: what the importer looks up. */
export function referencedValues(unresolved: Reference[]): Record<Reference['kind'], string[]> {
  const out: Record<Reference['kind'], Set<string>> = { csm: new Set(), component: new Set(), customer: new Set() };
  for (const ref of unresolved) out[ref.kind].add(ref.value);
  return { csm: [...out.csm], component: [...out.component], customer: [...out.customer] };
}

const REFERENCE_MESSAGE: Record<Reference['kind'], (v: string) => string> = {
  csm: (v) => `no CSM with email ${describe(v)} in this import or in the database`,
  component: (v) => `no component with key ${describe(v)} in this import or in the database`,
  customer: (v) => `no customer with externalId ${describe(v)} in this import or in the database`,
};

/** One error per reference that neither the input nor the database (`existing`) defines. */
export function resolveReferences(unresolved: Reference[], existing: Record<Reference['kind'], Set<string>>): ImportError[] {
  return unresolved.filter((ref) => !existing[ref.kind].has(ref.value)).map((ref) => ({ path: ref.path, message: REFERENCE_MESSAGE[ref.kind](ref.value) }));
}
