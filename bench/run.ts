/**
 * `npm run bench`: runs every benchmark below, one after the other (each starts its own
 * isolated Postgres), and stops at the first failure. Add new benchmark files to the list.
 * Arguments after `--` name benchmarks to run: `npm run bench -- impact`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BENCHMARKS = ['impact', 'import', 'awareness', 'awareness-floor', 'storm', 'large-incident', 'webhooks', 'dashboard', 'auth', 'worker', 'cluster'];

const only = process.argv.slice(2);
const unknown = only.filter((name) => !BENCHMARKS.includes(name));
if (unknown.length) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${BENCHMARKS.join(', ')}`);
  process.exit(2);
}
for (const name of only.length ? only : BENCHMARKS) {
  console.log(`\n=== bench/${name}.ts ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, `${name}.ts`)], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`bench/${name}.ts failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}
