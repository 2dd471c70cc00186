/**
 * What the Gmail outreach tracking watches: affected customers whose Forewarn draft may have been sent
 * (outreach 'drafted') or whose sent email may have been answered (outreach 'sent'), with the draft's
 * Message-ID and the CSM's mailbox it was written in.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './types';

export interface TrackedOutreach {
  incidentId: string;
  workflowId: string;
  customerId: string;
  status: 'drafted' | 'sent';
  impactLevel: string;
  /** The mailbox the email was drafted (or sent) in: the CSM's. */
  mailbox: string;
  /** The deterministic Message-ID Forewarn gave the email (activities/gmail.ts). */
  messageId: string;
}

/**
 * Up to `limit` outreach rows to check, least recently moved first, of incidents open or resolved
 * within `lookbackDays`. Only incidents analyzed by the current workflow type (revision ≥ 1): the
 * first type keeps outreach in its workflow, and writing Postgres alone would leave the two disagreeing.
 * The email is the latest delivered outreach email to the customer (a re-requested draft replaces a failed one).
 */
export async function outreachToTrack(db: Kysely<Database>, opts: { lookbackDays: number; limit: number }): Promise<TrackedOutreach[]> {
  const { rows } = await sql<{ incident_id: string; workflow_id: string; customer_id: string; outreach_status: 'drafted' | 'sent'; impact_level: string; mailbox: string | null; message_id: string | null }>`
    select ici.incident_id, p.workflow_id, ici.customer_id, ici.outreach_status, ici.impact_level, e.mailbox, e.message_id
    from incident_customer_impact ici
    join product_incidents p on p.id = ici.incident_id
    cross join lateral (
      select n.payload::jsonb->>'from' as mailbox, n.payload::jsonb->>'messageId' as message_id
      from notifications n
      where n.incident_id = ici.incident_id and n.kind = 'email_outreach' and n.status in ('drafted', 'sent')
        and n.idempotency_key like ${'%:'} || ici.customer_id::text
      order by n.created_at desc limit 1) e
    where ici.outreach_status in ('drafted', 'sent') and ici.impact_level <> 'none' and ici.affected_revision >= 1
      and (p.resolved_at is null or p.resolved_at > now() - make_interval(days => ${opts.lookbackDays}))
    order by ici.outreach_updated_at nulls first, ici.incident_id, ici.customer_id
    limit ${opts.limit}`.execute(db);
  return rows.filter((r) => r.mailbox && r.message_id).map((r) => ({
    incidentId: r.incident_id, workflowId: r.workflow_id, customerId: r.customer_id, status: r.outreach_status,
    impactLevel: r.impact_level, mailbox: r.mailbox!, messageId: r.message_id!,
  }));
}
