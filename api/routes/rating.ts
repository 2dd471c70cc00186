/**
 * The customer's one-click rating from a resolution email: a public page (no API token; the signed
 * link is the credential). Plain HTML that works without JavaScript.
 *
 * GET /rate/:token?score=N only shows the choice with N selected and a button; POST records it.
 * Mail scanners and link previews fetch every link in an email, so a GET alone must never use up
 * the single-use link (nor record a score the customer did not choose).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { ratingTarget, recordRating } from '../../db/csat';
import { CSAT_LABELS, CSAT_SCORES } from '../../domain/csat';
import { verifyCsatToken, type CsatClaim } from '../../domain/csat-link';
import type { RoutePlugin } from '../app';
import { escapeHtml } from '../html';

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;color:#1d2433;background:#f5f6f8;margin:0;padding:2rem 1rem}'
  + 'main{max-width:34rem;margin:0 auto;background:#fff;border:1px solid #d8dce3;border-radius:8px;padding:1.5rem 2rem}'
  + 'h1{font-size:1.35rem;margin-top:0}fieldset{border:0;padding:0;margin:1rem 0}legend{font-weight:600;margin-bottom:.5rem}'
  + 'label{display:block;padding:.4rem .6rem;border:1px solid #d8dce3;border-radius:6px;margin:.35rem 0;cursor:pointer}'
  + 'button{font:inherit;background:#1f5fbf;color:#fff;border:0;border-radius:6px;padding:.55rem 1.2rem;cursor:pointer}'
  + '.muted{color:#5b6474}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');
const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

function send(reply: FastifyReply, status: number, title: string, body: string) {
  return reply.code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    // The token is in the URL: it must not leak to other sites, caches or search engines.
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .header('x-robots-tag', 'noindex')
    .header('x-content-type-options', 'nosniff')
    .send(page(title, body));
}

const parseScore = (v: unknown): number | undefined => (typeof v === 'string' && /^[1-5]$/.test(v.trim()) ? Number(v.trim()) : undefined);

function form(token: string, target: { incidentTitle: string; customerName: string }, selected: number | undefined, error?: string): string {
  const options = CSAT_SCORES.map((s) => `<label><input type="radio" name="score" value="${s}"${s === selected ? ' checked' : ''} required> ${s} – ${CSAT_LABELS[s]}</label>`).join('\n');
  return `<h1>How did we handle “${escapeHtml(target.incidentTitle)}”?</h1>
<p class="muted">Your rating for ${escapeHtml(target.customerName)} goes straight to your customer success team.</p>
${error ? `<p role="alert"><strong>${escapeHtml(error)}</strong></p>` : ''}
<form method="post" action="/rate/${encodeURIComponent(token)}">
<fieldset><legend>Your rating</legend>
${options}
</fieldset>
<button type="submit">Send my rating</button>
</form>`;
}

const thanks = (rating: number, again: boolean) => `<h1>${again ? 'You already rated this incident' : 'Thank you!'}</h1>
<p>${again ? 'We kept your rating' : 'We recorded your rating'}: <strong>${rating} – ${CSAT_LABELS[rating]}</strong>.</p>
<p class="muted">${again ? 'Each link counts once.' : 'It helps us learn how we kept you informed.'} If there is more to say, just reply to your CSM's email.</p>`;

const htmlResponse = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const responses = {
  200: htmlResponse('The rating page (choose, or thanks)'),
  400: htmlResponse('The link is not a genuine rating link, or no score was chosen'),
  404: htmlResponse('The incident or customer of the link is no longer known, or ratings are not configured (CSAT_SIGNING_SECRET)'),
  409: htmlResponse('This link was used already (single use); the first rating is kept'),
  410: htmlResponse('The link has expired'),
};

export const ratingRoutes: RoutePlugin = async (app, { config, db }) => {
  const params = { type: 'object', properties: { token: { type: 'string', maxLength: 200 } }, required: ['token'] } as const;

  /** The link's claim, or the page that says why there is none. */
  function claimOf(reply: FastifyReply, token: string): CsatClaim | undefined {
    if (!config.csat.secret) {
      // Not configured is not a server fault: no link was ever sent, so there is nothing here to rate.
      send(reply, 404, 'Rating unavailable', '<h1>Ratings are not available</h1><p>Please reply to your CSM\'s email instead.</p>');
      return undefined;
    }
    const check = verifyCsatToken(config.csat.secret, token, new Date());
    if (check.ok) return check.claim;
    if (check.reason === 'expired') {
      send(reply, 410, 'Link expired', '<h1>This rating link has expired</h1><p>Thank you all the same. If you would like to tell us how it went, just reply to your CSM\'s email.</p>');
    } else {
      send(reply, 400, 'Link not valid', '<h1>This rating link is not valid</h1><p>Please use the link exactly as it appears in the email (some mail programs break long links across lines).</p>');
    }
    return undefined;
  }

  const unknown = (reply: FastifyReply) => send(reply, 404, 'Not found', '<h1>We could not find this incident</h1><p>Please reply to your CSM\'s email instead.</p>');

  app.get<{ Params: { token: string }; Querystring: { score?: string } }>('/rate/:token', {
    schema: {
      tags: ['ratings'], security: [], summary: 'The rating page of a resolution email link (public; the signed link is the credential)',
      description: 'Shows the choice (the score from the link selected) and a button; nothing is recorded until the customer confirms with POST.',
      params, querystring: { type: 'object', properties: { score: { type: 'string', maxLength: 8 } } }, response: responses,
    },
  }, async (req, reply) => {
    const claim = claimOf(reply, req.params.token);
    if (!claim) return reply;
    const target = await ratingTarget(db, claim.incidentId, claim.customerId);
    if (!target) return unknown(reply);
    if (target.rating !== null) return send(reply, 200, 'Already rated', thanks(target.rating, true));
    return send(reply, 200, 'Rate our handling of the incident', form(req.params.token, target, parseScore(req.query.score)));
  });

  app.post<{ Params: { token: string }; Body: { score?: string } }>('/rate/:token', {
    schema: {
      tags: ['ratings'], security: [], summary: 'Records the rating (once per customer and incident)',
      consumes: ['application/x-www-form-urlencoded'],
      params,
      body: { type: 'object', properties: { score: { type: 'string', maxLength: 8 } } },
      response: responses,
    },
  }, async (req, reply) => {
    const claim = claimOf(reply, req.params.token);
    if (!claim) return reply;
    const score = parseScore(req.body?.score);
    if (score === undefined) {
      const target = await ratingTarget(db, claim.incidentId, claim.customerId);
      if (!target) return unknown(reply);
      return send(reply, 400, 'Choose a rating', form(req.params.token, target, undefined, 'Choose a rating from 1 to 5.'));
    }
    const outcome = await recordRating(db, { incidentId: claim.incidentId, customerId: claim.customerId, rating: score });
    if (outcome.status === 'unknown') return unknown(reply);
    if (outcome.status === 'already') return send(reply, 409, 'Already rated', thanks(outcome.rating, true));
    req.log.info({ incidentId: claim.incidentId, customerId: claim.customerId, score }, 'CSAT rating recorded');
    return send(reply, 200, 'Thank you', thanks(score, false));
  });
};
