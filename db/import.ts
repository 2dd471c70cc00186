/**
 * Applies a validated import in one transaction: all of it or none of it.
 *
 * Each entity is upserted in chunks with one statement per chunk, the rows passed as a single
 * JSON parameter and unpacked by `jsonb_to_recordset` (no parameter-count limit, one parse per
 * chunk). `on conflict do update ... where (...) is distinct from (...)` skips rows whose values
 * did not change, so a re-import rewrites nothing and leaves `updated_at` alone; `returning
 * (xmax = 0)` tells inserted rows from updated ones, and the rows not returned are the unchanged.
 * The large tables also leave out unchanged rows before the insert (a left join on the stored row):
 * a conflicting row is locked even when the `where` then skips it, and locking 100k rows on a
 * re-import costs as much as writing them.
 * Order matters: CSMs and components first, because customers, templates and usage refer to them.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import {
  IMPORT_ENTITIES, referencedValues, resolveReferences, rowCount,
  type ImportEntity, type ImportError, type ImportValidation, type NormalizedImport,
} from '../domain/import';
import { actorLabel, type Actor } from '../domain/actor';
import type { Person } from '../domain/messages/template-lifecycle';
import { importTemplates, personOf } from './templates';
import type { Database } from './types';

export interface EntityCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export type ImportCounts = Record<ImportEntity, EntityCounts>;

export type ImportResult =
  | { ok: true; dryRun: boolean; counts: ImportCounts }
  | { ok: false; errors: ImportError[] };

export interface ImportProgress {
  entity: ImportEntity;
  /** Rows of all entities written so far, and in total. */
  done: number;
  total: number;
}

export interface ImportOptions {
  /** Validate against the database and count what would change, then roll back. */
  dryRun?: boolean;
  onProgress?: (p: ImportProgress) => void;
  /** Rows per statement for the large tables. */
  chunkSize?: number;
  /** Who imports (the API's request actor): new template versions are on record as theirs. Absent: the command line. */
  actor?: Actor;
}

interface Importer { person: Person; actor?: Actor }

class DryRunRollback extends Error {
  constructor(public readonly counts: ImportCounts) {
    super('dry run');
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const json = (rows: unknown[]) => sql`${JSON.stringify(rows)}::jsonb`;

/** Tallies one entity from the ids a chunk inserted, updated (its row), or changed through a child list. */
class Tally {
  private readonly inserted = new Set<string>();
  private readonly updated = new Set<string>();
  private readonly childChanged = new Set<string>();
  constructor(private readonly total: number) {}

  rows(rows: { id: string; inserted: boolean }[]): void {
    for (const r of rows) (r.inserted ? this.inserted : this.updated).add(r.id);
  }

  children(ids: string[]): void {
    for (const id of ids) this.childChanged.add(id);
  }

  /** Records whose only change was in a child list: their updated_at still has to move. */
  touchedOnlyThroughChildren(ids: string[]): string[] {
    return [...new Set(ids)].filter((id) => !this.inserted.has(id) && !this.updated.has(id));
  }

  counts(): EntityCounts {
    const updated = new Set([...this.updated, ...this.childChanged].filter((id) => !this.inserted.has(id)));
    return { inserted: this.inserted.size, updated: updated.size, unchanged: this.total - this.inserted.size - updated.size };
  }
}

/**
 * Checks the references the input leaves open against the database, then writes everything in
 * one transaction. With any error, nothing is written and every error comes back.
 */
export async function applyImport(db: Kysely<Database>, validation: ImportValidation, opts: ImportOptions = {}): Promise<ImportResult> {
  const chunkSize = opts.chunkSize ?? 5000;
  try {
    return await db.transaction().execute(async (trx) => {
      const errors = [...validation.errors, ...(await checkReferences(trx, validation))];
      if (errors.length > 0) return { ok: false as const, errors };
      const importer: Importer = opts.actor
        ? { person: personOf(opts.actor, actorLabel(opts.actor)), actor: opts.actor }
        : { person: { id: 'import:command-line', name: 'import (command line)' } };
      const counts = await write(trx, validation.data, chunkSize, importer, opts.onProgress);
      if (opts.dryRun) throw new DryRunRollback(counts);
      return { ok: true as const, dryRun: false, counts };
    });
  } catch (err) {
    if (err instanceof DryRunRollback) return { ok: true, dryRun: true, counts: err.counts };
    throw err;
  }
}

async function checkReferences(trx: Transaction<Database>, validation: ImportValidation): Promise<ImportError[]> {
  if (validation.unresolved.length === 0) return [];
  const wanted = referencedValues(validation.unresolved);
  const found = async (table: 'csms' | 'components' | 'customers', column: 'email' | 'key' | 'external_id', values: string[]) => {
    if (values.length === 0) return new Set<string>();
    const { rows } = await sql<{ v: string }>`select ${sql.ref(column)} as v from ${sql.table(table)} where ${sql.ref(column)} = any(${values}::text[])`.execute(trx);
    return new Set(rows.map((r) => r.v));
  };
  return resolveReferences(validation.unresolved, {
    csm: await found('csms', 'email', wanted.csm),
    component: await found('components', 'key', wanted.component),
    customer: await found('customers', 'external_id', wanted.customer),
  });
}

async function write(
  trx: Transaction<Database>, data: NormalizedImport, chunkSize: number, importer: Importer, onProgress?: (p: ImportProgress) => void,
): Promise<ImportCounts> {
  const total = rowCount(data);
  let done = 0;
  const progress = (entity: ImportEntity, n: number) => {
    done += n;
    onProgress?.({ entity, done, total });
  };
  const counts = {} as ImportCounts;
  for (const entity of IMPORT_ENTITIES) counts[entity] = { inserted: 0, updated: 0, unchanged: 0 };

  if (data.csms.length > 0) {
    const tally = new Tally(data.csms.length);
    for (const chunk of chunks(data.csms, chunkSize)) {
      const rows = chunk.map((c) => ({ email: c.email, name: c.name, slack_user_id: c.slackUserId, manager_email: c.managerEmail, time_zone: c.timeZone }));
      const { rows: changed } = await sql<{ id: string; inserted: boolean }>`
        insert into csms as t (email, name, slack_user_id, manager_email, time_zone)
        select u.email, u.name, u.slack_user_id, u.manager_email, u.time_zone
        from jsonb_to_recordset(${json(rows)}) as u(email text, name text, slack_user_id text, manager_email text, time_zone text)
        on conflict (email) do update set
          name = excluded.name, slack_user_id = excluded.slack_user_id, manager_email = excluded.manager_email,
          time_zone = excluded.time_zone, updated_at = now()
        where (t.name, t.slack_user_id, t.manager_email, t.time_zone)
          is distinct from (excluded.name, excluded.slack_user_id, excluded.manager_email, excluded.time_zone)
        returning t.id, (t.xmax = 0) as inserted`.execute(trx);
      tally.rows(changed);
      progress('csms', chunk.length);
    }
    counts.csms = tally.counts();
  }

  if (data.components.length > 0) {
    const tally = new Tally(data.components.length);
    const inFile = new Set(data.components.map((c) => c.key));
    for (const chunk of chunks(data.components, chunkSize)) {
      const rows = chunk.map((c) => ({ key: c.key, name: c.name, ticket_tags: c.ticketTags, ticket_keywords: c.ticketKeywords }));
      const { rows: changed } = await sql<{ id: string; inserted: boolean }>`
        insert into components as t (key, name, ticket_tags, ticket_keywords)
        select u.key, u.name,
          array(select jsonb_array_elements_text(u.ticket_tags)), array(select jsonb_array_elements_text(u.ticket_keywords))
        from jsonb_to_recordset(${json(rows)}) as u(key text, name text, ticket_tags jsonb, ticket_keywords jsonb)
        on conflict (key) do update set
          name = excluded.name, ticket_tags = excluded.ticket_tags, ticket_keywords = excluded.ticket_keywords, updated_at = now()
        where (t.name, t.ticket_tags, t.ticket_keywords) is distinct from (excluded.name, excluded.ticket_tags, excluded.ticket_keywords)
        returning t.id, (t.xmax = 0) as inserted`.execute(trx);
      tally.rows(changed);

      const listed = chunk.filter((c) => c.aliases !== undefined);
      if (listed.length > 0) {
        const pairs = listed.flatMap((c) => c.aliases!.map((a) => ({ key: c.key, source: a.source, external_id: a.externalId })));
        const keys = listed.map((c) => c.key);
        // An alias listed for another component moves; aliases a component no longer lists go.
        const { rows: removed } = await sql<{ component_id: string; key: string }>`
          delete from component_aliases a using components c
          where c.id = a.component_id and (
            (c.key = any(${keys}::text[]) and not exists (
              select 1 from jsonb_to_recordset(${json(pairs)}) as p(key text, source text, external_id text)
              where p.key = c.key and p.source = a.source and p.external_id = a.external_id))
            or exists (
              select 1 from jsonb_to_recordset(${json(pairs)}) as p(key text, source text, external_id text)
              where p.source = a.source and p.external_id = a.external_id and p.key <> c.key))
          returning a.component_id, c.key`.execute(trx);
        const { rows: added } = await sql<{ component_id: string }>`
          insert into component_aliases (component_id, source, external_id)
          select c.id, p.source, p.external_id
          from jsonb_to_recordset(${json(pairs)}) as p(key text, source text, external_id text)
          join components c on c.key = p.key
          on conflict (source, external_id) do nothing
          returning component_id`.execute(trx);
        // A component outside this import that lost an alias changed too, but is not counted here.
        tally.children([...removed.filter((r) => inFile.has(r.key)), ...added].map((r) => r.component_id));
        const touch = tally.touchedOnlyThroughChildren([...removed, ...added].map((r) => r.component_id));
        if (touch.length > 0) await sql`update components set updated_at = now() where id = any(${touch}::uuid[])`.execute(trx);
      }
      progress('components', chunk.length);
    }
    counts.components = tally.counts();
  }

  if (data.customers.length > 0) {
    const tally = new Tally(data.customers.length);
    for (const chunk of chunks(data.customers, chunkSize)) {
      const rows = chunk.map((c) => ({
        external_id: c.externalId, name: c.name, arr: c.arr, segment: c.segment, region: c.region,
        csm_email: c.csmEmail, contact_name: c.contactName, contact_email: c.contactEmail,
      }));
      const { rows: changed } = await sql<{ id: string; inserted: boolean }>`
        insert into customers as t (external_id, name, arr, segment, region, csm_id, contact_name, contact_email)
        select u.external_id, u.name, u.arr, u.segment, u.region, m.id, u.contact_name, u.contact_email
        from jsonb_to_recordset(${json(rows)}) as u(
          external_id text, name text, arr numeric, segment text, region text, csm_email text, contact_name text, contact_email text)
        left join csms m on m.email = u.csm_email
        left join customers s on s.external_id = u.external_id
        where s.id is null or (s.name, s.arr, s.segment, s.region, s.csm_id, s.contact_name, s.contact_email)
          is distinct from (u.name, u.arr::numeric(14, 2), u.segment, u.region, m.id, u.contact_name, u.contact_email)
        on conflict (external_id) do update set
          name = excluded.name, arr = excluded.arr, segment = excluded.segment, region = excluded.region, csm_id = excluded.csm_id,
          contact_name = excluded.contact_name, contact_email = excluded.contact_email, updated_at = now()
        where (t.name, t.arr, t.segment, t.region, t.csm_id, t.contact_name, t.contact_email)
          is distinct from (excluded.name, excluded.arr, excluded.segment, excluded.region, excluded.csm_id, excluded.contact_name, excluded.contact_email)
        returning t.id, (t.xmax = 0) as inserted`.execute(trx);
      tally.rows(changed);

      const listed = chunk.filter((c) => c.components !== undefined);
      if (listed.length > 0) {
        const externalIds = listed.map((c) => c.externalId);
        const pairs = listed.flatMap((c) => c.components!.map((u) => ({
          external_id: c.externalId, key: u.key, usage_level: u.usage, integration_dependent: u.integrationDependent,
        })));
        const { rows: removed } = await sql<{ customer_id: string }>`
          delete from customer_components cc using customers c
          where cc.customer_id = c.id and c.external_id = any(${externalIds}::text[])
            and not exists (
              select 1 from jsonb_to_recordset(${json(pairs)}) as p(external_id text, key text)
              join components k on k.key = p.key
              where p.external_id = c.external_id and k.id = cc.component_id)
          returning cc.customer_id`.execute(trx);
        const { rows: upserted } = pairs.length === 0 ? { rows: [] } : await sql<{ customer_id: string }>`
          insert into customer_components as t (customer_id, component_id, usage_level, integration_dependent)
          select c.id, k.id, p.usage_level, p.integration_dependent
          from jsonb_to_recordset(${json(pairs)}) as p(external_id text, key text, usage_level text, integration_dependent boolean)
          join customers c on c.external_id = p.external_id
          join components k on k.key = p.key
          left join customer_components s on s.customer_id = c.id and s.component_id = k.id
          where s.customer_id is null or (s.usage_level, s.integration_dependent) is distinct from (p.usage_level, p.integration_dependent)
          on conflict (customer_id, component_id) do update set
            usage_level = excluded.usage_level, integration_dependent = excluded.integration_dependent
          where (t.usage_level, t.integration_dependent) is distinct from (excluded.usage_level, excluded.integration_dependent)
          returning t.customer_id`.execute(trx);
        const ids = [...removed, ...upserted].map((r) => r.customer_id);
        tally.children(ids);
        const touch = tally.touchedOnlyThroughChildren(ids);
        if (touch.length > 0) await sql`update customers set updated_at = now() where id = any(${touch}::uuid[])`.execute(trx);
      }
      progress('customers', chunk.length);
    }
    counts.customers = tally.counts();
  }

  if (data.templates.length > 0) {
    // Few rows: one template at a time, each adding a version rather than overwriting (db/templates.ts).
    counts.templates = await importTemplates(trx, data.templates, importer.person, importer.actor);
    progress('templates', data.templates.length);
  }

  if (data.usage.length > 0) {
    let inserted = 0;
    let updated = 0;
    for (const chunk of chunks(data.usage, chunkSize)) {
      const rows = chunk.map((u) => ({ customer_external_id: u.customerExternalId, component_key: u.componentKey, hour: u.hour, requests: u.requests }));
      const { rows: changed } = await sql<{ inserted: boolean }>`
        insert into customer_usage as t (customer_id, component_id, hour, request_count)
        select c.id, k.id, p.hour, p.requests
        from jsonb_to_recordset(${json(rows)}) as p(customer_external_id text, component_key text, hour timestamptz, requests bigint)
        join customers c on c.external_id = p.customer_external_id
        join components k on k.key = p.component_key
        left join customer_usage s on s.customer_id = c.id and s.component_id = k.id and s.hour = p.hour
        where s.customer_id is null or s.request_count is distinct from p.requests
        on conflict (customer_id, component_id, hour) do update set request_count = excluded.request_count
        where t.request_count is distinct from excluded.request_count
        returning (t.xmax = 0) as inserted`.execute(trx);
      for (const r of changed) {
        if (r.inserted) inserted++;
        else updated++;
      }
      progress('usage', chunk.length);
    }
    counts.usage = { inserted, updated, unchanged: data.usage.length - inserted - updated };
  }

  return counts;
}
