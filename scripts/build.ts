/**
 * `npm run build`: the production build in dist/ (or `--out-dir DIR`).
 * - the API, the worker and the migrate and import commands compiled to JavaScript
 *   (tsconfig.build.json), run with plain `node`;
 * - the workflow bundle, built once here instead of at every worker start (the compiled worker
 *   loads it with `workflowBundle: { codePath }`);
 * - the dashboard's static files beside the compiled API.
 * Needs the dev dependencies; what it writes runs with the production ones only.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_FILE } from '../worker/workflow-code';

const ROOT = path.resolve(__dirname, '..');

function outDir(argv: string[]): string {
  const i = argv.indexOf('--out-dir');
  if (i >= 0 && !argv[i + 1]) throw new Error('--out-dir needs a folder');
  return path.resolve(i >= 0 ? argv[i + 1] : path.join(ROOT, 'dist'));
}

async function main() {
  const out = outDir(process.argv.slice(2));
  const started = Date.now();
  rmSync(out, { recursive: true, force: true });

  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit', cwd: ROOT });
  if (tsc.status !== 0) throw new Error(`TypeScript compilation failed (exit ${tsc.status ?? tsc.signal})`);

  // The browser code as it is served; its tsconfig.json and types.d.ts are for type checking only.
  cpSync(path.join(ROOT, 'api/dashboard/public'), path.join(out, 'api/dashboard/public'), {
    recursive: true, filter: (src) => !/(\.d\.ts|tsconfig\.json)$/.test(src),
  });

  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: (m) => console.warn(m), error: (m) => console.error(m) },
  });
  writeFileSync(path.join(out, WORKFLOW_BUNDLE_FILE), code);

  console.log(`Built ${path.relative(ROOT, out) || out} in ${((Date.now() - started) / 1000).toFixed(1)} s (workflow bundle ${(code.length / 1024).toFixed(0)} KB)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
