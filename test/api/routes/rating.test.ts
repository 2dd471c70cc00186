/**
 * The one-click rating from the resolution email: a signed, single-use, expiring link to a public
 * page. A GET (what mail scanners fetch) only shows the choice; the POST records it, once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { csatLink, signCsatToken } from '../../../domain/csat-link';
import { startHarness, type Harness } from '../support/harness';
import { seedBase, seedIncident, type Seed } from '../support/seed';

const SECRET = 'csat-secret-for-tests-0123456789abcdef';
const A = '11111111-1111-4111-8111-111111111111';
const inAWeek = () => new Date(Date.now() + 7 * 86_400_000);

describe('rating links (/rate/:token)', () => {
  let h: Harness;
  let s: Seed;
  before(async () => {
    h = await startHarness({ temporal: 'down', env: { CSAT_SIGNING_SECRET: SECRET } });
    s = await seedBase(h.db);
    await seedIncident(h.db, { id: A, externalId: 'A', title: 'API <Latency> Issues', status: 'resolved', resolvedAt: '2026-01-29T21:00:00Z', impacts: [
      [s.customer.techcorp, 'high', 1, 'resolution_sent'], [s.customer.globalinc, 'high', 2, 'resolution_sent'], [s.customer.dataflow, 'medium', 3, 'resolution_sent'],
    ] });
  });
  after(async () => { await h?.close(); });

  const pathOf = (customerId: string, expiresAt = inAWeek(), secret = SECRET) =>
    new URL(csatLink({ baseUrl: 'http://forewarn.test', secret, incidentId: A, customerId, expiresAt })).pathname;
  const post = (url: string, score: string) => h.app.inject({
    method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `score=${score}`,
  });
  const ratings = () => h.db.selectFrom('csat_ratings').select(['customer_id', 'rating']).execute();

  test('a valid link: GET shows the choice and records nothing; POST records it and thanks the customer', async () => {
    const url = pathOf(s.customer.techcorp);
    const page = await h.app.inject({ method: 'GET', url: `${url}?score=4` });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.match(page.body, /How did we handle “API &#60;Latency&#62; Issues”\?/);
    assert.match(page.body, /<form method="post" action="\/rate\/[A-Za-z0-9_-]{70}">/);
    assert.match(page.body, /value="4" checked/);
    assert.doesNotMatch(page.body, /<script/);
    assert.deepEqual(await ratings(), [], 'a GET (a mail scanner) records nothing');

    const done = await post(url, '4');
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /Thank you!/);
    assert.match(done.body, /4 – Good/);
    assert.deepEqual(await ratings(), [{ customer_id: s.customer.techcorp, rating: 4 }]);
  });

  test('a reused link keeps the first rating', async () => {
    const url = pathOf(s.customer.techcorp);
    const again = await post(url, '1');
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /You already rated this incident/);
    assert.match(again.body, /4 – Good/);
    const page = await h.app.inject({ method: 'GET', url: `${url}?score=1` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /You already rated this incident/);
    assert.deepEqual(await ratings(), [{ customer_id: s.customer.techcorp, rating: 4 }]);
  });

  test('a forged link (another secret, garbage, another customer id under a genuine signature) is refused', async () => {
    const forged = pathOf(s.customer.globalinc, inAWeek(), 'someone-elses-secret-0123456789abcdef');
    for (const url of [forged, `/rate/${'A'.repeat(70)}`, '/rate/short']) {
      const res = await post(url, '5');
      assert.equal(res.statusCode, 400, url);
      assert.match(res.body, /This rating link is not valid/);
      assert.equal((await h.app.inject({ method: 'GET', url })).statusCode, 400);
    }
    // The customer's bytes swapped for another's under the original signature.
    const genuine = signCsatToken(SECRET, { incidentId: A, customerId: s.customer.globalinc, expiresAt: inAWeek() });
    const other = signCsatToken(SECRET, { incidentId: A, customerId: s.customer.dataflow, expiresAt: inAWeek() });
    const spliced = Buffer.concat([Buffer.from(other, 'base64url').subarray(0, 36), Buffer.from(genuine, 'base64url').subarray(36)]).toString('base64url');
    assert.equal((await post(`/rate/${spliced}`, '5')).statusCode, 400);
    assert.deepEqual((await ratings()).length, 1);
  });

  test('an expired link is refused with a page that says so', async () => {
    const url = pathOf(s.customer.globalinc, new Date(Date.now() - 1000));
    const res = await post(url, '5');
    assert.equal(res.statusCode, 410);
    assert.match(res.body, /This rating link has expired/);
    assert.equal((await h.app.inject({ method: 'GET', url })).statusCode, 410);
    assert.equal((await ratings()).length, 1);
  });

  test('no score chosen: the form again, with the reason', async () => {
    const res = await post(pathOf(s.customer.dataflow), '9');
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /Choose a rating from 1 to 5/);
    assert.match(res.body, /<form method="post"/);
  });

  test('the page needs no API token, and the rating shows in the metrics', async () => {
    assert.equal((await post(pathOf(s.customer.dataflow), '2')).statusCode, 200);
    const summary = await h.app.inject({ method: 'GET', url: `/api/metrics/summary?incidentId=${A}`, headers: { authorization: 'Bearer test-api-token-0123456789' } });
    assert.deepEqual(summary.json().csat, { ratings: 2, average: 3, distribution: { 1: 0, 2: 1, 3: 0, 4: 1, 5: 0 }, goal: 4 });
  });
});

describe('rating links without CSAT_SIGNING_SECRET', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ temporal: 'down' }); });
  after(async () => { await h?.close(); });

  test('no link was ever sent: a 404 page, never a server error', async () => {
    const url = new URL(csatLink({ baseUrl: 'http://forewarn.test', secret: SECRET, incidentId: A, customerId: A, expiresAt: inAWeek() })).pathname;
    const res = await h.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404);
    assert.match(res.body, /Ratings are not available/);
  });
});
