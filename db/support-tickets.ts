/** Support tickets as received, kept with their customer and opening time (customer-initiated escalations). */
import { sql, type Kysely } from 'kysely';
import type { ParsedTicket } from '../domain/support';
import type { Database } from './types';

/**
 * Stores a ticket once (a helpdesk's retry is a no-op), linked to the customer whose external id it
 * carries when Forewarn knows them.
 */
export async function recordSupportTicket(db: Kysely<Database>, ticket: ParsedTicket): Promise<void> {
  await sql`
    insert into support_tickets (ticket_id, customer_external_id, customer_id, subject, tags, opened_at)
    values (${ticket.ticketId}, ${ticket.customerExternalId},
      (select id from customers where external_id = ${ticket.customerExternalId}),
      ${ticket.subject ?? ''}, ${ticket.tags}::text[], ${ticket.createdAt}::timestamptz)
    on conflict (ticket_id) do nothing`.execute(db);
}
