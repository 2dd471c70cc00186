/**
 * Generates demo/demo-data.json, the customer base the dev launcher loads into an empty database.
 * Deterministic (fixed seed): re-running it rewrites the same file, and a test checks that the
 * checked-in file is exactly this output. Run: `npx tsx demo/generate.ts`.
 *
 * Ana Ruiz's book reproduces the product's example alert: a P1 on API Gateway and the Data
 * Processing Pipeline gives her exactly TechCorp, GlobalInc, DataFlow, StartupXYZ and SmallBiz
 * ($1.125M at risk); her other accounts use neither component.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { EVENT_STATUSES, SEVERITIES, type EventStatus, type Segment, type Severity, type UsageLevel } from '../domain/types';

const SEED = 20260129;
const CUSTOMER_COUNT = 300;
const APPROVER = 'comms@corp.example';
const APPROVED_AT = '2026-01-15T10:00:00.000Z';
const USAGE_START = Date.parse('2026-01-29T09:00:00Z');
const USAGE_HOURS = 6;
const USAGE_CUSTOMERS = 30;

/** mulberry32: tiny, fast, and the same sequence on every machine. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const weighted = <T>(items: readonly (readonly [T, number])[]) => {
    let r = next() * items.reduce((s, [, w]) => s + w, 0);
    for (const [item, w] of items) if ((r -= w) < 0) return item;
    return items[items.length - 1]![0];
  };
  const shuffle = <T>(items: T[]) => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  };
  return { next, int, pick, weighted, shuffle };
}

const COMPONENTS = [
  {
    key: 'api-gateway', name: 'API Gateway',
    aliases: [{ source: 'pagerduty', externalId: 'PIJ90N7' }, { source: 'opsgenie', externalId: 'api-gateway' }, { source: 'statuspage', externalId: '8kbf7d35c070' }],
    ticketTags: ['api', 'api-gateway', 'rate-limit'],
    ticketKeywords: ['api', 'latency', 'timeout', '502', '504', 'rate limit'],
  },
  {
    key: 'data-pipeline', name: 'Data Processing Pipeline',
    aliases: [{ source: 'pagerduty', externalId: 'PDP4X2Q' }, { source: 'opsgenie', externalId: 'data-pipeline' }, { source: 'statuspage', externalId: '2hx7mq9d4k1n' }],
    ticketTags: ['pipeline', 'etl', 'data-sync'],
    ticketKeywords: ['pipeline', 'etl', 'data sync', 'delayed data', 'ingestion'],
  },
  {
    key: 'web-dashboard', name: 'Web Dashboard',
    aliases: [{ source: 'pagerduty', externalId: 'PWD81KZ' }, { source: 'opsgenie', externalId: 'web-dashboard' }, { source: 'statuspage', externalId: '5rt0c2bv7yqm' }],
    ticketTags: ['dashboard', 'ui'],
    ticketKeywords: ['dashboard', 'page not loading', 'blank screen', 'charts'],
  },
  {
    key: 'auth', name: 'Authentication & SSO',
    aliases: [{ source: 'pagerduty', externalId: 'PAU2S0Q' }, { source: 'opsgenie', externalId: 'auth' }, { source: 'statuspage', externalId: '9vnk3p6w1d2z' }],
    ticketTags: ['sso', 'login', 'saml'],
    ticketKeywords: ['login', 'sso', 'saml', 'password reset', '2fa'],
  },
  {
    key: 'webhooks', name: 'Webhook Delivery',
    aliases: [{ source: 'pagerduty', externalId: 'PWH6T3M' }, { source: 'opsgenie', externalId: 'webhooks' }, { source: 'statuspage', externalId: '4gq8l1s0x7ce' }],
    ticketTags: ['webhooks', 'callbacks'],
    ticketKeywords: ['webhook', 'callback', 'event delivery'],
  },
  {
    key: 'reporting', name: 'Reporting & Exports',
    aliases: [{ source: 'pagerduty', externalId: 'PRP7N5V' }, { source: 'opsgenie', externalId: 'reporting' }, { source: 'statuspage', externalId: '1m3b9z8k6jaf' }],
    ticketTags: ['reports', 'exports', 'csv'],
    ticketKeywords: ['report', 'export', 'csv', 'scheduled report'],
  },
];

/** Components customers build integrations on: dependence is likely there, rare elsewhere. */
const INTEGRATION_COMPONENTS = new Set(['api-gateway', 'data-pipeline', 'webhooks']);

const MANAGERS = { enterprise: 'lee.morgan@corp.example', commercial: 'priya.shah@corp.example' } as const;

const CSMS: { email: string; name: string; team: keyof typeof MANAGERS; timeZone: string; slackUserId?: string }[] = [
  { email: 'ana@corp.example', name: 'Ana Ruiz', team: 'enterprise', timeZone: 'America/New_York', slackUserId: 'U024BE7LH' },
  { email: 'ben.okafor@corp.example', name: 'Ben Okafor', team: 'enterprise', timeZone: 'America/Chicago' },
  { email: 'chloe.martin@corp.example', name: 'Chloé Martin', team: 'enterprise', timeZone: 'Europe/Paris' },
  { email: 'david.kim@corp.example', name: 'David Kim', team: 'enterprise', timeZone: 'America/Los_Angeles' },
  { email: 'emma.schmidt@corp.example', name: 'Emma Schmidt', team: 'enterprise', timeZone: 'Europe/Berlin' },
  { email: 'farah.haddad@corp.example', name: 'Farah Haddad', team: 'commercial', timeZone: 'Europe/London' },
  { email: 'gabriel.souza@corp.example', name: 'Gabriel Souza', team: 'commercial', timeZone: 'America/New_York' },
  { email: 'hana.tanaka@corp.example', name: 'Hana Tanaka', team: 'commercial', timeZone: 'Asia/Singapore' },
  { email: 'isaac.cohen@corp.example', name: 'Isaac Cohen', team: 'commercial', timeZone: 'America/Denver' },
  { email: 'julia.nowak@corp.example', name: 'Julia Nowak', team: 'commercial', timeZone: 'Europe/Warsaw' },
];

const ANA = 'ana@corp.example';

const SHOWCASE = [
  { externalId: 'acct-0001', name: 'TechCorp', arr: 500000, segment: 'enterprise', region: 'us-east', contact: ['Sam', 'Lee', 'techcorp'], components: [{ key: 'api-gateway', usage: 'heavy', integrationDependent: false }] },
  { externalId: 'acct-0002', name: 'GlobalInc', arr: 350000, segment: 'enterprise', region: 'us-east', contact: ['Maria', 'Lopez', 'globalinc'], components: [{ key: 'api-gateway', usage: 'moderate', integrationDependent: true }] },
  { externalId: 'acct-0003', name: 'DataFlow', arr: 200000, segment: 'mid-market', region: 'us-west', contact: ['Tom', 'Becker', 'dataflow'], components: [{ key: 'data-pipeline', usage: 'moderate', integrationDependent: false }] },
  { externalId: 'acct-0004', name: 'StartupXYZ', arr: 50000, segment: 'smb', region: 'us-east', contact: ['Priya', 'Nair', 'startupxyz'], components: [{ key: 'api-gateway', usage: 'moderate', integrationDependent: false }] },
  { externalId: 'acct-0005', name: 'SmallBiz', arr: 25000, segment: 'smb', region: 'us-west', contact: ['Jo', 'Carter', 'smallbiz'], components: [{ key: 'api-gateway', usage: 'light', integrationDependent: false }] },
] as const;

const NAME_FIRST = [
  'Acme', 'Apex', 'Arbor', 'Atlas', 'Aurora', 'Beacon', 'Birch', 'Blue Harbor', 'Brightline', 'Cascade', 'Cedar', 'Cobalt',
  'Copper', 'Crescent', 'Delta', 'Ember', 'Evergreen', 'Falcon', 'Fjord', 'Granite', 'Harbor', 'Helix', 'Horizon', 'Ironwood',
  'Juniper', 'Keystone', 'Lumen', 'Maple', 'Meridian', 'Nimbus', 'Northwind', 'Oakridge', 'Orbit', 'Pinnacle', 'Quarry',
  'Redwood', 'Sable', 'Summit', 'Tidewater', 'Vertex', 'Willow', 'Zenith',
];
const NAME_SECOND = [
  'Analytics', 'Bank', 'Biotech', 'Capital', 'Clinics', 'Commerce', 'Energy', 'Foods', 'Freight', 'Health', 'Insurance',
  'Labs', 'Logistics', 'Media', 'Mobility', 'Networks', 'Outfitters', 'Pay', 'Retail', 'Robotics', 'Software', 'Travel',
];
const FIRST_NAMES = ['Alex', 'Amara', 'Carlos', 'Dana', 'Elif', 'Felix', 'Grace', 'Hugo', 'Ines', 'Jamal', 'Kenji', 'Lena', 'Mateo', 'Nadia', 'Omar', 'Paula', 'Quinn', 'Rosa', 'Sven', 'Tara', 'Umar', 'Vera', 'Wes', 'Yara', 'Zoe'];
const LAST_NAMES = ['Adams', 'Banerjee', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Hoang', 'Ibrahim', 'Jensen', 'Kowalski', 'Larsen', 'Moreau', 'Novak', 'Okoro', 'Patel', 'Rossi', 'Silva', 'Tanaka', 'Vargas', 'Walsh', 'Young'];
const REGIONS = [['us-east', 30], ['us-west', 20], ['eu-west', 20], ['eu-central', 15], ['ap-southeast', 15]] as const;
const SEGMENT_WEIGHTS = [['enterprise', 20], ['mid-market', 35], ['smb', 45]] as const;
const USAGE_WEIGHTS = [['heavy', 30], ['moderate', 40], ['light', 30]] as const;

/** Reviewed customer-facing wording: calm, specific about what we know, no promises we cannot keep. */
const TEMPLATE_BODIES: Record<Severity, Record<EventStatus, string>> = {
  P1: {
    investigating: "We're currently experiencing {{incident.title}}, which is causing a major disruption to our service. Our engineering team is actively investigating with the highest priority. We'll share an update every 30 minutes, or sooner as we learn more. We're sorry for the impact on your team.",
    identified: "We've identified the cause of {{incident.title}} and our engineers are working on a fix now. The service remains disrupted until the fix is in place. We'll keep updating you every 30 minutes until this is resolved. Thank you for your patience.",
    monitoring: "A fix for {{incident.title}} has been deployed and the service is recovering. We're monitoring closely to confirm everything is back to normal; you may see some delays while queued work catches up. We'll confirm as soon as the incident is fully resolved.",
    resolved: "The incident we reported earlier, {{incident.title}}, has been resolved and the service is fully restored. We're sorry for the disruption it caused. We're completing a full review of what happened and will share the root cause and the steps we're taking to prevent it from happening again.",
  },
  P2: {
    investigating: "We're currently investigating {{incident.title}}, which is degrading some features of our service. Our engineering team is working on it as a priority. We'll share an update within the hour, or sooner as we learn more.",
    identified: "We've identified the cause of {{incident.title}} and a fix is in progress. Some features may remain slow or unavailable until it is deployed. We'll update you within the hour.",
    monitoring: "A fix for {{incident.title}} has been deployed and affected features are recovering. We're monitoring to confirm the issue is fully resolved and will let you know when it is.",
    resolved: "The issue we reported earlier, {{incident.title}}, has been resolved and all features are working normally. We're sorry for the inconvenience. If you still notice anything unusual, please reply to this message and we'll look into it right away.",
  },
  P3: {
    investigating: "We're looking into {{incident.title}}, a minor issue that may affect some customers. Most of the service is working normally. We'll update you as we make progress.",
    identified: "We've found the cause of {{incident.title}}, a minor issue affecting some customers, and are working on a fix. We'll let you know once it is deployed.",
    monitoring: "A fix for {{incident.title}} is in place and we're monitoring to make sure it holds. No action is needed on your side.",
    resolved: "The minor issue we reported, {{incident.title}}, has been resolved. Thank you for your patience; if anything still looks wrong, just reply and we'll help.",
  },
  P4: {
    investigating: "We're aware of {{incident.title}}, a low-impact issue. Your service is not otherwise affected, and we'll let you know once it is fixed.",
    identified: "We've identified the cause of {{incident.title}}, a low-impact issue, and a fix is planned. No action is needed on your side.",
    monitoring: "A fix for {{incident.title}} has been deployed and we're confirming it works as expected. No action is needed on your side.",
    resolved: "The low-impact issue we mentioned, {{incident.title}}, has been fixed. Thank you for bearing with us.",
  },
};


interface DemoCustomer {
  externalId: string;
  name: string;
  arr: number;
  segment: Segment;
  region: string;
  csmEmail: string;
  contactName: string;
  contactEmail: string;
  components: { key: string; usage: UsageLevel; integrationDependent: boolean }[];
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '');

export function generateDemoData() {
  const r = rng(SEED);
  const slackId = () => `U0${Array.from({ length: 7 }, () => r.pick('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'.split(''))).join('')}`;

  const csms = CSMS.map((c) => ({
    email: c.email, name: c.name, slackUserId: c.slackUserId ?? slackId(), managerEmail: MANAGERS[c.team], timeZone: c.timeZone,
  }));
  const team = (t: keyof typeof MANAGERS) => CSMS.filter((c) => c.team === t).map((c) => c.email);

  const customers: DemoCustomer[] = SHOWCASE.map((s) => ({
    externalId: s.externalId, name: s.name, arr: s.arr, segment: s.segment as Segment, region: s.region, csmEmail: ANA,
    contactName: `${s.contact[0]} ${s.contact[1]}`, contactEmail: `${slug(s.contact[0])}.${slug(s.contact[1])}@${s.contact[2]}.example`,
    components: s.components.map((c) => ({ key: c.key, usage: c.usage as UsageLevel, integrationDependent: c.integrationDependent })),
  }));

  const names = r.shuffle(NAME_FIRST.flatMap((a) => NAME_SECOND.map((b) => `${a} ${b}`)));
  for (let i = customers.length; i < CUSTOMER_COUNT; i++) {
    const name = names[i]!;
    const segment = r.weighted(SEGMENT_WEIGHTS) as Segment;
    const arr = segment === 'enterprise' ? r.int(30, 240) * 5000 : segment === 'mid-market' ? r.int(40, 150) * 1000 : r.int(10, 80) * 500;
    const csmEmail = r.pick(team(segment === 'enterprise' ? 'enterprise' : 'commercial'));
    // Ana's other accounts stay off API Gateway and the pipeline, so her demo alert matches the product's example.
    const pool = COMPONENTS.map((c) => c.key).filter((k) => csmEmail !== ANA || !['api-gateway', 'data-pipeline'].includes(k));
    const keys = r.shuffle([...pool]).slice(0, r.int(1, Math.min(4, pool.length)));
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    customers.push({
      externalId: `acct-${String(i + 1).padStart(4, '0')}`,
      name,
      arr,
      segment,
      region: r.weighted(REGIONS),
      csmEmail,
      contactName: `${first} ${last}`,
      contactEmail: `${slug(first)}.${slug(last)}@${slug(name)}.example`,
      components: keys.map((key) => ({
        key,
        usage: r.weighted(USAGE_WEIGHTS) as UsageLevel,
        integrationDependent: r.next() < (INTEGRATION_COMPONENTS.has(key) ? 0.3 : 0.05),
      })),
    });
  }

  const templates = SEVERITIES.flatMap((severity) => EVENT_STATUSES.map((status) => ({
    key: `${severity.toLowerCase()}-${status}`,
    severity,
    status,
    components: [] as string[],
    body: TEMPLATE_BODIES[severity][status],
    version: 1,
    approvedBy: APPROVER,
    approvedAt: APPROVED_AT,
  })));

  // Hourly request counts for some accounts: steady traffic, and a few whose traffic stopped. The
  // hours are fixed, so in a live demo incident these accounts count as tracked with no traffic in
  // the window (one impact level lower); Ana's example accounts have none, so her alert keeps the
  // product's example levels.
  const usage: { customerExternalId: string; componentKey: string; hour: string; requests: number }[] = [];
  const base: Record<UsageLevel, [number, number]> = { heavy: [8000, 20000], moderate: [800, 5000], light: [20, 400] };
  for (const customer of customers.slice(SHOWCASE.length, SHOWCASE.length + USAGE_CUSTOMERS)) {
    for (const c of customer.components) {
      const stopped = r.next() < 0.1;
      const [lo, hi] = base[c.usage];
      for (let h = 0; h < USAGE_HOURS; h++) {
        usage.push({
          customerExternalId: customer.externalId,
          componentKey: c.key,
          hour: new Date(USAGE_START + h * 3_600_000).toISOString(),
          requests: stopped && h >= USAGE_HOURS / 2 ? 0 : r.int(lo, hi),
        });
      }
    }
  }

  return { csms, components: COMPONENTS, customers, templates, usage };
}

export const DEMO_DATA_FILE = path.join(__dirname, 'demo-data.json');

export function demoDataJson(): string {
  return `${JSON.stringify(generateDemoData(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(DEMO_DATA_FILE, demoDataJson());
  const d = generateDemoData();
  console.log(`Wrote ${DEMO_DATA_FILE}: ${d.csms.length} CSMs, ${d.components.length} components, ${d.customers.length} customers, ${d.templates.length} templates, ${d.usage.length} usage rows`);
}
