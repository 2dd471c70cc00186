/**
 * A small customer base and one recorded incident, written the way the import and the incident
 * workflow's activities write them, so the read routes have something real to read.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/types';

export interface Seed {
  csm: { ana: string; ben: string };
  component: { api: string; pipeline: string };
  customer: { techcorp: string; globalinc: string; dataflow: string; smallbiz: string; retired: string };
}

export async function seedBase(db: Kysely<Database>): Promise<Seed> {
  const [ana, ben] = await db.insertInto('csms').values([
    { email: 'ana@corp.example', name: 'Ana Ruiz', slack_user_id: 'UA8RXUSPL', manager_email: 'lee@corp.example' },
    { email: 'ben@corp.example', name: 'Ben Okafor', slack_user_id: 'UBEN00001' },
  ]).returning('id').execute();
  const [api, pipeline] = await db.insertInto('components').values([
    { key: 'api-gateway', name: 'API Gateway' },
    { key: 'data-pipeline', name: 'Data Processing Pipeline' },
  ]).returning('id').execute();
  await db.insertInto('component_aliases').values([
    { component_id: api.id, source: 'pagerduty', external_id: 'PF9KMXH' },
    { component_id: api.id, source: 'opsgenie', external_id: 'tag1' },
    { component_id: pipeline.id, source: 'opsgenie', external_id: 'Integration1' },
    { component_id: pipeline.id, source: 'generic', external_id: 'Pipeline' },
  ]).execute();
  const customers = await db.insertInto('customers').values([
    { external_id: 'acct-001', name: 'TechCorp', arr: 500000, segment: 'enterprise', region: 'us-east', csm_id: ana.id, contact_name: 'Sam Lee', contact_email: 'sam@techcorp.example' },
    { external_id: 'acct-002', name: 'GlobalInc', arr: 350000, segment: 'enterprise', region: 'eu-west', csm_id: ben.id },
    { external_id: 'acct-003', name: 'DataFlow', arr: 200000, segment: 'mid-market', region: 'us-east', csm_id: ana.id },
    { external_id: 'acct-004', name: 'SmallBiz', arr: 25000, segment: 'smb', region: 'us-east', csm_id: ana.id },
    { external_id: 'acct-005', name: 'Retired', arr: 90000, segment: 'smb', region: 'us-east', csm_id: ana.id },
  ]).returning(['id', 'name']).execute();
  const id = (name: string) => customers.find((c) => c.name === name)!.id;
  return {
    csm: { ana: ana.id, ben: ben.id },
    component: { api: api.id, pipeline: pipeline.id },
    customer: { techcorp: id('TechCorp'), globalinc: id('GlobalInc'), dataflow: id('DataFlow'), smallbiz: id('SmallBiz'), retired: id('Retired') },
  };
}

export interface IncidentSpec {
  id: string;
  source?: string;
  externalId: string;
  title?: string;
  severity?: string;
  status?: string;
  components?: string[];
  startedAt?: string;
  detectedAt?: string;
  resolvedAt?: string | null;
  /** [customer id, impact, priority rank, outreach status] */
  impacts?: [string, 'high' | 'medium' | 'low' | 'none', number, string][];
  /** The analysis revision that found the customers (the current workflow's first analysis is 1; the first type's stamped none). */
  revision?: number | null;
}

export async function seedIncident(db: Kysely<Database>, s: IncidentSpec): Promise<void> {
  const source = s.source ?? 'pagerduty';
  const customerArr = new Map((await db.selectFrom('customers').select(['id', 'arr']).execute()).map((c) => [c.id, Number(c.arr)]));
  const live = (s.impacts ?? []).filter(([, level]) => level !== 'none');
  await db.insertInto('product_incidents').values({
    id: s.id, source, external_id: s.externalId, workflow_id: `incident:${source}:${s.externalId}`,
    title: s.title ?? 'API Latency Issues', severity: s.severity ?? 'P1', status: s.status ?? 'investigating',
    affected_components: s.components ?? ['api-gateway'], affected_regions: [],
    started_at: s.startedAt ?? '2026-01-29T19:30:00Z', detected_at: s.detectedAt ?? s.startedAt ?? '2026-01-29T19:30:05Z',
    resolved_at: s.resolvedAt ?? null,
    affected_customer_count: live.length,
    arr_at_risk: live.reduce((sum, [c]) => sum + (customerArr.get(c) ?? 0), 0),
  }).execute();
  if (s.impacts?.length) {
    await db.insertInto('incident_customer_impact').values(s.impacts.map(([customer, level, rank, outreach]) => ({
      incident_id: s.id, customer_id: customer, impact_level: level, reason: `${level} impact`, priority_rank: rank, outreach_status: outreach,
      affected_revision: level === 'none' || s.revision === null ? null : s.revision ?? 1,
    }))).execute();
  }
}
