/**
 * Batched customer emails (activities/gmail.ts prepareCustomerEmails): one CSM's audience read
 * page by page in priority order (keyset pagination on (priority_rank, customer_id), so a page
 * costs the same at the end of 50,000 customers as at the start), and each page's outcome written
 * back set-based: outreach moves, notification times and outreach_error.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { EmailAudience } from '../domain/incident/model';
import { canTransition, isContacted, OUTREACH_LABELS } from '../domain/outreach';
import type { OutreachStatus, Segment } from '../domain/types';
import type { Database } from './types';

const STATUSES = Object.keys(OUTREACH_LABELS) as OutreachStatus[];
/** Contacted customers get the resolution notice (domain/outreach.ts isContacted). */
const CONTACTED = STATUSES.filter(isContacted);
/** Where a sent resolution notice may move outreach from. */
const TO_RESOLUTION_SENT = STATUSES.filter((s) => canTransition(s, 'resolution_sent'));

/** Where a page ends: the next page starts after it. */
export interface PageCursor { rank: number; customerId: string }

export interface AudienceCustomer {
  id: string;
  name: string;
  contactName?: string;
  contactEmail?: string;
  /** Names of the incident's components this customer uses. */
  componentNames: string[];
  priorityRank: number;
  /** Picks the templates written for the customer's segment. */
  segment: Segment;
}

function audienceFilter(audience: EmailAudience): RawBuilder<boolean> {
  if (audience === 'high_pending') return sql<boolean>`i.impact_level = 'high' and i.outreach_status = 'pending' and i.outreach_error is null`;
  if (audience === 'pending') return sql<boolean>`i.impact_level <> 'none' and i.outreach_status = 'pending'`;
  return sql<boolean>`i.outreach_status = any(${CONTACTED}::text[])`;
}

/** The next `limit` customers of the CSM's audience after `after`, in priority order. */
export async function audiencePage(db: Kysely<Database>, input: {
  incidentId: string; csmId: string; audience: EmailAudience; componentKeys: string[]; after?: PageCursor; limit: number;
}): Promise<AudienceCustomer[]> {
  const after = input.after
    ? sql`and (i.priority_rank, i.customer_id) > (${input.after.rank}::int, ${input.after.customerId}::uuid)`
    : sql``;
  const result = await sql<{
    customer_id: string; name: string; contact_name: string | null; contact_email: string | null; priority_rank: number; component_names: string[] | null;
    segment: Segment;
  }>`
    select i.customer_id, c.name, c.contact_name, c.contact_email, i.priority_rank, c.segment,
      (select array_agg(co.name order by co.key) from customer_components cc join components co on co.id = cc.component_id
        where cc.customer_id = c.id and co.key = any(${input.componentKeys}::text[])) as component_names
    from customers c
    join incident_customer_impact i on i.customer_id = c.id and i.incident_id = ${input.incidentId}::uuid
    where c.csm_id = ${input.csmId}::uuid and ${audienceFilter(input.audience)} ${after}
    order by i.priority_rank, i.customer_id
    limit ${input.limit}`.execute(db);
  return result.rows.map((r) => ({
    id: r.customer_id, name: r.name, contactName: r.contact_name ?? undefined, contactEmail: r.contact_email ?? undefined,
    componentNames: r.component_names ?? [], priorityRank: r.priority_rank, segment: r.segment,
  }));
}

/**
 * What one page of emails did, written back in one transaction: customers whose email exists
 * (`done`, including earlier attempts' work) lose any outreach_error and move on — an outreach
 * draft moves pending → drafted (sent when sending), a sent resolution notice moves contacted →
 * resolution_sent with resolution_notified_at and customer_notified_at; `failed` customers keep
 * their status and get the reason in outreach_error. Answers the customers whose outreach moved.
 */
export async function applyEmailPage(db: Kysely<Database>, input: {
  incidentId: string; kind: 'outreach' | 'resolution'; send: boolean; at: Date; note: string;
  done: string[]; failed: { customerId: string; error: string }[];
}): Promise<string[]> {
  const { incidentId, at } = input;
  return db.transaction().execute(async (trx) => {
    let moved: string[] = [];
    if (input.done.length) {
      await sql`update incident_customer_impact set outreach_error = null, updated_at = now()
        where incident_id = ${incidentId}::uuid and customer_id = any(${input.done}::uuid[]) and outreach_error is not null`.execute(trx);
      if (input.kind === 'outreach') {
        const next: OutreachStatus = input.send ? 'sent' : 'drafted';
        const r = await sql<{ customer_id: string }>`update incident_customer_impact
          set outreach_status = ${next}, outreach_updated_at = ${at}::timestamptz, outreach_note = ${input.note}, updated_at = now()
            ${input.send ? sql`, customer_notified_at = coalesce(customer_notified_at, ${at}::timestamptz)` : sql``}
          where incident_id = ${incidentId}::uuid and customer_id = any(${input.done}::uuid[]) and outreach_status = 'pending'
          returning customer_id`.execute(trx);
        moved = r.rows.map((x) => x.customer_id);
      } else if (input.send) {
        const r = await sql<{ customer_id: string }>`update incident_customer_impact
          set outreach_status = 'resolution_sent', outreach_updated_at = ${at}::timestamptz, outreach_note = ${input.note},
            resolution_notified_at = coalesce(resolution_notified_at, ${at}::timestamptz),
            customer_notified_at = coalesce(customer_notified_at, ${at}::timestamptz), updated_at = now()
          where incident_id = ${incidentId}::uuid and customer_id = any(${input.done}::uuid[])
            and outreach_status = any(${TO_RESOLUTION_SENT}::text[])
          returning customer_id`.execute(trx);
        moved = r.rows.map((x) => x.customer_id);
      }
    }
    if (input.failed.length) {
      await sql`update incident_customer_impact i set outreach_error = f.error, updated_at = now()
        from unnest(${input.failed.map((f) => f.customerId)}::uuid[], ${input.failed.map((f) => f.error)}::text[]) as f(customer_id, error)
        where i.incident_id = ${incidentId}::uuid and i.customer_id = f.customer_id`.execute(trx);
    }
    return moved;
  });
}
