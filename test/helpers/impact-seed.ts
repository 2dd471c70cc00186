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
