/** What message rendering reads from Postgres: approved templates, component names, CSM identities. */
import type { Kysely } from 'kysely';
import type { MessageTemplate } from '../domain/messages/templates';
import { loadActiveTemplates } from './templates';
import type { Database } from './types';

/** Only the active approved version of each template leaves the database for messaging (db/templates.ts). */
export async function loadApprovedTemplates(db: Kysely<Database>): Promise<MessageTemplate[]> {
  return loadActiveTemplates(db);
}

export async function loadComponentNames(db: Kysely<Database>, keys: string[]): Promise<Record<string, string>> {
  if (keys.length === 0) return {};
  const rows = await db.selectFrom('components').select(['key', 'name']).where('key', 'in', keys).execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.name]));
}

export interface StoredCsm { email: string; name: string; slackUserId: string | null; timeZone: string | null; managerEmail: string | null }

export async function findCsm(db: Kysely<Database>, email: string): Promise<StoredCsm | undefined> {
  const row = await db.selectFrom('csms').select(['email', 'name', 'slack_user_id', 'time_zone', 'manager_email'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
  return row && { email: row.email, name: row.name, slackUserId: row.slack_user_id, timeZone: row.time_zone, managerEmail: row.manager_email };
}

/** The CSMs' emails followed by their managers' (war-room members), each once. */
export async function withManagers(db: Kysely<Database>, emails: string[]): Promise<string[]> {
  if (emails.length === 0) return [];
  const rows = await db.selectFrom('csms').select('manager_email')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', eb.fn.any(eb.val(emails.map((e) => e.toLowerCase())))))
    .where('manager_email', 'is not', null).execute();
  return [...new Set([...emails, ...rows.map((r) => r.manager_email!)])];
}

/** Remembers what Slack told us about a CSM, so the next alert skips the lookups. Fills blanks only. */
export async function rememberSlackIdentity(
  db: Kysely<Database>, email: string, found: { slackUserId?: string; timeZone?: string },
): Promise<void> {
  if (found.slackUserId) {
    await db.updateTable('csms').set({ slack_user_id: found.slackUserId, updated_at: new Date() })
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .where('slack_user_id', 'is', null)
      .execute();
  }
  if (found.timeZone) {
    await db.updateTable('csms').set({ time_zone: found.timeZone, updated_at: new Date() })
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .where('time_zone', 'is', null)
      .execute();
  }
}
