/**
 * API tokens for people and integrations: random 32 bytes shown once, stored as SHA-256, scoped,
 * revocable, with the time of last use.
 */
import type { Kysely } from 'kysely';
import type { Actor, ApiTokenView, TokenScope } from '../domain/actor';
import { actorOfPerson } from './people';
import { randomSecret, sha256Hex } from './sessions';
import type { Database } from './types';

type Db = Kysely<Database>;

/** Tokens start with this, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = 'fwt_';
/** Last use is written at most this often per token: a busy integration does not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;


export async function createApiToken(db: Db, input: { name: string; scopes: TokenScope[]; personId?: string | null; createdBy: string }): Promise<{ token: string; view: ApiTokenView }> {
  const token = `${TOKEN_PREFIX}${randomSecret()}`;
  const { id } = await db.insertInto('api_tokens').values({
    name: input.name, scopes: input.scopes, person_id: input.personId ?? null, token_hash: sha256Hex(token),
    prefix: token.slice(0, TOKEN_PREFIX.length + 6), created_by: input.createdBy,
  }).returning('id').executeTakeFirstOrThrow();
  return { token, view: (await listApiTokens(db, { id }))[0]! };
}

export async function listApiTokens(db: Db, filter: { id?: string } = {}): Promise<ApiTokenView[]> {
  let q = db.selectFrom('api_tokens as t').leftJoin('people as p', 'p.id', 't.person_id')
    .select(['t.id', 't.name', 't.prefix', 't.scopes', 't.created_by', 't.created_at', 't.last_used_at', 't.revoked_at', 'p.id as personId', 'p.name as personName', 'p.email as personEmail'])
    .orderBy('t.revoked_at', (o) => o.desc().nullsFirst()).orderBy('t.created_at', 'desc');
  if (filter.id) q = q.where('t.id', '=', filter.id);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id, name: r.name, prefix: r.prefix, scopes: r.scopes as TokenScope[],
    person: r.personId ? { id: r.personId, name: r.personName!, email: r.personEmail! } : null,
    createdBy: r.created_by, createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null, revokedAt: r.revoked_at?.toISOString() ?? null,
  }));
}

/** Revokes a token; false when there is no such token (revoking twice keeps the first time). */
export async function revokeApiToken(db: Db, id: string): Promise<ApiTokenView | undefined> {
  const r = await db.updateTable('api_tokens').set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(new Date())) }))
    .where('id', '=', id).returning('id').executeTakeFirst();
  return r && (await listApiTokens(db, { id }))[0];
}

/**
 * The actor of a presented token: a person's token acts as that person (with today's role) within
 * its scopes; an integration's token has no role, only scopes. Undefined: unknown or revoked, or
 * its person no longer has a role.
 */
export async function actorOfApiToken(db: Db, token: string): Promise<Actor | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const row = await db.selectFrom('api_tokens').select(['id', 'name', 'scopes', 'person_id', 'last_used_at'])
    .where('token_hash', '=', sha256Hex(token)).where('revoked_at', 'is', null).executeTakeFirst();
  if (!row) return undefined;
  const scopes = row.scopes as TokenScope[];
  let actor: Actor = { kind: 'token', id: row.id, name: row.name, scopes };
  if (row.person_id) {
    const person = await actorOfPerson(db, row.person_id);
    if (!person) return undefined;
    actor = { ...actor, name: `${row.name} (${person.name})`, email: person.email, role: person.role };
  }
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.updateTable('api_tokens').set({ last_used_at: new Date() }).where('id', '=', row.id).execute();
  }
  return actor;
}
