/**
 * People who sign in, and their role: admin (a flag on the person), CS manager (named as a CSM's
 * manager), CSM (a CSM record with their email or Slack user id). The role is worked out on every
 * request from the CSM records, so an import that changes a team changes what people may do at once.
 */
import { sql, type Kysely } from 'kysely';
import type { Actor, Role } from '../domain/actor';
import type { Database } from './types';

type Db = Kysely<Database>;

export interface PersonRow { id: string; email: string; name: string; slackUserId: string | null; isAdmin: boolean; canApproveTemplates: boolean }
export interface PersonView extends PersonRow { role: Role | null; lastSignInAt: string | null }

/** The role of an email (and Slack user id) from the CSM records; admins are flagged on the person. */
export async function roleOf(db: Db, who: { email: string; slackUserId?: string | null; isAdmin?: boolean }): Promise<Role | undefined> {
  if (who.isAdmin) return 'admin';
  const email = who.email.toLowerCase();
  const r = await db.selectNoFrom((eb) => [
    eb.exists(eb.selectFrom('csms').select(sql`1`.as('x')).where(sql<string>`lower(manager_email)`, '=', email)).as('manages'),
    eb.exists(eb.selectFrom('csms').select(sql`1`.as('x')).where((w) => w.or([
      w(sql<string>`lower(email)`, '=', email),
      ...(who.slackUserId ? [w('slack_user_id', '=', who.slackUserId)] : []),
    ]))).as('isCsm'),
  ]).executeTakeFirstOrThrow();
  if (r.manages) return 'manager';
  if (r.isCsm) return 'csm';
  return undefined;
}

const columns = ['id', 'email', 'name', 'slack_user_id as slackUserId', 'is_admin as isAdmin', 'can_approve_templates as canApproveTemplates'] as const;

/**
 * The person signing in, created on first sign-in (an admin by ADMIN_EMAILS); name and Slack user id
 * follow the identity provider. Undefined when they are neither admin, manager nor CSM.
 */
export async function signInPerson(db: Db, who: { email: string; name: string; slackUserId?: string; admin: boolean }): Promise<Actor | undefined> {
  const existing = await db.selectFrom('people').select(columns).where(sql<string>`lower(email)`, '=', who.email.toLowerCase()).executeTakeFirst();
  const isAdmin = who.admin || Boolean(existing?.isAdmin);
  const role = await roleOf(db, { email: who.email, slackUserId: who.slackUserId ?? existing?.slackUserId, isAdmin });
  if (!role) return undefined;
  const now = new Date().toISOString();
  const person = existing
    ? await db.updateTable('people').set({
      name: who.name, is_admin: isAdmin, last_sign_in_at: now, updated_at: now,
      ...(who.slackUserId ? { slack_user_id: who.slackUserId } : {}),
    }).where('id', '=', existing.id).returning(columns).executeTakeFirstOrThrow()
    : await db.insertInto('people').values({
      email: who.email, name: who.name, slack_user_id: who.slackUserId ?? null, is_admin: isAdmin, last_sign_in_at: now,
    }).returning(columns).executeTakeFirstOrThrow();
  return personActor(person, role);
}

export function personActor(p: Pick<PersonRow, 'id' | 'email' | 'name'>, role: Role): Actor {
  return { kind: 'person', id: p.id, name: p.name, email: p.email, role };
}

/** A person as they act now (role from today's CSM records); undefined when they no longer have one. */
export async function actorOfPerson(db: Db, personId: string): Promise<Actor | undefined> {
  const p = await db.selectFrom('people').select(columns).where('id', '=', personId).executeTakeFirst();
  if (!p) return undefined;
  const role = await roleOf(db, p);
  return role && personActor(p, role);
}

/** Whether the actor may approve message templates: an admin, or a person an admin allowed to. */
export async function canApproveTemplates(db: Db, actor: Actor): Promise<boolean> {
  if (actor.role === 'admin') return true;
  if (actor.kind !== 'person') return false;
  const p = await db.selectFrom('people').select('can_approve_templates').where('id', '=', actor.id).executeTakeFirst();
  return Boolean(p?.can_approve_templates);
}

export async function listPeople(db: Db): Promise<PersonView[]> {
  const rows = await db.selectFrom('people').select([...columns, 'last_sign_in_at']).orderBy('name').execute();
  return Promise.all(rows.map(async ({ last_sign_in_at, ...p }) => ({
    ...p, role: (await roleOf(db, p)) ?? null, lastSignInAt: last_sign_in_at?.toISOString() ?? null,
  })));
}

/** Sets an admin-managed flag; undefined when there is no such person. */
export async function setPersonFlags(db: Db, personId: string, flags: { isAdmin?: boolean; canApproveTemplates?: boolean }): Promise<PersonRow | undefined> {
  return db.updateTable('people').set({
    ...(flags.isAdmin !== undefined ? { is_admin: flags.isAdmin } : {}),
    ...(flags.canApproveTemplates !== undefined ? { can_approve_templates: flags.canApproveTemplates } : {}),
    updated_at: new Date().toISOString(),
  }).where('id', '=', personId).returning(columns).executeTakeFirst();
}
