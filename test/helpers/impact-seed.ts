import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import type { Incident, Segment, UsageLevel } from '../../domain/types';

/** A small customer base described the way a CS team would, inserted with plain Kysely inserts. */
export interface SeedSpec {
  csms: { email: string; name: string; slackUserId?: string; managerEmail?: string; timeZone?: string }[];
  components: { key: string; name: string }[];
  customers: {
    name: string; arr: number; segment: Segment; region: string; csm?: string;
    uses: { key: string; usage: UsageLevel; integrationDependent?: boolean }[];
    /** Hourly request counts: [component key, hour (ISO), requests]. */
    usage?: [string, string, number][];
  }[];
}

export interface Seeded {
  customerIds: Record<string, string>;
  componentIds: Record<string, string>;
}

export async function seedCustomerBase(db: Kysely<Database>, spec: SeedSpec): Promise<Seeded> {
  const csmIds: Record<string, string> = {};
  for (const c of spec.csms) {
    const row = await db.insertInto('csms').values({
      email: c.email, name: c.name, slack_user_id: c.slackUserId ?? null, manager_email: c.managerEmail ?? null, time_zone: c.timeZone ?? null,
    }).returning('id').executeTakeFirstOrThrow();
    csmIds[c.email] = row.id;
  }
  const componentIds: Record<string, string> = {};
  for (const c of spec.components) {
    const row = await db.insertInto('components').values({ key: c.key, name: c.name }).returning('id').executeTakeFirstOrThrow();
    componentIds[c.key] = row.id;
  }
  const customerIds: Record<string, string> = {};
  for (const [i, c] of spec.customers.entries()) {
    const row = await db.insertInto('customers').values({
      external_id: `acct-${i + 1}`, name: c.name, arr: c.arr, segment: c.segment, region: c.region,
      csm_id: c.csm ? csmIds[c.csm] : null, contact_name: `${c.name} Ops`, contact_email: `ops@${c.name.toLowerCase()}.example`,
    }).returning('id').executeTakeFirstOrThrow();
    customerIds[c.name] = row.id;
    if (c.uses.length) {
      await db.insertInto('customer_components').values(c.uses.map((u) => ({
        customer_id: row.id, component_id: componentIds[u.key], usage_level: u.usage, integration_dependent: u.integrationDependent ?? false,
      }))).execute();
    }
    if (c.usage?.length) {
      await db.insertInto('customer_usage').values(c.usage.map(([key, hour, requests]) => ({
        customer_id: row.id, component_id: componentIds[key], hour, request_count: requests,
      }))).execute();
    }
  }
  return { customerIds, componentIds };
}

export function incidentFixture(over: Partial<Incident> = {}): Incident {
  return {
    id: '7d0c2a52-3c1e-4c55-9f0e-2a1b3c4d5e6f',
    workflowId: 'incident:pagerduty:Q1ABC',
    source: 'pagerduty',
    externalId: 'Q1ABC',
    title: 'API Latency Issues',
    status: 'investigating',
    severity: 'P1',
    components: ['api-gateway', 'data-pipeline'],
    regions: [],
    startedAt: '2026-01-29T14:30:00.000Z',
    ...over,
  };
}

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same customer base. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Names on which localeCompare and code-point order disagree (case, accents, a character above
 * U+FFFF against one in U+E000..U+FFFF), some shared by several customers so the id decides.
 */
const NAMES = ['acme', 'Acme', 'ACME', 'Zeta', 'zeta', 'Éclair', 'Eclair', 'eclair', 'Ölwerk', 'Oak', '10x', '9lives', 'Ω Labs',
  'ﬀ Corp', '😀 Corp', 'Dup', 'Dup', 'Dup', 'a b', 'a-b', 'ab', 'Ärzte', 'Zürich AG', '_under', '~tilde'];
const COMPONENTS = ['API Gateway', 'api gateway', 'Éditeur', 'Zeta Queue', '😀 Emoji', 'ﬀ Feed', 'Auth'];
const SEGMENTS: Segment[] = ['enterprise', 'mid-market', 'smb'];
const USAGES: UsageLevel[] = ['heavy', 'moderate', 'light'];
const REGIONS = ['us-east', 'eu-west', 'ap-south'];

/**
 * A random customer base for comparing the SQL analysis with the pure rules: components with
 * tricky names, customers sharing ARRs and names, usage tracked for some pairs with traffic, with
 * zero-request rows or with rows only outside the incident window (hours 10:00-19:00 on the day).
 */
export function randomCustomerBase(seed: number, customers: number): SeedSpec {
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];
  const csms = Array.from({ length: 12 }, (_, i) => ({
    email: `csm-${String(i).padStart(2, '0')}@corp.example`, name: `CSM ${i}`, ...(i % 3 === 0 ? {} : { slackUserId: `U${i}` }),
  }));
  const components = COMPONENTS.map((name, i) => ({ key: `comp-${i}`, name }));
  const spec: SeedSpec = { csms, components, customers: [] };
  for (let n = 0; n < customers; n += 1) {
    const uses = components.filter(() => rand() < 0.35).map((c) => ({ key: c.key, usage: pick(USAGES), integrationDependent: rand() < 0.2 }));
    const usage: [string, string, number][] = [];
    for (const use of uses) {
      const kind = rand();
      if (kind < 0.4) continue; // not tracked
      for (let hour = 10; hour <= 19; hour += 1) {
        const inWindow = hour >= 14 && hour <= 16;
        const requests = kind < 0.6 ? (inWindow ? 0 : 1 + Math.floor(rand() * 500)) // idle during the incident
          : kind < 0.7 ? 0 // zero-request rows all along
            : Math.floor(rand() * 800);
        if (kind < 0.5 && inWindow) continue; // no row at all in the window (but rows around it)
        if (rand() < 0.15) continue; // gaps
        usage.push([use.key, `2026-01-29T${String(hour).padStart(2, '0')}:00:00Z`, requests]);
      }
    }
    spec.customers.push({
      name: pick(NAMES),
      // Shared ARRs (ties resolved by segment, name, id) and odd cents.
      arr: rand() < 0.4 ? pick([50_000, 120_000.5, 999_999.99]) : Math.round(rand() * 150_000_000) / 100,
      segment: pick(SEGMENTS),
      region: pick(REGIONS),
      ...(rand() < 0.9 ? { csm: pick(csms).email } : {}),
      uses,
      usage,
    });
  }
  return spec;
}
