/**
 * Dashboard sessions and the OpenID Connect sign-ins in flight. The browser holds a random id in
 * an httpOnly cookie; Postgres holds its SHA-256 with the person, the CSRF token and the expiry.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './types';

type Db = Kysely<Database>;

export const sha256Hex = (secret: string): string => createHash('sha256').update(secret).digest('hex');
export const randomSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export interface SessionRecord { personId: string; csrfToken: string; expiresAt: Date }

/** A new session; returns the cookie value (never stored) and its CSRF token. */
export async function createSession(db: Db, personId: string, ttlMs: number): Promise<{ id: string; csrfToken: string; expiresAt: Date }> {
  const id = randomSecret();
  const csrfToken = randomSecret();
  const expiresAt = new Date(Date.now() + ttlMs);
  await db.insertInto('sessions').values({ id_hash: sha256Hex(id), person_id: personId, csrf_token: csrfToken, expires_at: expiresAt }).execute();
  return { id, csrfToken, expiresAt };
}

/** The live session of a cookie value; an expired one is deleted and not returned. */
export async function findSession(db: Db, id: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom('sessions').select(['person_id', 'csrf_token', 'expires_at']).where('id_hash', '=', sha256Hex(id)).executeTakeFirst();
  if (!row) return undefined;
  if (row.expires_at.getTime() <= Date.now()) {
    await endSession(db, id);
    return undefined;
  }
  return { personId: row.person_id, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

export async function endSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sha256Hex(id)).execute();
}

export interface SignInAttempt { state: string; nonce: string; codeVerifier: string }

/** Starts a sign-in: the cookie value that binds it to this browser. Expired attempts are swept on the way. */
export async function createSignInAttempt(db: Db, attempt: SignInAttempt, ttlMs: number): Promise<string> {
  const id = randomSecret();
  await db.deleteFrom('sign_in_attempts').where('expires_at', '<', new Date()).execute();
  await db.insertInto('sign_in_attempts').values({
    id_hash: sha256Hex(id), state: attempt.state, nonce: attempt.nonce, code_verifier: attempt.codeVerifier, expires_at: new Date(Date.now() + ttlMs),
  }).execute();
  return id;
}

/** Takes (and deletes) a sign-in attempt: each is used once. Undefined when unknown or expired. */
export async function takeSignInAttempt(db: Db, id: string): Promise<SignInAttempt | undefined> {
  const row = await db.deleteFrom('sign_in_attempts').where('id_hash', '=', sha256Hex(id)).returning(['state', 'nonce', 'code_verifier', 'expires_at']).executeTakeFirst();
  if (!row || row.expires_at.getTime() <= Date.now()) return undefined;
  return { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier };
}
