import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { DEMO_DATA_FILE } from '../../demo/generate';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';

const TOKEN = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const demoText = readFileSync(DEMO_DATA_FILE, 'utf8');

describe('POST /api/import', () => {
  let t: TestDb;
  let app: FastifyInstance;
  before(async () => {
    t = await createTestDb();
    const config = loadConfig({ NODE_ENV: 'test', API_TOKENS: TOKEN, DATABASE_URL: t.url });
    // The import needs no workflow: a client that never connects is enough.
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    app = await buildApp({ config, db: t.db, temporal });
  });
  after(async () => {
    await app.close();
    await t.close();
    await stopTestPostgres();
  });

  const count = async (table: 'customers' | 'csms') =>
    Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(t.db)).rows[0]!.n);

  test('refuses a request without a valid token and imports nothing', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }]) {
      const res = await app.inject({ method: 'POST', url: '/api/import', headers: { ...headers, 'content-type': 'application/json' }, payload: demoText });
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    }
    assert.equal(await count('customers'), 0);
    // The token is checked before the body is read: a stranger's broken body is never parsed.
    const unread = await app.inject({ method: 'POST', url: '/api/import', headers: { 'content-type': 'application/json' }, payload: '{"customers": [' });
    assert.equal(unread.statusCode, 401);
  });

  test('imports the demo file plus extra accounts (beyond the webhook body limit) and answers with counts', async () => {
    const demo = JSON.parse(demoText);
    for (let i = 0; i < 1000; i++) {
      demo.customers.push({ externalId: `extra-${i}`, name: `Extra ${i}`, arr: 1000 + i, segment: 'smb', region: 'eu-west', csmEmail: 'ana@corp.example', components: [{ key: 'auth', usage: 'light' }] });
    }
    const payload = JSON.stringify(demo);
    assert.ok(payload.length > 256 * 1024, 'bigger than the global body limit');
    const res = await app.inject({ method: 'POST', url: '/api/import', headers: { ...auth, 'content-type': 'application/json' }, payload });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.dryRun, false);
    assert.deepEqual(body.counts.customers, { inserted: demo.customers.length, updated: 0, unchanged: 0 });
    assert.deepEqual(body.counts.templates, { inserted: 16, updated: 0, unchanged: 0 });
    assert.equal(await count('customers'), demo.customers.length);

    const again = await app.inject({ method: 'POST', url: '/api/import', headers: { ...auth, 'content-type': 'application/json' }, payload });
    assert.deepEqual(again.json().counts.customers, { inserted: 0, updated: 0, unchanged: demo.customers.length });
  });

  test('answers 422 listing every error, and imports nothing', async () => {
    const res = await app.inject({
      method: 'POST', url: '/api/import', headers: auth,
      payload: {
        csms: [{ email: 'new.csm@corp.example', name: 'New CSM' }],
        customers: [
          { externalId: 'x-1', name: 'X', arr: -10, segment: 'enterprise', region: 'eu-west' },
          { externalId: 'x-2', name: 'Y', arr: 10, segment: 'huge', region: 'eu-west', csmEmail: 'nobody@corp.example' },
          { externalId: 'x-3', arr: 10, segment: 'smb', region: 'eu-west', components: [{ key: 'api-gateway', usage: 'sometimes' }] },
        ],
      },
    });
    assert.equal(res.statusCode, 422);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    const problem = res.json();
    assert.equal(problem.title, 'Import rejected');
    assert.equal(problem.detail, '5 errors found; nothing was imported.');
    assert.deepEqual(problem.errors, [
      { path: 'customers[0].arr', message: 'must be a non-negative number (annual recurring revenue), got -10' },
      { path: 'customers[1].segment', message: 'must be one of enterprise, mid-market, smb, got "huge"' },
      { path: 'customers[2].name', message: 'is required' },
      { path: 'customers[2].components[0].usage', message: 'must be one of heavy, moderate, light, got "sometimes"' },
      { path: 'customers[1].csmEmail', message: 'no CSM with email "nobody@corp.example" in this import or in the database' },
    ]);
    const csm = await t.db.selectFrom('csms').select('id').where('email', '=', 'new.csm@corp.example').executeTakeFirst();
    assert.equal(csm, undefined, 'the valid CSM of a rejected file is not imported either');
  });

  test('imports one CSV file per request, named by ?entity=, resolving references from the database', async () => {
    const csv = 'external_id,name,arr,segment,region,csm_email,components\n'
      + 'acct-0001,TechCorp,650000,enterprise,us-east,ana@corp.example,api-gateway:heavy:integration\n'
      + 'csv-1,Fresh Co,1200,smb,eu-west,julia.nowak@corp.example,auth:light\n';
    const res = await app.inject({ method: 'POST', url: '/api/import?entity=customers', headers: { ...auth, 'content-type': 'text/csv' }, payload: csv });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().counts.customers, { inserted: 1, updated: 1, unchanged: 0 });
    const techcorp = await t.db.selectFrom('customers').select('arr').where('external_id', '=', 'acct-0001').executeTakeFirstOrThrow();
    assert.equal(techcorp.arr, '650000.00');

    const bad = await app.inject({
      method: 'POST', url: '/api/import?entity=customers', headers: { ...auth, 'content-type': 'text/csv' },
      payload: 'external_id,name,arr,segment,region\ncsv-2,Bad Co,lots,smb,eu-west\n',
    });
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(bad.json().errors, [{ path: 'customers.csv row 2, column arr', message: 'must be a non-negative number (annual recurring revenue), got "lots"' }]);

    const noEntity = await app.inject({ method: 'POST', url: '/api/import', headers: { ...auth, 'content-type': 'text/csv' }, payload: csv });
    assert.equal(noEntity.statusCode, 400);
    assert.match(noEntity.json().detail, /\?entity= with one of csms, components, customers, templates, usage/);
  });

  test('a dry run reports what would change and writes nothing', async () => {
    const res = await app.inject({
      method: 'POST', url: '/api/import?dryRun=true', headers: auth,
      payload: { csms: [{ email: 'dry@corp.example', name: 'Dry Run' }] },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().dryRun, true);
    assert.deepEqual(res.json().counts.csms, { inserted: 1, updated: 0, unchanged: 0 });
    assert.equal(await t.db.selectFrom('csms').select('id').where('email', '=', 'dry@corp.example').executeTakeFirst(), undefined);
  });

  test('malformed JSON and an empty document get clear problems', async () => {
    const broken = await app.inject({ method: 'POST', url: '/api/import', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"customers": [' });
    assert.equal(broken.statusCode, 400);
    assert.equal(broken.json().title, 'Invalid JSON');
    const empty = await app.inject({ method: 'POST', url: '/api/import', headers: auth, payload: {} });
    assert.equal(empty.statusCode, 422);
    assert.deepEqual(empty.json().errors, [{ path: '(document)', message: 'holds nothing to import: expected at least one of csms, components, customers, templates, usage' }]);
  });

  test('is documented in the OpenAPI document with both body types', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = doc.paths['/api/import'].post;
    assert.deepEqual(Object.keys(op.requestBody.content).sort(), ['application/json', 'text/csv']);
    assert.ok(op.requestBody.content['application/json'].schema.properties.customers);
    assert.ok(op.responses['422']);
  });
});
