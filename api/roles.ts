/**
 * What each role may change. A CSM changes outreach for their own customers, a CS manager for
 * their team's (the CSMs who name them as manager, and their own), an admin anything. Anyone signed
 * in may declare an incident; steering one (severity, status, public message, resolve, dismiss, merge,
 * split) takes a CS manager or an admin. Integration tokens (no person) act within their scopes alone.
 * Every refusal is a 403 that says why.
 */
import { sql, type Kysely } from 'kysely';
import { canApproveTemplates } from '../db/people';
import type { Database } from '../db/types';
import type { Actor } from '../domain/actor';
import { HttpProblem } from './problem';
import { findCsm } from '../db/incident-queries';

type Db = Kysely<Database>;

const forbidden = (reason: string) => new HttpProblem(403, 'Forbidden', reason);

/** An integration's token: no person behind it, so no team to stay within. */
const isIntegration = (actor: Actor) => actor.kind === 'token' && !actor.role;

function describe(actor: Actor): string {
  if (isIntegration(actor)) return `The token "${actor.name}"`;
  return `${actor.name}${actor.role ? ` (${actor.role === 'csm' ? 'CSM' : actor.role === 'manager' ? 'CS manager' : 'admin'})` : ''}`;
}

/** Admin-only work (tokens, people, ...): `what` completes "Only admins may …". */
export function assertAdmin(actor: Actor, what: string): void {
  if (actor.role !== 'admin') throw forbidden(`Only admins may ${what}; ${describe(actor)} is not one.`);
}

/** Imports: admins, or an integration token with the import scope (checked by requireAuth). */
export function assertMayImport(actor: Actor): void {
  if (!isIntegration(actor)) assertAdmin(actor, 'import data');
}

/**
 * Steering incidents — changing severity, status or the public message, resolving, dismissing, merging,
 * splitting — changes what every CSM on the incident is told: CS managers and admins, and integration
 * tokens (a tool resolving what it opened) with the write scope. Declaring is open to anyone signed in.
 */
export function mayManageIncidents(actor: Actor): boolean {
  if (actor.scopes && !actor.scopes.includes('write')) return false;
  return isIntegration(actor) || actor.role === 'admin' || actor.role === 'manager';
}

/** `what` completes "Only CS managers and admins may …" (e.g. "resolve incidents"). */
export function assertMayManageIncidents(actor: Actor, what: string): void {
  if (mayManageIncidents(actor)) return;
  const who = describe(actor);
  throw forbidden(actor.role === 'csm'
    ? `Only CS managers and admins may ${what}; ${who} may declare incidents, not steer them.`
    : actor.role
      ? `Only CS managers and admins may ${what}, with a token that has the write scope; ${who}'s token has not.`
      : `Only CS managers and admins may ${what}; ${who} is not a CSM, CS manager or admin in Forewarn.`);
}

/** Whether the actor may act for the CSM with this email (their outreach, their drafts, their acknowledgement). */
function mayActForCsm(actor: Actor, csm: { email: string; managerEmail: string | null } | undefined): boolean {
  if (actor.role === 'admin' || isIntegration(actor)) return true;
  if (!csm || !actor.email) return false;
  const me = actor.email.toLowerCase();
  if (csm.email.toLowerCase() === me) return actor.role === 'csm' || actor.role === 'manager';
  return actor.role === 'manager' && csm.managerEmail?.toLowerCase() === me;
}

/**
 * The CSM emails whose customers the actor may change (lower case); null: anyone's. The dashboard
 * uses it to enable only the outreach controls the server would accept.
 */
export async function outreachScope(db: Db, actor: Actor): Promise<string[] | null> {
  if (actor.role === 'admin' || isIntegration(actor)) return null;
  if (!actor.email || !actor.role) return [];
  const me = actor.email.toLowerCase();
  if (actor.role === 'csm') return [me];
  const team = await db.selectFrom('csms').select(sql<string>`lower(email)`.as('email'))
    .where(sql<string>`lower(manager_email)`, '=', me).orderBy('email').execute();
  return [...new Set([me, ...team.map((t) => t.email)])];
}

/** Acting for a named CSM (drafts, resolution emails, follow-ups, acknowledgement). */
export async function assertMayActForCsm(db: Db, actor: Actor, csmEmail: string): Promise<void> {
  if (mayActForCsm(actor, await findCsm(db, { email: csmEmail }))) return;
  throw forbidden(actor.role === 'manager'
    ? `${describe(actor)} may act only for their team; ${csmEmail} is not on it.`
    : `${describe(actor)} may act only for themselves, not for ${csmEmail}.`);
}

/** Changing one customer's outreach: the customer's CSM, their manager, or an admin. */
export async function assertMayChangeOutreach(db: Db, actor: Actor, customerId: string): Promise<void> {
  if (actor.role === 'admin' || isIntegration(actor)) return;
  const row = await db.selectFrom('customers as c').leftJoin('csms as m', 'm.id', 'c.csm_id')
    .select(['c.name', 'm.email', 'm.manager_email as managerEmail']).where('c.id', '=', customerId).executeTakeFirst();
  // An unknown customer is the outreach route's 404 to give.
  if (!row) return;
  const csm = row.email ? { email: row.email, managerEmail: row.managerEmail } : undefined;
  if (mayActForCsm(actor, csm)) return;
  const whose = csm ? `${row.name} is ${csm.email}'s customer` : `${row.name} has no CSM`;
  throw forbidden(actor.role === 'manager'
    ? `${describe(actor)} may change outreach only for their team's customers; ${whose}.`
    : actor.role === 'csm'
      ? `${describe(actor)} may change outreach only for their own customers; ${whose}.`
      : `${describe(actor)} is not a CSM, CS manager or admin in Forewarn.`);
}

/** Approving message templates: admins, and people an admin allowed to (people.can_approve_templates). */
export async function assertMayApproveTemplates(db: Db, actor: Actor): Promise<void> {
  if (await canApproveTemplates(db, actor)) return;
  throw forbidden(`${describe(actor)} may not approve message templates; an admin can allow it on the People page or with PATCH /api/people/:id.`);
}
