import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_MIGRATIONS, sql } from 'kysely';
import { createTestDb } from '../helpers/db';
import { createMigrator, migrateToLatest } from '../../db/migrate';

test('migrations apply to the latest schema, are idempotent and roll back cleanly', async () => {
  const t = await createTestDb();
  try {
    // The template database is already migrated: running again applies nothing.
    const again = await migrateToLatest(t.db);
    assert.deepEqual(again.results, []);
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely_%' order by 1`.execute(t.db);
    assert.deepEqual(tables.rows.map((r) => r.table_name), [
      'alert_digests', 'api_tokens', 'audit_log', 'component_aliases', 'components', 'csat_ratings', 'csms', 'customer_components', 'customer_usage', 'customers', 'follow_ups',
      'incident_customer_impact', 'incident_routes', 'incident_updates', 'message_templates', 'notifications', 'people', 'product_incidents', 'sessions', 'sign_in_attempts', 'support_tickets', 'webhook_deliveries',
    ]);
    const migrator = createMigrator(t.db);
    const down = await migrator.migrateTo(NO_MIGRATIONS);
    assert.equal(down.error, undefined);
    const after = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name = 'product_incidents'`.execute(t.db);
    assert.equal(after.rows[0].n, 0);
    const up = await migrateToLatest(t.db);
    assert.ok((up.results ?? []).length >= 1);
  } finally {
    await t.close();
  }
});

test('the schema refuses invalid data and duplicate identities', async () => {
  const t = await createTestDb();
  try {
    await assert.rejects(
      t.db.insertInto('customers').values({ external_id: 'a', name: 'A', arr: 1, segment: 'galactic' as never, region: 'us' }).execute(),
      /segment_check|check constraint/,
    );
    await t.db.insertInto('webhook_deliveries').values({ source: 'pagerduty', delivery_id: 'd1', raw_body: '{}' }).execute();
    await assert.rejects(t.db.insertInto('webhook_deliveries').values({ source: 'pagerduty', delivery_id: 'd1', raw_body: '{}' }).execute(), /unique/);
    const base = { source: 'generic', title: 'T', severity: 'P1', status: 'investigating', started_at: new Date() };
    await t.db.insertInto('product_incidents').values({ ...base, id: crypto.randomUUID(), external_id: 'X', workflow_id: 'w1' }).execute();
    await assert.rejects(t.db.insertInto('product_incidents').values({ ...base, id: crypto.randomUUID(), external_id: 'X', workflow_id: 'w2' }).execute(), /unique/);
    await assert.rejects(t.db.insertInto('product_incidents').values({ ...base, id: crypto.randomUUID(), external_id: 'Y', workflow_id: 'w3', severity: 'P7' }).execute(), /check/);
  } finally {
    await t.close();
  }
});
