/**
 * `npm run test:node`: starts one embedded Postgres with a migrated template database, then runs
 * every test file with Node's test runner (two files at a time, one per core), then stops Postgres.
 * Usage: tsx test/run.ts [file or folder ...]   (default: all of test/)
 */
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { startEmbeddedPostgres } from '../db/embedded';
import { prepareTemplate } from './helpers/db';

const ROOT = path.resolve(__dirname, '..');

function testFiles(target: string): string[] {
  const full = path.resolve(ROOT, target);
  if (statSync(full).isFile()) return [full];
  return readdirSync(full, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'fixtures' ? [] : testFiles(path.join(full, e.name)))
      : e.name.endsWith('.test.ts') ? [path.join(full, e.name)] : []);
}

async function main() {
  const targets = process.argv.slice(2);
  const files = (targets.length ? targets : ['test']).flatMap(testFiles).sort();
  const dataDir = path.join(ROOT, `.data/test-run-${process.pid}/data`);
  const port = 55000 + (process.pid % 900);
  const pg = await startEmbeddedPostgres({ dataDir, port, persistent: false });
  const adminUrl = pg.url('postgres');
  await prepareTemplate(adminUrl, 'forewarn_template');
  let code = 1;
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [
        '--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
        // A hung test fails after 5 minutes instead of holding CI to its limit.
        '--test-timeout=300000', ...files,
      ], {
        stdio: 'inherit',
        env: { ...process.env, NODE_ENV: 'test', TEST_PG_ADMIN_URL: adminUrl, TEST_PG_TEMPLATE: 'forewarn_template' },
      });
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
  } finally {
    await pg.stop();
    rmSync(path.dirname(dataDir), { recursive: true, force: true });
  }
  process.exit(code);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
