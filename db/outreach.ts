/**
 * Outreach, recorded in Postgres: where a CSM stands with one affected customer. The state
 * machine's rules (domain/outreach.ts) are checked under a row lock, so two people moving the
 * same customer at once cannot both win, and outreach can be recorded whether or not the
 * incident's workflow is still running.
 */
import { sql, type Kysely } from 'kysely';
import { checkOutreachTransition, OUTREACH_LABELS } from '../domain/outreach';
import { OUTREACH_STATUSES, type OutreachStatus } from '../domain/types';
import { insertTimelineEntries, updateOutreach } from './incident-writes';
import type { Database } from './types';

type Db = Kysely<Database>;

export interface OutreachChangeInput {
  incidentId: string;
  customerId: string;
  status: OutreachStatus;
  note?: string;
  actor?: string;
  at: string;
}

/** Saves one outreach change and its timeline line (inside the caller's transaction). False: no such row. */
export async function saveOutreachChange(trx: Db, input: OutreachChangeInput & { customerNotifiedAt?: string }): Promise<boolean> {
  const updated = await updateOutreach(trx, {
    ...input,
    customerNotifiedAt: input.customerNotifiedAt ?? (input.status === 'sent' ? input.at : undefined),
  });
  if (!updated) return false;
  if (input.status === 'resolution_sent') {
    await trx.updateTable('incident_customer_impact')
      .set({ resolution_notified_at: sql`coalesce(resolution_notified_at, ${input.at}::timestamptz)` })
      .where('incident_id', '=', input.incidentId).where('customer_id', '=', input.customerId)
      .execute();
  }
  await insertTimelineEntries(trx, input.incidentId, [{
    kind: 'outreach',
    summary: `Outreach to ${updated.customerName}: ${OUTREACH_LABELS[input.status] ?? input.status}${input.note ? ` — ${input.note}` : ''}`,
    details: { customerId: input.customerId, status: input.status, ...(input.note ? { note: input.note } : {}) },
    actor: input.actor,
    occurredAt: input.at,
    dedupeKey: `outreach:${input.incidentId}:${input.customerId}:${input.status}:${input.at}`,
  }]);
  return true;
}

export type OutreachOutcome =
  | { ok: true; customerId: string; previous: OutreachStatus; status: OutreachStatus; noop: boolean; csmEmail: string | null; impactLevel: string }
  | { ok: false; reason: 'unknownCustomer' | 'invalidTransition'; message: string };

/**
 * Moves one customer's outreach if the state machine allows it: an unknown customer or a refused
 * move comes back with the message a person can act on; setting the current status is a no-op.
 */
export async function changeOutreach(db: Db, input: OutreachChangeInput): Promise<OutreachOutcome> {
  return db.transaction().execute(async (trx): Promise<OutreachOutcome> => {
    const row = await trx.selectFrom('incident_customer_impact as i')
      .innerJoin('customers as c', 'c.id', 'i.customer_id')
      .innerJoin('product_incidents as p', 'p.id', 'i.incident_id')
      .leftJoin('csms as s', 's.id', 'c.csm_id')
      .select(['i.outreach_status', 'i.impact_level', 'c.name', 'p.title', 's.email as csm_email'])
      .where('i.incident_id', '=', input.incidentId)
      .where('i.customer_id', '=', input.customerId)
      .forUpdate('i')
      .executeTakeFirst();
    if (!row) {
      const incident = await trx.selectFrom('product_incidents').select('title').where('id', '=', input.incidentId).executeTakeFirst();
      return {
        ok: false, reason: 'unknownCustomer',
        message: `Customer ${input.customerId} is not among the customers affected by "${incident?.title ?? input.incidentId}".`,
      };
    }
    if (!OUTREACH_STATUSES.includes(input.status)) {
      return { ok: false, reason: 'invalidTransition', message: `"${String(input.status)}" is not an outreach status; use one of ${OUTREACH_STATUSES.join(', ')}.` };
    }
    const previous = row.outreach_status as OutreachStatus;
    const check = checkOutreachTransition(previous, input.status, row.name);
    if (!check.ok) return { ok: false, reason: 'invalidTransition', message: check.reason };
    const base = { customerId: input.customerId, previous, csmEmail: row.csm_email, impactLevel: row.impact_level };
    if (check.noop) return { ok: true, ...base, status: previous, noop: true };
    await saveOutreachChange(trx, input);
    return { ok: true, ...base, status: input.status, noop: false };
  });
}
