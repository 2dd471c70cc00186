import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem';

/** Constant-time comparison of two secrets of any length (hashing first equalizes lengths). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

export function tokenMatches(candidate: string | undefined, tokens: string[]): boolean {
  if (!candidate) return false;
  let ok = false;
  for (const t of tokens) ok = safeEqual(candidate, t) || ok;
  return ok;
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  const m = header?.match(/^Bearer\s+(.+)$/i);
  return m?.[1]?.trim();
}

/** preHandler for every non-webhook route: `Authorization: Bearer <one of API_TOKENS>`. */
export function requireToken(tokens: string[]) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!tokenMatches(bearerToken(req), tokens)) {
      req.log.info('missing or invalid API token');
      return sendProblem(reply.header('www-authenticate', 'Bearer'), 401, 'Unauthorized',
        'Send a valid API token as "Authorization: Bearer <token>" (see API_TOKENS).');
    }
  };
}
