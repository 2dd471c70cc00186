/**
 * Re-records the histories of the current incident workflow (type incidentWorkflowV2) that the
 * replay test checks: runs the incident workflow tests against the time-skipping server with
 * FOREWARN_RECORD_HISTORIES set, so each test writes the history of every run it drove
 * (handle.fetchHistory(), one JSON file per run) into test/workflows/histories/v2/.
 *
 * test/workflows/histories/v1/ holds histories of the first workflow type (incidentWorkflow,
 * workflows/incident-v1/, frozen while its incidents drain): they can no longer be recorded and
 * are never touched here.
 *
 * Re-record only on purpose: after an intended, compatible change of the workflow's commands, or
 * to cover a new path. A replay failure after an unintended change means in-flight incidents would
 * break: fix the code (or use patched()), do not re-record.
 *
 * A new path is covered without touching the histories already recorded: `--only <pattern>` runs
 * just the tests whose names match and adds their histories, refusing to overwrite a file.
 *
 * Usage: npx tsx test/workflows/record-histories.ts [--only "<test name pattern>"]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DIR = path.join(__dirname, 'histories', 'v2');
const TESTS = ['incident.workflow.test.ts', 'incident-csms.workflow.test.ts', 'incident-sources.workflow.test.ts', 'incident-lifecycle.workflow.test.ts'].map((f) => path.join(__dirname, f));

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
if (onlyAt >= 0 && !only) {
  console.error('--only needs a test name pattern');
  process.exit(1);
}

// With --only the tests write elsewhere first: the histories already recorded stay as they are.
const out = only ? mkdtempSync(path.join(os.tmpdir(), 'forewarn-histories-')) : DIR;
if (!only) rmSync(DIR, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...(only ? ['--test-name-pattern', only] : []), ...TESTS], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test', FOREWARN_RECORD_HISTORIES: out },
});
if (run.status !== 0) {
  console.error('The workflow tests failed: histories not recorded.');
  process.exit(1);
}
const files = readdirSync(out).filter((f) => f.endsWith('.json')).sort();
if (only) {
  const taken = files.filter((f) => existsSync(path.join(DIR, f)));
  if (taken.length) {
    console.error(`Not added: ${taken.join(', ')} already recorded (recorded histories are not replaced; name the test's run differently).`);
    process.exit(1);
  }
  if (files.length === 0) {
    console.error(`No test matching "${only}" recorded a history.`);
    process.exit(1);
  }
  for (const f of files) copyFileSync(path.join(out, f), path.join(DIR, f));
  rmSync(out, { recursive: true, force: true });
}
const kb = files.reduce((n, f) => n + statSync(path.join(DIR, f)).size, 0) / 1024;
console.log(`Recorded ${files.length} histories (${kb.toFixed(0)} KiB) in ${path.relative(process.cwd(), DIR)}:`);
for (const f of files) console.log(`  ${f}`);
