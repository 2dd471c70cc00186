/**
 * A large customer base, generated in Postgres in a few statements (an import of 100,000
 * customers through the API takes tens of seconds): `csms` CSMs (csm-<n>@corp.example, Slack user
 * U<n>, managers mgr-<k>@corp.example), and `customers` customers spread evenly over the CSMs (affected ones too).
 * Every `affectedEvery`-th customer uses the `checkout` component; the rest use `search` only.
 * Usage levels and integration dependence vary; no usage is tracked, so every checkout user is
 * affected by a checkout incident. Used by the large-incident test and benchmark.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types';

export interface LargeBase { customers: number; csms: number; affectedEvery: number; managers?: number }

export const csmEmail = (n: number) => `csm-${n}@corp.example`;
export const csmSlackId = (n: number) => `U${String(n).padStart(6, '0')}`;
export const managerEmail = (k: number) => `mgr-${k}@corp.example`;
export const managerSlackId = (k: number) => `UM${String(k).padStart(5, '0')}`;

export async function seedLargeBase(db: Kysely<Database>, spec: LargeBase): Promise<void> {
  const managers = spec.managers ?? 10;
  await sql`insert into csms (email, name, slack_user_id)
    select 'mgr-' || k || '@corp.example', 'Manager ' || k, 'UM' || lpad(k::text, 5, '0') from generate_series(1, ${managers}) k`.execute(db);
  await sql`insert into csms (email, name, slack_user_id, manager_email)
    select 'csm-' || n || '@corp.example', 'CSM ' || n, 'U' || lpad(n::text, 6, '0'), 'mgr-' || (1 + n % ${managers}) || '@corp.example'
    from generate_series(1, ${spec.csms}) n`.execute(db);
  await sql`insert into components (key, name) values ('checkout', 'Checkout'), ('search', 'Search')`.execute(db);
  await sql`insert into customers (external_id, name, arr, segment, region, csm_id, contact_name, contact_email)
    select 'acct-' || g, 'Customer ' || lpad(g::text, 6, '0'), a.arr,
           case when a.arr >= 400000 then 'enterprise' when a.arr >= 150000 then 'mid-market' else 'smb' end,
           'us-east', s.id, 'Ops ' || g, 'ops@customer' || g || '.example'
    from generate_series(1, ${spec.customers}) g
    cross join lateral (select (10000 + (g * 7919) % 500 * 1000)::numeric as arr) a
    join csms s on s.email = 'csm-' || (1 + (g / ${spec.affectedEvery}) % ${spec.csms}) || '@corp.example'`.execute(db);
  await sql`insert into customer_components (customer_id, component_id, usage_level, integration_dependent)
    select c.id, co.id, (array['heavy','moderate','light'])[1 + (substr(c.external_id, 6)::int / ${spec.affectedEvery}) % 3],
           (substr(c.external_id, 6)::int % 7 = 0)
    from customers c
    join components co on co.key = case when substr(c.external_id, 6)::int % ${spec.affectedEvery} = 0 then 'checkout' else 'search' end`.execute(db);
  await sql`analyze`.execute(db);
}

/** What the analysis must find for a checkout incident, computed here without the product's rules. */
export async function expectedCheckoutImpact(db: Kysely<Database>): Promise<{ customers: number; arrAtRisk: number; csms: number }> {
  const { rows } = await sql<{ customers: string; arr: string; csms: string }>`
    select count(*) as customers, sum(c.arr) as arr, count(distinct c.csm_id) as csms
    from customers c join customer_components cc on cc.customer_id = c.id join components co on co.id = cc.component_id
    where co.key = 'checkout'`.execute(db);
  return { customers: Number(rows[0]!.customers), arrAtRisk: Number(rows[0]!.arr), csms: Number(rows[0]!.csms) };
}
