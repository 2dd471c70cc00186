import { existsSync } from 'node:fs';
import path from 'node:path';

/** The file `npm run build` writes the workflow bundle to, at the root of the build output. */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

/**
 * The workflow code a worker runs. The compiled worker (dist/worker/main.js) finds the bundle
 * prebuilt beside it, so it starts without webpack; run from the sources (`npm run worker`, the
 * dev launcher) there is none and the workflows are bundled at start, always fresh.
 */
export function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const codePath = path.resolve(__dirname, '..', WORKFLOW_BUNDLE_FILE);
  return existsSync(codePath) ? { workflowBundle: { codePath } } : { workflowsPath: require.resolve('../workflows') };
}
