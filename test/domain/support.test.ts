import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import zendeskTicketCreated from '../fixtures/zendesk/ticket-created.json';
import {
  evaluateSpike, matchTicketComponents, parseGenericTicket, parseZendeskTicketEvent, suspectedIncidentTitle,
  supportTicketsNote, TicketPayloadError, type SupportMatchRule,
} from '../../domain/support';

const rules: SupportMatchRule[] = [
  { key: 'api-gateway', name: 'API Gateway', tags: ['api', 'API-Errors'], keywords: ['api gateway', 'rate limit'] },
  { key: 'login', name: 'Login', tags: ['sso'], keywords: ['login', 'sign in'] },
  { key: 'billing', name: 'Billing', tags: [], keywords: ['invoice'] },
];

describe('matching tickets to components', () => {
  test('by tag, compared lower-cased', () => {
    assert.deepEqual(matchTicketComponents({ subject: 'Help', tags: ['API-ERRORS'] }, rules), ['api-gateway']);
    assert.deepEqual(matchTicketComponents({ subject: 'Help', tags: [' SSO '] }, rules), ['login']);
  });

  test('by subject keyword, as whole words, any case and spacing', () => {
    assert.deepEqual(matchTicketComponents({ subject: 'Errors from the API   Gateway since 9am', tags: [] }, rules), ['api-gateway']);
    assert.deepEqual(matchTicketComponents({ subject: 'Cannot LOGIN, and my invoice is wrong', tags: [] }, rules), ['login', 'billing']);
    assert.deepEqual(matchTicketComponents({ subject: 'Logins are slow', tags: [] }, rules), [], '"login" must not match inside "Logins"');
    assert.deepEqual(matchTicketComponents({ subject: 'Invoiced twice', tags: [] }, rules), []);
  });

  test('a ticket about nothing configured matches nothing', () => {
    assert.deepEqual(matchTicketComponents({ subject: 'How do I change my avatar?', tags: ['question'] }, rules), []);
  });
});

describe('the spike rule: N distinct customers within the window', () => {
  const t0 = Date.parse('2026-11-26T14:00:00Z');
  const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();
  const ticket = (id: number, customer: string, minutes: number) => ({ ticketId: String(id), customerExternalId: customer, receivedAt: at(minutes) });
  const rule = { threshold: 5, windowMinutes: 15 };

  test('5 distinct customers within 15 minutes is a spike', () => {
    const tickets = ['a', 'b', 'c', 'd', 'e'].map((c, i) => ticket(i, c, i * 3));
    const r = evaluateSpike({ tickets, now: t0 + 12 * 60_000, ...rule });
    assert.equal(r.customers, 5);
    assert.equal(r.spike, true);
    assert.equal(r.nextExpiry, t0 + 15 * 60_000);
  });

  test('4 customers, then a 5th after the first left the window, is not', () => {
    const tickets = [...['a', 'b', 'c', 'd'].map((c, i) => ticket(i, c, 0)), ticket(9, 'e', 16)];
    const r = evaluateSpike({ tickets, now: t0 + 16 * 60_000, ...rule });
    assert.deepEqual(r.inWindow.map((t) => t.customerExternalId), ['e']);
    assert.equal(r.spike, false);
  });

  test('a ticket exactly one window old has left the window', () => {
    const r = evaluateSpike({ tickets: [ticket(1, 'a', 0)], now: t0 + 15 * 60_000, ...rule });
    assert.equal(r.inWindow.length, 0);
    assert.equal(r.nextExpiry, undefined);
  });

  test('many tickets from one customer (in any case) count once', () => {
    const tickets = [ticket(1, 'acct-1', 0), ticket(2, 'ACCT-1', 1), ticket(3, 'acct-1', 2), ticket(4, 'acct-2', 3), ticket(5, 'acct-3', 4), ticket(6, 'acct-4', 5)];
    const r = evaluateSpike({ tickets, now: t0 + 6 * 60_000, ...rule });
    assert.equal(r.customers, 4);
    assert.equal(r.spike, false);
  });

  test('titles and notes name the component and the counts', () => {
    assert.equal(suspectedIncidentTitle('API Gateway', 6, 5, 15), 'Suspected incident on API Gateway: 6 support tickets from 5 customers in 15 minutes');
    const note = supportTicketsNote('API Gateway', [{ ticketId: '42', customerExternalId: 'acct-9', subject: 'API 500s' }]);
    assert.equal(note, '1 support ticket from 1 customer about API Gateway\n#42 (acct-9): API 500s');
  });
});

describe('ticket payloads', () => {
  test('the documented Zendesk ticket-created event: customer = organization', () => {
    assert.deepEqual(parseZendeskTicketEvent(structuredClone(zendeskTicketCreated)), {
      kind: 'ticket',
      deliveryId: 'zendesk:cbe4028c-7239-495d-b020-f22348516046',
      ticket: { ticketId: '5158', customerExternalId: '8447346622462', subject: 'ticketinfo_2294a6e9ece2', tags: ['ticket-info-test-tag'], createdAt: '2025-01-08T10:12:07.000Z' },
    });
  });

  test('a Zendesk ticket without organization counts per requester; other Zendesk events are ignored', () => {
    const body = structuredClone(zendeskTicketCreated);
    (body.detail as { organization_id: string | null }).organization_id = null;
    assert.equal((parseZendeskTicketEvent(body) as { ticket: { customerExternalId: string } }).ticket.customerExternalId, 'requester:8447388090494');
    assert.deepEqual(parseZendeskTicketEvent({ ...body, type: 'zen:event-type:ticket.status_changed' }), {
      kind: 'ignored', deliveryId: 'zendesk:cbe4028c-7239-495d-b020-f22348516046', reason: 'Zendesk event zen:event-type:ticket.status_changed is not a ticket creation',
    });
  });

  test('the generic ticket, with numeric ids and space-separated tags accepted', () => {
    assert.deepEqual(parseGenericTicket({ ticketId: 77, customerExternalId: 'acct-001', subject: 'API down', tags: 'api urgent', createdAt: '2026-11-26T14:00:00+01:00' }), {
      kind: 'ticket', deliveryId: 'ticket:77',
      ticket: { ticketId: '77', customerExternalId: 'acct-001', subject: 'API down', tags: ['api', 'urgent'], createdAt: '2026-11-26T13:00:00.000Z' },
    });
  });

  test('a bad generic ticket names every offending field', () => {
    try {
      parseGenericTicket({ ticketId: '', subject: 4, tags: [1], createdAt: 'soon' });
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof TicketPayloadError);
      assert.deepEqual(err.errors.map((e) => e.path), ['body/ticketId', 'body/customerExternalId', 'body/subject', 'body/tags', 'body/createdAt']);
    }
  });
});
