/**
 * Storm digests in Postgres (the rule: domain/alert-digest.ts; the Slack side: activities/alert-digest.ts).
 *
 * Where an alert goes is decided under a per-CSM advisory lock, in the same transaction that claims
 * the alert's outbox row, so concurrent incidents' activities count each other's alerts and agree on
 * one digest; a retried activity finds its row and keeps the route it was given. The digest's Slack
 * message is rendered by whoever holds its lease (a row field, not a held connection, so a storm
 * never pins the pool): every join bumps `version`, the holder re-renders until `shown_version`
 * catches up, and releases only when nothing joined meanwhile.
 */
import { sql, type Kysely } from 'kysely';
import { routeAlert, type DigestSettings } from '../domain/alert-digest';
import type { DigestEntry } from '../domain/messages/digest';
import type { IncidentStatus, Severity } from '../domain/types';
import { claimOutbox, type OutboxEntry } from './outbox';
import type { Database, NotificationRow } from './types';

export interface DigestLocation { channel: string; ts: string }

/**
 * Claims the alert's outbox row and decides its route: on its own (`digestKey` undefined) or into
 * the CSM's digest (joined or opened now). A row claimed before keeps its route.
 */
export async function claimAlertRoute(db: Kysely<Database>, input: {
  entry: OutboxEntry; csmEmail: string; settings: DigestSettings;
}): Promise<{ row: NotificationRow; digestKey?: string; opened?: boolean }> {
  const email = input.csmEmail.toLowerCase();
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`alert-route:${email}`}))`.execute(trx);
    const earlier = await trx.selectFrom('notifications').selectAll().where('idempotency_key', '=', input.entry.idempotencyKey).executeTakeFirst();
    if (earlier) return { row: await claimOutbox(trx, input.entry), digestKey: earlier.digest_key ?? undefined };
    const { settings } = input;
    const since = sql<Date>`now() - make_interval(secs => ${settings.windowSeconds})`;
    const [recent, latest, clock] = await Promise.all([
      trx.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n'))
        .where(sql`lower(recipient)`, '=', email).where('kind', '=', 'alert').where('channel', '=', 'slack')
        .where('digest_key', 'is', null).where('status', '!=', 'failed').where('created_at', '>', since)
        .executeTakeFirstOrThrow(),
      trx.selectFrom('alert_digests').select(['idempotency_key', 'last_joined_at']).where('csm_email', '=', email)
        .orderBy('last_joined_at', 'desc').limit(1).executeTakeFirst(),
      sql<{ now: Date }>`select now() as now`.execute(trx),
    ]);
    const route = routeAlert({
      alertKey: input.entry.idempotencyKey, recentDirect: Number(recent.n), now: clock.rows[0]!.now, settings,
      latestDigest: latest && { key: latest.idempotency_key, lastJoinedAt: latest.last_joined_at },
    });
    if (route.kind === 'direct') return { row: await claimOutbox(trx, input.entry) };
    if (route.kind === 'open') {
      await trx.insertInto('alert_digests').values({ idempotency_key: route.digestKey, csm_email: email, version: 1 }).execute();
    } else {
      await trx.updateTable('alert_digests').set({ version: sql`version + 1`, last_joined_at: sql`now()` })
        .where('idempotency_key', '=', route.digestKey).execute();
    }
    const row = await claimOutbox(trx, { ...input.entry, digestKey: route.digestKey });
    return { row, digestKey: route.digestKey, opened: route.kind === 'open' };
  });
}

export interface DigestLease { version: number; location?: DigestLocation }

function leaseOf(row: { version: number; channel: string | null; ts: string | null } | undefined): DigestLease | undefined {
  return row && { version: row.version, location: row.channel && row.ts ? { channel: row.channel, ts: row.ts } : undefined };
}

/** Takes the digest's render lease when nobody holds it (or the holder's lapsed); undefined when someone does. */
export async function takeDigestLease(db: Kysely<Database>, key: string, owner: string, ms: number): Promise<DigestLease | undefined> {
  const row = await db.updateTable('alert_digests')
    .set({ lease_owner: owner, lease_until: sql`now() + make_interval(secs => ${ms / 1000})` })
    .where('idempotency_key', '=', key)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
    .returning(['version', 'channel', 'ts'])
    .executeTakeFirst();
  return leaseOf(row);
}

/**
 * Records that the message shows `version` (and where it is). Releases the lease when nothing
 * joined meanwhile (answers undefined); otherwise keeps and renews it and answers the new version
 * to render. One statement, so a join between the render and the release is never missed.
 */
export async function markDigestShown(db: Kysely<Database>, input: {
  key: string; owner: string; version: number; location: DigestLocation; ms: number;
}): Promise<number | undefined> {
  const row = await db.updateTable('alert_digests')
    .set({
      shown_version: input.version, channel: input.location.channel, ts: input.location.ts,
      lease_owner: sql`case when version = ${input.version} then null else lease_owner end`,
      lease_until: sql`case when version = ${input.version} then null else now() + make_interval(secs => ${input.ms / 1000}) end`,
    })
    .where('idempotency_key', '=', input.key).where('lease_owner', '=', input.owner)
    .returning(['version', 'lease_owner'])
    .executeTakeFirst();
  return row?.lease_owner ? row.version : undefined;
}

/** Gives the lease up (the holder failed): the next alert or retry renders. */
export async function releaseDigestLease(db: Kysely<Database>, key: string, owner: string): Promise<void> {
  await db.updateTable('alert_digests').set({ lease_owner: null, lease_until: null })
    .where('idempotency_key', '=', key).where('lease_owner', '=', owner).execute();
}

export async function findDigest(db: Kysely<Database>, key: string) {
  return db.selectFrom('alert_digests').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

/** The digest whose message is at `where` (a later message in an incident's thread may change what it lists). */
export async function digestAt(db: Kysely<Database>, where: DigestLocation): Promise<string | undefined> {
  const row = await db.selectFrom('alert_digests').select('idempotency_key')
    .where('channel', '=', where.channel).where('ts', '=', where.ts).executeTakeFirst();
  return row?.idempotency_key;
}

/** Something a digest lists changed: its message needs rendering again. */
export async function bumpDigest(db: Kysely<Database>, key: string): Promise<void> {
  await db.updateTable('alert_digests').set({ version: sql`version + 1` }).where('idempotency_key', '=', key).execute();
}

/** Where an alert folded into a digest lives: the digest's message (its thread holds the alert). */
export async function digestOfAlert(db: Kysely<Database>, alertKey: string): Promise<DigestLocation | undefined> {
  const row = await db.selectFrom('notifications as n').innerJoin('alert_digests as d', 'd.idempotency_key', 'n.digest_key')
    .select(['d.channel', 'd.ts']).where('n.idempotency_key', '=', alertKey).executeTakeFirst();
  return row?.channel && row.ts ? { channel: row.channel, ts: row.ts } : undefined;
}

/** Every incident folded into the digest, in the order they joined, with the CSM's customers and ARR in each. */
export async function digestEntries(db: Kysely<Database>, key: string): Promise<DigestEntry[]> {
  const rows = await sql<{ id: string; title: string; severity: Severity; status: IncidentStatus; customers: number; arr: string | null }>`
    select i.id, i.title, i.severity, i.status, coalesce(x.customers, 0)::int as customers, x.arr::text as arr
    from alert_digests d
    join notifications n on n.digest_key = d.idempotency_key and n.kind = 'alert'
    join product_incidents i on i.id = n.incident_id
    left join lateral (
      select count(*) as customers, sum(c.arr) as arr
      from customers c
      join incident_customer_impact ici on ici.customer_id = c.id and ici.incident_id = i.id
      where c.csm_id = (select m.id from csms m where lower(m.email) = d.csm_email limit 1) and ici.impact_level <> 'none'
    ) x on true
    where d.idempotency_key = ${key}
    order by n.created_at, n.idempotency_key`.execute(db);
  return rows.rows.map((r) => ({
    incidentId: r.id, title: r.title, severity: r.severity, status: r.status, customers: Number(r.customers), arr: Number(r.arr ?? 0),
  }));
}
