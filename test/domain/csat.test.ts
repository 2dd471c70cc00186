/** The rating link's token (domain/csat-link.ts) and its place in the resolution email. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { csatLink, signCsatToken, verifyCsatToken } from '../../domain/csat-link';
import { renderCustomerEmail } from '../../domain/messages/email';
import type { MessageTemplate } from '../../domain/messages/templates';
import { exampleIncident } from '../helpers/incident';

const SECRET = 'csat-secret-for-tests-0123456789abcdef';
const claim = { incidentId: '11111111-1111-4111-8111-111111111111', customerId: '22222222-2222-4222-8222-222222222222', expiresAt: new Date('2026-03-01T00:00:00Z') };

describe('rating token', () => {
  test('round-trips the incident, customer and expiry; 70 URL-safe characters', () => {
    const token = signCsatToken(SECRET, claim);
    assert.match(token, /^[A-Za-z0-9_-]{70}$/);
    assert.deepEqual(verifyCsatToken(SECRET, token, new Date('2026-02-01T00:00:00Z')), { ok: true, claim });
  });

  test('forged, tampered, malformed and expired tokens are told apart', () => {
    const token = signCsatToken(SECRET, claim);
    assert.equal(verifyCsatToken('another-secret-0123456789abcdef0123', token, new Date('2026-02-01T00:00:00Z')).ok, false);
    const bytes = Buffer.from(token, 'base64url');
    bytes[33] ^= 1; // a later expiry
    assert.deepEqual(verifyCsatToken(SECRET, bytes.toString('base64url'), new Date('2026-02-01T00:00:00Z')), { ok: false, reason: 'forged' });
    assert.deepEqual(verifyCsatToken(SECRET, token.slice(1), new Date()), { ok: false, reason: 'malformed' });
    const expired = verifyCsatToken(SECRET, token, new Date('2026-03-01T00:00:00Z'));
    assert.deepEqual([expired.ok, !expired.ok && expired.reason], [false, 'expired']);
  });
});

describe('resolution email rating links', () => {
  const incident = { ...exampleIncident(), id: claim.incidentId, status: 'resolved' as const, resolvedAt: '2026-01-29T21:45:00.000Z' };
  const csm = { name: 'Ana Ruiz', email: 'ana@corp.example' };
  const customer = { id: claim.customerId, name: 'TechCorp', componentNames: ['API Gateway'] };
  const link = csatLink({ baseUrl: 'https://forewarn.example.com', secret: SECRET, ...claim });
  const template = (body: string): MessageTemplate => ({
    key: 'resolved', severity: null, status: 'resolved', components: [], body, version: 1, approvedBy: 'Lee', approvedAt: '2026-01-01T00:00:00Z',
  });

  test('five one-click links, best first, before the signature', () => {
    const email = renderCustomerEmail({ kind: 'resolution', incident, templates: [], csm, customer, ratingLink: link });
    assert.match(link, /^https:\/\/forewarn\.example\.com\/rate\/[A-Za-z0-9_-]{70}$/);
    const lines = email.text.split('\n');
    const at = lines.indexOf('How did we handle this incident? One click rates it:');
    assert.ok(at > 0);
    assert.deepEqual(lines.slice(at + 1, at + 6), [5, 4, 3, 2, 1].map((s) => `  ${s} – ${['', 'Very poor', 'Poor', 'Okay', 'Good', 'Excellent'][s]}: ${link}?score=${s}`));
    assert.ok(email.text.endsWith('Best regards,\nAna Ruiz'));
  });

  test('an approved template may place the links ({{rating.links}}); without rating configured it renders without them', () => {
    const templates = [template('{{incident.title}} is resolved.\n\n{{rating.links}}')];
    const placed = renderCustomerEmail({ kind: 'resolution', incident, templates, csm, customer, ratingLink: link });
    assert.equal(placed.approved.templateKey, 'resolved');
    assert.equal(placed.text.split(`${link}?score=5`).length, 2, 'the links appear once');
    const without = renderCustomerEmail({ kind: 'resolution', incident, templates, csm, customer });
    assert.equal(without.approved.templateKey, 'resolved');
    assert.doesNotMatch(without.text, /rate|\{\{/);
  });

  test('outreach emails carry no rating', () => {
    const email = renderCustomerEmail({ kind: 'outreach', incident: { ...incident, status: 'investigating' }, templates: [], csm, customer, ratingLink: link });
    assert.doesNotMatch(email.text, /\/rate\//);
  });
});
