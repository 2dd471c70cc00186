/** The outbox page: every notification sent or attempted. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../types';
import { iso } from './shared';

export interface OutboxItem {
  id: string;
  incidentId: string | null;
  incidentTitle: string | null;
  channel: string;
  recipient: string;
  kind: string;
  status: string;
  payload: unknown;
  error: string | null;
  attempts: number;
  providerRef: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface OutboxFilter {
  channel?: 'slack' | 'email';
  status?: string;
  incidentId?: string;
  /** Keyset paging: the rows after this notification id in newest-first order. */
  before?: string;
  limit: number;
}

/** Every Slack message and email, newest first, with what was rendered and what happened to it. */
export async function listOutbox(db: Kysely<Database>, filter: OutboxFilter): Promise<{ items: OutboxItem[]; counts: Record<string, number> }> {
  let q = db.selectFrom('notifications as n')
    .leftJoin('product_incidents as i', 'i.id', 'n.incident_id')
    .select(['n.id', 'n.incident_id', 'i.title', 'n.channel', 'n.recipient', 'n.kind', 'n.status', 'n.payload', 'n.error', 'n.attempts',
      'n.provider_ref', 'n.created_at', 'n.sent_at'])
    .orderBy('n.created_at', 'desc').orderBy('n.id', 'desc')
    .limit(filter.limit);
  if (filter.channel) q = q.where('n.channel', '=', filter.channel);
  if (filter.status) q = q.where('n.status', '=', filter.status);
  if (filter.incidentId) q = q.where('n.incident_id', '=', filter.incidentId);
  if (filter.before) {
    const cursor = filter.before;
    q = q.where(sql<boolean>`(n.created_at, n.id) < (select c.created_at, c.id from notifications c where c.id = ${cursor}::uuid)`);
  }
  const [rows, counts] = await Promise.all([
    q.execute(),
    db.selectFrom('notifications').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status').execute(),
  ]);
  return {
    items: rows.map((r) => ({
      id: r.id, incidentId: r.incident_id, incidentTitle: r.title, channel: r.channel, recipient: r.recipient, kind: r.kind, status: r.status,
      payload: r.payload, error: r.error, attempts: r.attempts, providerRef: r.provider_ref, createdAt: iso(r.created_at)!, sentAt: iso(r.sent_at),
    })),
    counts: Object.fromEntries(counts.map((c) => [c.status, Number(c.n)])),
  };
}
