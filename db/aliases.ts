/**
 * Component alias resolution: a source's own identifiers (PagerDuty service ids, Opsgenie tags,
 * entity and integration names, generic-webhook values) → Forewarn component keys.
 * Matching is case-insensitive and ignores surrounding blanks, because tags and names are typed by people.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './types';

export interface AliasResolution {
  /** Component keys found, in the order of the values that named them, without repeats. */
  keys: string[];
  /** Values that matched nothing. */
  unknown: string[];
}

const norm = (v: string) => v.trim().toLowerCase();

/** Values matched against `component_aliases(source, external_id)`. */
export async function resolveComponentAliases(db: Kysely<Database>, source: string, externalIds: string[]): Promise<AliasResolution> {
  const values = [...new Set(externalIds.map(norm).filter(Boolean))];
  if (values.length === 0) return { keys: [], unknown: [] };
  const rows = await db
    .selectFrom('component_aliases as a')
    .innerJoin('components as c', 'c.id', 'a.component_id')
    .select(['c.key', sql<string>`lower(trim(a.external_id))`.as('value')])
    .where('a.source', '=', source)
    .where(sql<string>`lower(trim(a.external_id))`, 'in', values)
    .execute();
  return collect(externalIds, rows);
}

/**
 * Values that are component keys themselves, or aliases registered for `source`
 * (the generic webhook and the support tickets name components this way).
 */
export async function resolveComponentKeysOrAliases(db: Kysely<Database>, source: string, values: string[]): Promise<AliasResolution> {
  const wanted = [...new Set(values.map(norm).filter(Boolean))];
  if (wanted.length === 0) return { keys: [], unknown: [] };
  const rows = await db
    .selectFrom('components as c')
    .select(['c.key', sql<string>`lower(trim(c.key))`.as('value')])
    .where(sql<string>`lower(trim(c.key))`, 'in', wanted)
    .unionAll(
      db.selectFrom('component_aliases as a')
        .innerJoin('components as c', 'c.id', 'a.component_id')
        .select(['c.key', sql<string>`lower(trim(a.external_id))`.as('value')])
        .where('a.source', '=', source)
        .where(sql<string>`lower(trim(a.external_id))`, 'in', wanted),
    )
    .execute();
  return collect(values, rows);
}

/** `values` as the caller gave them: unknown ones are reported in the sender's own spelling. */
function collect(values: string[], rows: { key: string; value: string }[]): AliasResolution {
  const byValue = new Map<string, string[]>();
  for (const r of rows) byValue.set(r.value, [...(byValue.get(r.value) ?? []), r.key]);
  const keys: string[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const original of values) {
    const v = norm(original);
    if (!v || seen.has(v)) continue;
    seen.add(v);
    const found = byValue.get(v);
    if (!found) unknown.push(original.trim());
    else for (const k of found) if (!keys.includes(k)) keys.push(k);
  }
  return { keys, unknown };
}
