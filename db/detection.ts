/** Reads the detection paths need: Statuspage aliases and deliveries, support matching rules, open incidents. */
import { sql, type Kysely } from 'kysely';
import type { Database } from './types';
import type { SupportMatchRule } from '../domain/support';
import { CLOSED_STATUSES, type IncidentSource } from '../domain/types';

/** Statuspage component id → Forewarn component keys (component_aliases, source 'statuspage'). */
export async function statuspageAliasMap(db: Kysely<Database>, componentIds: string[]): Promise<Map<string, string[]>> {
  const wanted = [...new Set(componentIds.map((id) => id.trim().toLowerCase()).filter(Boolean))];
  const map = new Map<string, string[]>();
  if (wanted.length === 0) return map;
  const rows = await db
    .selectFrom('component_aliases as a')
    .innerJoin('components as c', 'c.id', 'a.component_id')
    .select(['c.key', sql<string>`lower(trim(a.external_id))`.as('value')])
    .where('a.source', '=', 'statuspage')
    .where(sql<string>`lower(trim(a.external_id))`, 'in', wanted)
    .execute();
  const byValue = new Map<string, string[]>();
  for (const r of rows) byValue.set(r.value, [...(byValue.get(r.value) ?? []), r.key]);
  for (const id of componentIds) {
    const keys = byValue.get(id.trim().toLowerCase());
    if (keys) map.set(id, keys);
  }
  return map;
}

/**
 * What Forewarn already holds of these Statuspage incidents, from either path (webhook or sync): every
 * recorded version (delivery id `<incident id>@<updated_at>`) with its status, and which incidents have any.
 */
export async function statuspageDeliveries(db: Kysely<Database>, incidentIds: string[]): Promise<{
  recorded: Map<string, string>; followed: Set<string>;
}> {
  const recorded = new Map<string, string>();
  const followed = new Set<string>();
  if (incidentIds.length === 0) return { recorded, followed };
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select(['delivery_id', 'status'])
    .where('source', '=', 'statuspage')
    .where(sql<string>`split_part(delivery_id, '@', 1)`, 'in', incidentIds)
    .execute();
  for (const r of rows) {
    recorded.set(r.delivery_id, r.status);
    followed.add(r.delivery_id.split('@')[0]);
  }
  return { recorded, followed };
}

/** Every component's ticket tags and keywords (components without any never match). */
export async function supportMatchRules(db: Kysely<Database>): Promise<SupportMatchRule[]> {
  const rows = await db.selectFrom('components').select(['key', 'name', 'ticket_tags', 'ticket_keywords']).orderBy('key').execute();
  return rows
    .map((r) => ({ key: r.key, name: r.name, tags: r.ticket_tags ?? [], keywords: r.ticket_keywords ?? [] }))
    .filter((r) => r.tags.length > 0 || r.keywords.length > 0);
}

export async function componentName(db: Kysely<Database>, key: string): Promise<string> {
  const row = await db.selectFrom('components').select('name').where('key', '=', key).executeTakeFirst();
  return row?.name ?? key;
}

export interface OpenIncidentRow { workflowId: string; source: IncidentSource; externalId: string; title: string; status: string }

/**
 * Incidents not resolved whose affected components include `key` (newest first), plus the row of
 * `workflowId` whatever its status, so a caller can tell whether the incident it follows was resolved.
 */
export async function incidentsOnComponent(db: Kysely<Database>, key: string, workflowId?: string): Promise<OpenIncidentRow[]> {
  const rows = await db
    .selectFrom('product_incidents')
    .select(['workflow_id', 'source', 'external_id', 'title', 'status'])
    .where((eb) => {
      // @> uses the GIN index on affected_components.
      const open = eb.and([eb('status', 'not in', CLOSED_STATUSES), eb('merged_into', 'is', null), sql<boolean>`affected_components @> array[${key}]::text[]`]);
      return workflowId ? eb.or([open, eb('workflow_id', '=', workflowId)]) : open;
    })
    .orderBy('started_at', 'desc')
    .execute();
  return rows.map((r) => ({ workflowId: r.workflow_id, source: r.source as IncidentSource, externalId: r.external_id, title: r.title, status: r.status }));
}
