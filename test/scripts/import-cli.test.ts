import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { DEMO_DATA_FILE } from '../../demo/generate';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `npm run import -- ...args` as a person would, against the given database. */
function runCli(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/import.ts'), ...args], {
      cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl }, timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** The counts line the CLI prints for one entity. */
const countsLine = (out: string, entity: string) => out.split('\n').find((l) => l.trim().startsWith(`${entity} `))?.trim().split(/\s+/).join(' ');

describe('npm run import', () => {
  let t: TestDb;
  let dir: string;
  before(async () => {
    t = await createTestDb();
    dir = mkdtempSync(path.join(tmpdir(), 'forewarn-import-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
    await stopTestPostgres();
  });

  const customers = async () => Number((await sql<{ n: string }>`select count(*) as n from customers`.execute(t.db)).rows[0]!.n);

  test('imports the demo file, then a second run changes nothing', async () => {
    const first = await runCli([DEMO_DATA_FILE], t.url);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Imported demo-data\.json in \d+\.\d s:/);
    assert.equal(countsLine(first.stdout, 'customers'), 'customers 300 inserted 0 updated 0 unchanged');
    assert.equal(countsLine(first.stdout, 'templates'), 'templates 16 inserted 0 updated 0 unchanged');
    assert.equal(await customers(), 300);
    const [audit] = await t.db.selectFrom('audit_log').select(['actor_kind', 'actor_id', 'actor_name', 'action', 'detail']).execute();
    assert.deepEqual([audit!.actor_kind, audit!.actor_id, audit!.action], ['system', 'import:command-line', 'import.applied']);
    assert.match(audit!.actor_name, /^import \(command line, .+\)$/);
    assert.deepEqual((audit!.detail as { files: string[] }).files, ['demo-data.json']);

    const second = await runCli([DEMO_DATA_FILE], t.url);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(countsLine(second.stdout, 'customers'), 'customers 0 inserted 0 updated 300 unchanged');
    assert.equal(countsLine(second.stdout, 'csms'), 'csms 0 inserted 0 updated 10 unchanged');
  });

  test('prints every error of every file, exits 1 and imports nothing', async () => {
    const json = path.join(dir, 'accounts.json');
    writeFileSync(json, JSON.stringify({
      csms: [{ email: 'kim@corp.example', name: 'Kim' }],
      customers: [{ externalId: 'n-1', name: 'N1', arr: 'lots', segment: 'smb', region: 'eu-west', csmEmail: 'kim@corp.example' }],
    }));
    const csv = path.join(dir, 'customers.csv');
    writeFileSync(csv, 'external_id,name,arr,segment,region,csm_email\nn-2,N2,10,tiny,eu-west,ghost@corp.example\nn-3,N3,10,smb,eu-west,kim@corp.example\n');
    const res = await runCli([json, csv], t.url);
    assert.equal(res.code, 1);
    assert.equal(res.stderr, [
      'Import of accounts.json, customers.csv rejected: 3 errors; nothing was imported.',
      '  accounts.json customers[0].arr: must be a non-negative number (annual recurring revenue), got "lots"',
      '  customers.csv row 2, column segment: must be one of enterprise, mid-market, smb, got "tiny"',
      '  customers.csv row 2, column csm_email: no CSM with email "ghost@corp.example" in this import or in the database',
      '',
    ].join('\n'));
    assert.equal(await customers(), 300);
    const kim = await t.db.selectFrom('csms').select('id').where('email', '=', 'kim@corp.example').executeTakeFirst();
    assert.equal(kim, undefined);
  });

  test('imports CSV files per entity together, and --dry-run writes nothing', async () => {
    writeFileSync(path.join(dir, 'csms.csv'), 'email,name,slack_user_id\nkim@corp.example,Kim Park,U0KIMPARK\n');
    writeFileSync(path.join(dir, 'customers.csv'), 'external_id,name,arr,segment,region,csm_email,components\nn-1,N1,1000,smb,eu-west,kim@corp.example,auth:heavy\n');
    const files = [path.join(dir, 'csms.csv'), path.join(dir, 'customers.csv')];
    const dry = await runCli([...files, '--dry-run'], t.url);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Dry run \(nothing written\) csms\.csv, customers\.csv/);
    assert.equal(countsLine(dry.stdout, 'customers'), 'customers 1 inserted 0 updated 0 unchanged');
    assert.equal(await customers(), 300);

    const real = await runCli(files, t.url);
    assert.equal(real.code, 0, real.stderr);
    assert.equal(countsLine(real.stdout, 'csms'), 'csms 1 inserted 0 updated 0 unchanged');
    assert.equal(await customers(), 301);
  });

  test('usage errors and an unreachable database are explained', async () => {
    const none = await runCli([], t.url);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^Usage: npm run import -- FILE/);
    const down = await runCli([DEMO_DATA_FILE], 'postgres://forewarn:secret@127.0.0.1:1/forewarn');
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^Cannot use the database at postgres:\/\/forewarn:\*\*\*@127\.0\.0\.1:1\/forewarn: .*\nCheck DATABASE_URL\./);
    assert.doesNotMatch(down.stderr, /secret/);
  });
});
