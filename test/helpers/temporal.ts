import path from 'node:path';
import { existsSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { EphemeralServerExecutable } from '@temporalio/testing/lib/ephemeral-server';
import { SEARCH_ATTRIBUTES } from '../../workflows/contract';

const ROOT = path.resolve(__dirname, '../..');

// Workers log every state change at INFO; tests only want to hear about problems.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** The project's fetched binary, or an explicit path from the environment; the SDK's download only as a last resort. */
function executable(envVar: string, fetched: string): EphemeralServerExecutable {
  const explicit = process.env[envVar];
  if (explicit) return { type: 'existing-path', path: explicit };
  const local = path.join(ROOT, '.temporal/bin', fetched);
  if (existsSync(local)) return { type: 'existing-path', path: local };
  return { type: 'cached-download' };
}

export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: executable('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server') },
  });
}

export function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: executable('TEMPORAL_CLI_PATH', 'temporal'),
      searchAttributes: Object.values(SEARCH_ATTRIBUTES),
      ui: false,
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Workflow code bundled once per test process and shared by every worker in it. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: (m) => console.error(m) },
  });
  return bundle;
}
