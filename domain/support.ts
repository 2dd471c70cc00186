/**
 * Customer-reported issues: which components a support ticket is about, and when tickets add up to a
 * suspected incident.
 *
 * Matching: a component matches a ticket when one of its `ticket_tags` equals one of the ticket's tags, or
 * one of its `ticket_keywords` appears in the subject as whole words — all compared lower-cased
 * ("api" matches "API down" but not "rapid"; "api gateway" matches "Errors from the API  Gateway").
 *
 * Spike: tickets from at least `threshold` distinct customers within the last `windowMinutes`.
 * Time is when Forewarn received the ticket, not the ticket's own createdAt: a backlog of old tickets
 * imported at once is not a spike of fresh reports, and senders' clocks do not move the window.
 */

export interface SupportMatchRule {
  key: string;
  name: string;
  tags: string[];
  keywords: string[];
}

export interface TicketForMatching {
  subject: string;
  tags: string[];
}

const normalize = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whole-word, case-insensitive, any run of blanks between words. */
function keywordPattern(keyword: string): RegExp {
  const words = normalize(keyword).split(' ').map(escapeRegExp).join('\\s+');
  return new RegExp(`(^|[^\\p{L}\\p{N}])${words}(?=$|[^\\p{L}\\p{N}])`, 'iu');
}

/** Component keys the ticket is about, in the rules' order. */
export function matchTicketComponents(ticket: TicketForMatching, rules: SupportMatchRule[]): string[] {
  const tags = new Set(ticket.tags.map(normalize).filter(Boolean));
  const subject = ticket.subject ?? '';
  const keys: string[] = [];
  for (const rule of rules) {
    const byTag = rule.tags.some((t) => tags.has(normalize(t)));
    const byKeyword = !byTag && rule.keywords.some((k) => normalize(k) !== '' && keywordPattern(k).test(subject));
    if ((byTag || byKeyword) && !keys.includes(rule.key)) keys.push(rule.key);
  }
  return keys;
}

export interface WindowTicket {
  ticketId: string;
  customerExternalId: string;
  /** ISO-8601: when Forewarn received it. */
  receivedAt: string;
}

/** Tickets still inside the window ending at `now` (a ticket exactly `window` old has left it). */
export function ticketsInWindow<T extends WindowTicket>(tickets: T[], now: number, windowMinutes: number): T[] {
  const from = now - windowMinutes * 60_000;
  return tickets.filter((t) => Date.parse(t.receivedAt) > from);
}

export function distinctCustomers(tickets: WindowTicket[]): string[] {
  return [...new Set(tickets.map((t) => t.customerExternalId.trim().toLowerCase()))];
}

export interface SpikeInput<T extends WindowTicket> {
  tickets: T[];
  now: number;
  threshold: number;
  windowMinutes: number;
}

export interface SpikeResult<T> {
  inWindow: T[];
  customers: number;
  spike: boolean;
  /** When the oldest ticket leaves the window (epoch ms); undefined when the window is empty. */
  nextExpiry?: number;
}

/** The spike rule: N distinct customers within the sliding window. */
export function evaluateSpike<T extends WindowTicket>(input: SpikeInput<T>): SpikeResult<T> {
  const inWindow = ticketsInWindow(input.tickets, input.now, input.windowMinutes);
  const customers = distinctCustomers(inWindow).length;
  const oldest = inWindow.reduce<number | undefined>((min, t) => {
    const at = Date.parse(t.receivedAt);
    return min === undefined || at < min ? at : min;
  }, undefined);
  return {
    inWindow,
    customers,
    spike: customers >= input.threshold,
    nextExpiry: oldest === undefined ? undefined : oldest + input.windowMinutes * 60_000,
  };
}

/** The suspected incident's title, naming the component and how many tickets made it. */
export function suspectedIncidentTitle(componentName: string, tickets: number, customers: number, windowMinutes: number): string {
  return `Suspected incident on ${componentName}: ${tickets} support ticket${tickets === 1 ? '' : 's'} from ${customers} customer${customers === 1 ? '' : 's'} in ${windowMinutes} minutes`;
}

/** The timeline note for tickets added to an incident that is already open. */
export function supportTicketsNote(componentName: string, tickets: { ticketId: string; customerExternalId: string; subject: string }[]): string {
  const customers = distinctCustomers(tickets.map((t) => ({ ...t, receivedAt: '' }))).length;
  const head = `${tickets.length} support ticket${tickets.length === 1 ? '' : 's'} from ${customers} customer${customers === 1 ? '' : 's'} about ${componentName}`;
  const lines = tickets.slice(0, 20).map((t) => `#${t.ticketId} (${t.customerExternalId}): ${t.subject}`);
  const more = tickets.length > 20 ? [`…and ${tickets.length - 20} more`] : [];
  return [head, ...lines, ...more].join('\n');
}

// ---- ticket payloads ---------------------------------------------------------------------------

export interface FieldError { path: string; message: string }

export class TicketPayloadError extends Error {
  constructor(message: string, public readonly errors: FieldError[]) {
    super(message);
    this.name = 'TicketPayloadError';
  }
}

export interface ParsedTicket {
  ticketId: string;
  customerExternalId: string;
  subject: string;
  tags: string[];
  createdAt: string;
}

export type ParsedTicketDelivery =
  | { kind: 'ticket'; deliveryId: string; ticket: ParsedTicket }
  /** A Zendesk event other than ticket creation: acknowledged, nothing to count. */
  | { kind: 'ignored'; deliveryId: string; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const idString = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;

function tagsOf(value: unknown, path: string, errors: FieldError[]): string[] {
  if (value === undefined || value === null) return [];
  // Zendesk placeholders render tags as one space-separated string; the event API sends an array.
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value) && value.every((t) => typeof t === 'string')) return value as string[];
  errors.push({ path, message: 'must be an array of strings' });
  return [];
}

function isoOf(value: unknown, path: string, errors: FieldError[]): string {
  if (typeof value === 'string' && Number.isFinite(Date.parse(value))) return new Date(Date.parse(value)).toISOString();
  errors.push({ path, message: value === undefined ? 'is required' : 'must be an ISO-8601 date-time' });
  return '';
}

/** Is this body a Zendesk event (`{ type: 'zen:event-type:…', detail, … }`)? */
export function isZendeskEvent(body: unknown): boolean {
  return isObject(body) && typeof body.type === 'string' && body.type.startsWith('zen:event-type:');
}

/**
 * A Zendesk ticket event (https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/).
 * The customer is the ticket's organization (a Zendesk organization is a customer account); tickets from
 * people without an organization count per requester.
 */
export function parseZendeskTicketEvent(body: unknown): ParsedTicketDelivery {
  if (!isObject(body)) throw new TicketPayloadError('The body must be a JSON object', [{ path: 'body', message: 'must be an object' }]);
  const eventId = idString(body.id);
  if (!eventId) throw new TicketPayloadError('body/id is required', [{ path: 'body/id', message: 'is required (the Zendesk event id)' }]);
  const deliveryId = `zendesk:${eventId}`;
  if (body.type !== 'zen:event-type:ticket.created') return { kind: 'ignored', deliveryId, reason: `Zendesk event ${String(body.type)} is not a ticket creation` };
  const errors: FieldError[] = [];
  const detail = body.detail;
  if (!isObject(detail)) throw new TicketPayloadError('body/detail must be the ticket', [{ path: 'body/detail', message: 'must be an object' }]);
  const ticketId = idString(detail.id);
  if (!ticketId) errors.push({ path: 'body/detail/id', message: 'is required' });
  const customer = idString(detail.organization_id) ?? (idString(detail.requester_id) ? `requester:${idString(detail.requester_id)}` : undefined);
  if (!customer) errors.push({ path: 'body/detail/organization_id', message: 'or requester_id is required to know the customer' });
  const subject = typeof detail.subject === 'string' ? detail.subject : '';
  const tags = tagsOf(detail.tags, 'body/detail/tags', errors);
  const createdAt = isoOf(detail.created_at ?? body.time, 'body/detail/created_at', errors);
  if (errors.length) throw new TicketPayloadError(`The Zendesk ticket is not usable: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  return { kind: 'ticket', deliveryId, ticket: { ticketId: ticketId!, customerExternalId: customer!, subject, tags, createdAt } };
}

/** The generic ticket body: `{ ticketId, customerExternalId, subject, tags, createdAt }`. */
export function parseGenericTicket(body: unknown): ParsedTicketDelivery {
  if (!isObject(body)) throw new TicketPayloadError('The body must be a JSON object', [{ path: 'body', message: 'must be an object' }]);
  const errors: FieldError[] = [];
  const ticketId = idString(body.ticketId);
  if (!ticketId) errors.push({ path: 'body/ticketId', message: 'is required (string or number)' });
  const customer = idString(body.customerExternalId);
  if (!customer) errors.push({ path: 'body/customerExternalId', message: 'is required (string)' });
  if (typeof body.subject !== 'string') errors.push({ path: 'body/subject', message: body.subject === undefined ? 'is required' : 'must be a string' });
  const tags = tagsOf(body.tags, 'body/tags', errors);
  const createdAt = isoOf(body.createdAt, 'body/createdAt', errors);
  if (errors.length) throw new TicketPayloadError(`The ticket is not usable: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  return {
    kind: 'ticket',
    deliveryId: `ticket:${ticketId}`,
    ticket: { ticketId: ticketId!, customerExternalId: customer!, subject: body.subject as string, tags, createdAt },
  };
}
