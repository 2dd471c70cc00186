/** The team view: per CSM, across open incidents. */
import { sql, type Kysely } from 'kysely';
import { CLOSED_STATUS_LIST } from '../incident-queries';
import type { Database } from '../types';
import { acknowledgedBy, iso, num } from './shared';

export interface TeamMember {
  email: string | null;
  name: string;
  managerEmail: string | null;
  incidents: number;
  /** Distinct customers (one hit by two incidents counts once), their high-impact count and ARR. */
  customers: number;
  highImpact: number;
  arr: number;
  /** Outreach not yet sent (pending or drafted), per customer and incident. */
  pendingOutreach: number;
  /** Open incidents this CSM was alerted about and has not acknowledged. */
  unacknowledged: { incidentId: string; title: string; severity: string; alertedAt: string; escalated: boolean }[];
}

/** Per CSM, across open incidents: affected customers, pending outreach, unacknowledged alerts. */
export async function getTeamView(db: Kysely<Database>): Promise<{ members: TeamMember[]; csmCount: number }> {
  const rows = await sql<{
    csm_id: string | null; email: string | null; name: string | null; manager_email: string | null; incident_id: string; title: string; severity: string;
    customers: number; high: number; arr: string | null; pending: number; alerted_at: Date | null; acknowledged: boolean; escalated: boolean;
  }>`
    with open_impact as (
      select cu.csm_id, ici.incident_id, ici.customer_id, cu.arr, ici.impact_level, ici.outreach_status, ici.csm_notified_at
      from incident_customer_impact ici
      join product_incidents i on i.id = ici.incident_id and i.status not in ${CLOSED_STATUS_LIST} and i.merged_into is null
      join customers cu on cu.id = ici.customer_id
      where ici.impact_level <> 'none'),
    per_incident as (
      select csm_id, incident_id,
        count(*) filter (where outreach_status in ('pending', 'drafted'))::int as pending,
        min(csm_notified_at) as alerted_at
      from open_impact group by csm_id, incident_id),
    -- A customer hit by two open incidents is one customer (and one ARR) for the CSM.
    per_csm as (
      select csm_id, count(*)::int as customers, count(*) filter (where high)::int as high, sum(arr) as arr
      from (select csm_id, customer_id, max(arr) as arr, bool_or(impact_level = 'high') as high from open_impact group by csm_id, customer_id) c
      group by csm_id),
    -- Acknowledgements and escalations are few: match them to CSMs once, not once per (CSM, incident).
    acks as (
      select distinct u.incident_id, cs.id as csm_id
      from incident_updates u join product_incidents i on i.id = u.incident_id and i.status not in ${CLOSED_STATUS_LIST} and i.merged_into is null
      join csms cs on ${acknowledgedBy}
      where u.kind = 'acknowledged'),
    escalations as (
      select distinct u.incident_id, cs.id as csm_id
      from incident_updates u join product_incidents i on i.id = u.incident_id and i.status not in ${CLOSED_STATUS_LIST} and i.merged_into is null
      join csms cs on (u.actor = cs.email or u.details->>'csm' = cs.email or u.details->>'csmEmail' = cs.email)
      where u.kind = 'escalation')
    select p.csm_id, cs.email, cs.name, cs.manager_email, i.id as incident_id, i.title, i.severity, t.customers, t.high, t.arr, p.pending,
      p.alerted_at, a.csm_id is not null as acknowledged, e.csm_id is not null as escalated
    from per_incident p
    join per_csm t on t.csm_id is not distinct from p.csm_id
    join product_incidents i on i.id = p.incident_id
    left join csms cs on cs.id = p.csm_id
    left join acks a on a.incident_id = p.incident_id and a.csm_id = p.csm_id
    left join escalations e on e.incident_id = p.incident_id and e.csm_id = p.csm_id
    order by cs.name nulls last, i.severity, i.started_at desc`.execute(db);

  const members = new Map<string, TeamMember>();
  for (const r of rows.rows) {
    const key = r.csm_id ?? '';
    let m = members.get(key);
    if (!m) {
      m = { email: r.email, name: r.name ?? 'No CSM assigned', managerEmail: r.manager_email, incidents: 0, customers: r.customers, highImpact: r.high,
        arr: num(r.arr), pendingOutreach: 0, unacknowledged: [] };
      members.set(key, m);
    }
    m.incidents += 1;
    m.pendingOutreach += r.pending;
    if (r.csm_id && r.alerted_at && !r.acknowledged) {
      m.unacknowledged.push({ incidentId: r.incident_id, title: r.title, severity: r.severity, alertedAt: iso(r.alerted_at)!, escalated: r.escalated });
    }
  }
  const csmCount = await db.selectFrom('csms').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  // Most pending outreach first: that is where a manager looks for help to give.
  const sorted = [...members.values()].sort((a, b) => b.pendingOutreach - a.pendingOutreach || b.arr - a.arr || a.name.localeCompare(b.name));
  return { members: sorted, csmCount: Number(csmCount.n) };
}
