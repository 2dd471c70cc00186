/** CSAT ratings from the resolution email's one-click links: one per customer and incident. */
import { sql, type Kysely } from 'kysely';
import type { Database } from './types';

type Db = Kysely<Database>;

export interface RatingTarget {
  incidentTitle: string;
  customerName: string;
  /** The rating already recorded (the link is single-use), if any. */
  rating: number | null;
}

/** What a rating page shows: the incident and customer of a link, or undefined when they are gone or never matched. */
export async function ratingTarget(db: Db, incidentId: string, customerId: string): Promise<RatingTarget | undefined> {
  const row = await db.selectFrom('incident_customer_impact as ici')
    .innerJoin('product_incidents as pi', 'pi.id', 'ici.incident_id')
    .innerJoin('customers as c', 'c.id', 'ici.customer_id')
    .leftJoin('csat_ratings as r', (j) => j.onRef('r.incident_id', '=', 'ici.incident_id').onRef('r.customer_id', '=', 'ici.customer_id'))
    .select(['pi.title', 'c.name', 'r.rating'])
    .where('ici.incident_id', '=', incidentId).where('ici.customer_id', '=', customerId)
    .executeTakeFirst();
  return row ? { incidentTitle: row.title, customerName: row.name, rating: row.rating ?? null } : undefined;
}

export type RatingOutcome = { status: 'recorded' } | { status: 'already'; rating: number } | { status: 'unknown' };

/** Records the rating once: a second use of the link keeps the first answer. */
export async function recordRating(db: Db, input: { incidentId: string; customerId: string; rating: number }): Promise<RatingOutcome> {
  const inserted = await sql<{ id: string }>`
    insert into csat_ratings (incident_id, customer_id, rating)
    select ici.incident_id, ici.customer_id, ${input.rating} from incident_customer_impact ici
    where ici.incident_id = ${input.incidentId} and ici.customer_id = ${input.customerId}
    on conflict (incident_id, customer_id) do nothing
    returning id`.execute(db);
  if (inserted.rows.length > 0) return { status: 'recorded' };
  const existing = await db.selectFrom('csat_ratings').select('rating')
    .where('incident_id', '=', input.incidentId).where('customer_id', '=', input.customerId).executeTakeFirst();
  return existing ? { status: 'already', rating: existing.rating } : { status: 'unknown' };
}
