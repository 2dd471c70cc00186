import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { applyImport } from '../db/import';
import type { Database } from '../db/types';
import { validateImport } from '../domain/import';

export const DEMO_DATA_FILE = path.resolve(__dirname, '../demo/demo-data.json');

/**
 * The demo's usage rows are fixed hours; moved so the latest ends at the current hour, an
 * incident opened during a demo sees these customers' recent traffic instead of a silent
 * (and so downgraded) account.
 */
export function shiftUsageToNow<T extends { usage?: { hour: string }[] }>(data: T, now = new Date()): T {
  if (!data.usage?.length) return data;
  const latest = Math.max(...data.usage.map((u) => Date.parse(u.hour)));
  const currentHour = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  const shift = currentHour - latest;
  return { ...data, usage: data.usage.map((u) => ({ ...u, hour: new Date(Date.parse(u.hour) + shift).toISOString() })) };
}

/** Loads the demo customer base into a database that has no customers yet; returns a summary, or null when skipped. */
export async function loadDemoDataIfEmpty(db: Kysely<Database>): Promise<string | null> {
  const existing = await db.selectFrom('customers').select(db.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  if (Number(existing.n) > 0) return null;
  const result = await applyImport(db, validateImport(shiftUsageToNow(JSON.parse(readFileSync(DEMO_DATA_FILE, 'utf8')))));
  if (!result.ok) throw new Error(`Demo data is invalid:\n${result.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
  const c = result.counts;
  return `${c.customers.inserted} customers, ${c.csms.inserted} CSMs, ${c.components.inserted} components, ${c.templates.inserted} approved templates (${path.relative(process.cwd(), DEMO_DATA_FILE)})`;
}
