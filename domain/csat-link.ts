/**
 * The one-click rating link in resolution emails: `<base>/rate/<token>?score=N`, one token per
 * customer and incident. The token is 16 bytes of incident id, 16 of customer id and 4 of expiry
 * (epoch seconds), then the first 16 bytes of their HMAC-SHA256 under CSAT_SIGNING_SECRET, all
 * base64url (70 characters): nobody can rate for another customer or incident, or extend a link.
 * Single use is the database's job (one rating per customer and incident). Used by the Gmail
 * activity (signing) and the API (checking); never by workflow code (node:crypto).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BODY_BYTES = 36;
const MAC_BYTES = 16;
/** What a token looks like (for the route's schema). */
export const CSAT_TOKEN_PATTERN = '^[A-Za-z0-9_-]{70}$';

export interface CsatClaim { incidentId: string; customerId: string; expiresAt: Date }

export type CsatCheck =
  | { ok: true; claim: CsatClaim }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired'; claim?: CsatClaim };

const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');
const uuidOf = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const mac = (secret: string, body: Buffer) => createHmac('sha256', secret).update('forewarn-csat-v1').update(body).digest().subarray(0, MAC_BYTES);

export function signCsatToken(secret: string, claim: CsatClaim): string {
  if (!UUID.test(claim.incidentId) || !UUID.test(claim.customerId)) throw new Error('A rating link needs the incident and customer ids (UUIDs)');
  const body = Buffer.alloc(BODY_BYTES);
  uuidBytes(claim.incidentId).copy(body, 0);
  uuidBytes(claim.customerId).copy(body, 16);
  body.writeUInt32BE(Math.floor(claim.expiresAt.getTime() / 1000), 32);
  return Buffer.concat([body, mac(secret, body)]).toString('base64url');
}

/** The claim of a genuine, unexpired token; otherwise why not (the signature is checked before the expiry). */
export function verifyCsatToken(secret: string, token: string, now: Date): CsatCheck {
  if (!new RegExp(CSAT_TOKEN_PATTERN).test(token)) return { ok: false, reason: 'malformed' };
  const raw = Buffer.from(token, 'base64url');
  if (raw.length !== BODY_BYTES + MAC_BYTES) return { ok: false, reason: 'malformed' };
  const body = raw.subarray(0, BODY_BYTES);
  if (!timingSafeEqual(raw.subarray(BODY_BYTES), mac(secret, body))) return { ok: false, reason: 'forged' };
  const claim = { incidentId: uuidOf(body.subarray(0, 16)), customerId: uuidOf(body.subarray(16, 32)), expiresAt: new Date(body.readUInt32BE(32) * 1000) };
  if (claim.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', claim };
  return { ok: true, claim };
}

/** The link for one customer and incident; the email adds `?score=N` per choice. */
export function csatLink(input: { baseUrl: string; secret: string; incidentId: string; customerId: string; expiresAt: Date }): string {
  return `${input.baseUrl}/rate/${signCsatToken(input.secret, input)}`;
}
