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
 * Usage: npx tsx test/workflows/record-histories.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const DIR = path.join(__dirname, 'histories', 'v2');
const TESTS = ['incident.workflow.test.ts', 'incident-csms.workflow.test.ts', 'incident-sources.workflow.test.ts', 'incident-lifecycle.workflow.test.ts'].map((f) => path.join(__dirname, f));

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...TESTS], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test', FOREWARN_RECORD_HISTORIES: DIR },
});
if (run.status !== 0) {
  console.error('The workflow tests failed: histories not recorded.');
  process.exit(1);
}
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const kb = files.reduce((n, f) => n + statSync(path.join(DIR, f)).size, 0) / 1024;
console.log(`Recorded ${files.length} histories (${kb.toFixed(0)} KiB) in ${path.relative(process.cwd(), DIR)}:`);
for (const f of files) console.log(`  ${f}`);
