import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { applyImport, type ImportCounts, type ImportProgress } from '../../db/import';
import { validateImport } from '../../domain/import';
import { validateCsvFiles } from '../../domain/import-csv';
import { DEMO_DATA_FILE } from '../../demo/generate';
import { findImpactCandidates } from '../../db/impact-queries';
import { scoreCandidate } from '../../domain/impact';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';

const demo = () => JSON.parse(readFileSync(DEMO_DATA_FILE, 'utf8'));
const TABLES = ['csms', 'components', 'component_aliases', 'customers', 'customer_components', 'customer_usage', 'message_templates'] as const;

async function tableCounts(t: TestDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(t.db);
    out[table] = Number(rows[0]!.n);
  }
  return out;
}

/** Every row's updated_at, keyed by table and natural key. */
async function updatedAts(t: TestDb): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [table, key] of [['csms', 'email'], ['components', 'key'], ['customers', 'external_id'], ['message_templates', 'key']] as const) {
    const { rows } = await sql<{ k: string; u: Date }>`select ${sql.ref(key)} as k, updated_at as u from ${sql.table(table)}`.execute(t.db);
    for (const r of rows) out.set(`${table}:${r.k}`, r.u.toISOString());
  }
  return out;
}

async function importJson(t: TestDb, doc: unknown, opts: Parameters<typeof applyImport>[2] = {}) {
  return applyImport(t.db, validateImport(doc), opts);
}

function okCounts(result: Awaited<ReturnType<typeof applyImport>>): ImportCounts {
  if (!result.ok) assert.fail(`import rejected: ${JSON.stringify(result.errors.slice(0, 5))}`);
  return result.counts;
}

describe('applyImport', () => {
  after(stopTestPostgres);

  describe('the demo file', () => {
    let t: TestDb;
    before(async () => {
      t = await createTestDb();
    });
    after(() => t.close());

    test('imports every record, with CSMs, components and aliases linked', async () => {
      const doc = demo();
      const progress: ImportProgress[] = [];
      const counts = okCounts(await importJson(t, doc, { onProgress: (p) => progress.push(p), chunkSize: 70 }));
      assert.deepEqual(counts, {
        csms: { inserted: 10, updated: 0, unchanged: 0 },
        components: { inserted: 6, updated: 0, unchanged: 0 },
        customers: { inserted: doc.customers.length, updated: 0, unchanged: 0 },
        templates: { inserted: 16, updated: 0, unchanged: 0 },
        usage: { inserted: doc.usage.length, updated: 0, unchanged: 0 },
      });
      const n = await tableCounts(t);
      const links = doc.customers.reduce((s: number, c: { components: unknown[] }) => s + c.components.length, 0);
      assert.deepEqual(n, {
        csms: 10, components: 6, component_aliases: 18, customers: doc.customers.length, customer_components: links,
        customer_usage: doc.usage.length, message_templates: 16,
      });
      const total = 10 + 6 + doc.customers.length + 16 + doc.usage.length;
      assert.deepEqual(progress.at(-1), { entity: 'usage', done: total, total });
      assert.ok(progress.some((p) => p.entity === 'customers' && p.done < total), 'progress is reported per chunk');

      const techcorp = await t.db.selectFrom('customers').innerJoin('csms', 'csms.id', 'customers.csm_id')
        .select(['customers.arr', 'customers.segment', 'csms.email']).where('customers.external_id', '=', 'acct-0001').executeTakeFirstOrThrow();
      assert.deepEqual(techcorp, { arr: '500000.00', segment: 'enterprise', email: 'ana@corp.example' });
      const alias = await t.db.selectFrom('component_aliases').innerJoin('components', 'components.id', 'component_aliases.component_id')
        .select('components.key').where('source', '=', 'pagerduty').where('external_id', '=', 'PIJ90N7').executeTakeFirstOrThrow();
      assert.equal(alias.key, 'api-gateway');
      const api = await t.db.selectFrom('components').selectAll().where('key', '=', 'api-gateway').executeTakeFirstOrThrow();
      assert.deepEqual(api.ticket_tags, ['api', 'api-gateway', 'rate-limit']);
      const tpl = await t.db.selectFrom('message_templates').selectAll().where('key', '=', 'p1-investigating').executeTakeFirstOrThrow();
      assert.equal(tpl.approved_by, 'comms@corp.example');
      assert.equal((tpl.approved_at as Date).toISOString(), '2026-01-15T10:00:00.000Z');
    });

    test("the imported demo data gives Ana the product's example alert", async () => {
      const now = new Date().toISOString();
      const candidates = await findImpactCandidates(t.db, { components: ['api-gateway', 'data-pipeline'], regions: [], windowStart: now, windowEnd: now });
      const ana = candidates.filter((c) => c.csm?.email === 'ana@corp.example').map((c) => ({ name: c.name, arr: c.arr, ...scoreCandidate(c) }));
      assert.deepEqual(ana.map(({ name, arr, level, reason }) => ({ name, arr, level, reason })).sort((a, b) => b.arr - a.arr), [
        { name: 'TechCorp', arr: 500000, level: 'high', reason: 'Heavy API Gateway user' },
        { name: 'GlobalInc', arr: 350000, level: 'high', reason: 'Integration-dependent' },
        { name: 'DataFlow', arr: 200000, level: 'medium', reason: 'Moderate impact' },
        { name: 'StartupXYZ', arr: 50000, level: 'medium', reason: 'Moderate impact' },
        { name: 'SmallBiz', arr: 25000, level: 'low', reason: 'Low impact' },
      ]);
      assert.equal(ana.reduce((sum, c) => sum + c.arr, 0), 1_125_000);
    });

    test('a second import of the same file changes nothing', async () => {
      const doc = demo();
      const stamps = await updatedAts(t);
      const tables = await tableCounts(t);
      const counts = okCounts(await importJson(t, doc));
      for (const [entity, c] of Object.entries(counts)) {
        assert.deepEqual(c, { inserted: 0, updated: 0, unchanged: (doc as Record<string, unknown[]>)[entity]!.length }, entity);
      }
      assert.deepEqual(await updatedAts(t), stamps, 'no updated_at moved');
      assert.deepEqual(await tableCounts(t), tables);
    });

    test('a changed ARR updates that customer only', async () => {
      const doc = demo();
      doc.customers[7].arr += 1234.5;
      const before = await updatedAts(t);
      const counts = okCounts(await importJson(t, doc));
      assert.deepEqual(counts.customers, { inserted: 0, updated: 1, unchanged: doc.customers.length - 1 });
      const row = await t.db.selectFrom('customers').select('arr').where('external_id', '=', doc.customers[7].externalId).executeTakeFirstOrThrow();
      assert.equal(Number(row.arr), doc.customers[7].arr);
      const afterStamps = await updatedAts(t);
      const moved = [...afterStamps].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);
      assert.deepEqual(moved, [`customers:${doc.customers[7].externalId}`]);
    });

    test('a changed component list replaces the stored one and counts the customer updated', async () => {
      const doc = demo();
      doc.customers[7].arr += 1234.5; // as the previous test left it
      const c = doc.customers.find((x: { components: unknown[] }) => x.components.length >= 2);
      const dropped = c.components.pop();
      c.components[0].usage = c.components[0].usage === 'heavy' ? 'light' : 'heavy';
      const counts = okCounts(await importJson(t, doc));
      assert.deepEqual(counts.customers, { inserted: 0, updated: 1, unchanged: doc.customers.length - 1 });
      const rows = await t.db.selectFrom('customer_components')
        .innerJoin('customers', 'customers.id', 'customer_components.customer_id')
        .innerJoin('components', 'components.id', 'customer_components.component_id')
        .select(['components.key', 'customer_components.usage_level']).where('customers.external_id', '=', c.externalId).orderBy('components.key').execute();
      assert.deepEqual(rows, c.components.map((u: { key: string; usage: string }) => ({ key: u.key, usage_level: u.usage })).sort((a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key)));
      assert.ok(!rows.some((r) => r.key === dropped.key));
    });

    test('a file that names only some customers and no CSMs resolves references from the database', async () => {
      const counts = okCounts(await importJson(t, {
        customers: [{ externalId: 'acct-new', name: 'NewCo', arr: 1000, segment: 'smb', region: 'eu-west', csmEmail: 'ANA@corp.example', components: [{ key: 'auth', usage: 'light' }] }],
      }));
      assert.deepEqual(counts.customers, { inserted: 1, updated: 0, unchanged: 0 });
      const rejected = await importJson(t, {
        customers: [{ externalId: 'acct-new', name: 'NewCo', arr: 1000, segment: 'smb', region: 'eu-west', csmEmail: 'nobody@corp.example', components: [{ key: 'billing', usage: 'light' }] }],
      });
      assert.deepEqual(rejected, { ok: false, errors: [
        { path: 'customers[0].csmEmail', message: 'no CSM with email "nobody@corp.example" in this import or in the database' },
        { path: 'customers[0].components[0].key', message: 'no component with key "billing" in this import or in the database' },
      ] });
    });

    test('a dry run counts the changes and writes nothing', async () => {
      const before = await tableCounts(t);
      const result = await importJson(t, { csms: [{ email: 'zed@corp.example', name: 'Zed' }, { email: 'ana@corp.example', name: 'Ana R.' }] }, { dryRun: true });
      assert.deepEqual(result, { ok: true, dryRun: true, counts: {
        csms: { inserted: 1, updated: 1, unchanged: 0 }, components: { inserted: 0, updated: 0, unchanged: 0 },
        customers: { inserted: 0, updated: 0, unchanged: 0 }, templates: { inserted: 0, updated: 0, unchanged: 0 }, usage: { inserted: 0, updated: 0, unchanged: 0 },
      } });
      assert.deepEqual(await tableCounts(t), before);
      const ana = await t.db.selectFrom('csms').select('name').where('email', '=', 'ana@corp.example').executeTakeFirstOrThrow();
      assert.equal(ana.name, 'Ana Ruiz');
    });
  });

  test('a bad file reports all its errors and imports nothing', async () => {
    const t = await createTestDb();
    try {
      const doc = demo();
      doc.customers[3].arr = -1;
      doc.customers[150].segment = 'whale';
      doc.customers[299].csmEmail = 'ghost@corp.example';
      doc.usage[0].requests = 'many';
      const result = await importJson(t, doc);
      assert.equal(result.ok, false);
      assert.deepEqual(!result.ok && result.errors.map((e) => e.path), [
        'customers[3].arr', 'customers[150].segment', 'usage[0].requests', 'customers[299].csmEmail',
      ]);
      assert.deepEqual(Object.values(await tableCounts(t)), TABLES.map(() => 0));
    } finally {
      await t.close();
    }
  });

  test('aliases move between components, and a component list of aliases replaces the stored one', async () => {
    const t = await createTestDb();
    try {
      okCounts(await importJson(t, { components: [
        { key: 'api', name: 'API', aliases: [{ source: 'pagerduty', externalId: 'P1' }, { source: 'opsgenie', externalId: 'api' }] },
        { key: 'web', name: 'Web', aliases: [{ source: 'pagerduty', externalId: 'P2' }] },
      ] }));
      const counts = okCounts(await importJson(t, { components: [
        { key: 'web', name: 'Web', aliases: [{ source: 'pagerduty', externalId: 'P2' }, { source: 'pagerduty', externalId: 'P1' }] },
      ] }));
      assert.deepEqual(counts.components, { inserted: 0, updated: 1, unchanged: 0 });
      const rows = await t.db.selectFrom('component_aliases').innerJoin('components', 'components.id', 'component_aliases.component_id')
        .select(['components.key', 'source', 'external_id']).orderBy('external_id').execute();
      assert.deepEqual(rows, [
        { key: 'web', source: 'pagerduty', external_id: 'P1' },
        { key: 'web', source: 'pagerduty', external_id: 'P2' },
        { key: 'api', source: 'opsgenie', external_id: 'api' },
      ]);
      // Omitting aliases leaves them alone; a name change is an update.
      const again = okCounts(await importJson(t, { components: [{ key: 'api', name: 'Public API' }] }));
      assert.deepEqual(again.components, { inserted: 0, updated: 1, unchanged: 0 });
      assert.equal((await t.db.selectFrom('component_aliases').select('id').execute()).length, 3);
    } finally {
      await t.close();
    }
  });

  test('templates without approvedAt keep their approval time until their content changes, which adds a version; ARR compares as stored', async () => {
    const t = await createTestDb();
    try {
      const doc = {
        templates: [{ key: 'p2-identified', severity: 'P2', status: 'identified', body: 'We found the cause of {{incident.title}}.', approvedBy: 'comms@corp.example' }],
        customers: [{ externalId: 'c1', name: 'C1', arr: 100.004, segment: 'smb', region: 'eu' }],
      };
      okCounts(await importJson(t, doc));
      const first = await t.db.selectFrom('message_templates').select(['approved_at', 'updated_at']).executeTakeFirstOrThrow();
      assert.ok(first.approved_at instanceof Date);
      const same = okCounts(await importJson(t, doc));
      assert.deepEqual(same.templates, { inserted: 0, updated: 0, unchanged: 1 });
      assert.deepEqual(same.customers, { inserted: 0, updated: 0, unchanged: 1 }, 'ARR is compared at the stored precision');
      doc.templates[0]!.body = 'We have found the cause of {{incident.title}}.';
      const changed = okCounts(await importJson(t, doc));
      assert.deepEqual(changed.templates, { inserted: 0, updated: 1, unchanged: 0 });
      const second = await t.db.selectFrom('message_templates').select(['approved_at', 'version']).where('state', '=', 'active').executeTakeFirstOrThrow();
      assert.ok((second.approved_at as Date) > (first.approved_at as Date), 'new content, new approval time');
      assert.equal(second.version, 2, 'a new version, the first one kept');
      const kept = await t.db.selectFrom('message_templates').select(['body', 'state']).where('version', '=', 1).executeTakeFirstOrThrow();
      assert.deepEqual(kept, { body: 'We found the cause of {{incident.title}}.', state: 'superseded' });
    } finally {
      await t.close();
    }
  });

  test('CSV files import like JSON', async () => {
    const t = await createTestDb();
    try {
      const v = validateCsvFiles([
        { name: 'csms.csv', text: 'email,name,slack_user_id\nana@corp.example,Ana Ruiz,U024BE7LH\n' },
        { name: 'components.csv', text: 'key,name,aliases\napi-gateway,API Gateway,pagerduty:PIJ90N7\n' },
        { name: 'customers.csv', text: 'external_id,name,arr,segment,region,csm_email,components\nacct-1,TechCorp,500000,enterprise,us-east,ana@corp.example,api-gateway:heavy:integration\n' },
      ]);
      const counts = okCounts(await applyImport(t.db, v));
      assert.deepEqual([counts.csms.inserted, counts.components.inserted, counts.customers.inserted], [1, 1, 1]);
      const link = await t.db.selectFrom('customer_components').select(['usage_level', 'integration_dependent']).executeTakeFirstOrThrow();
      assert.deepEqual(link, { usage_level: 'heavy', integration_dependent: true });
    } finally {
      await t.close();
    }
  });
});
