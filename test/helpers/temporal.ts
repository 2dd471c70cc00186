import path from 'node:path';
import { existsSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { EphemeralServerExecutable } from '@temporalio/testing/lib/ephemeral-server';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_TYPES, SEARCH_ATTRIBUTES } from '../../workflows/contract';

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

/**
 * The time-skipping server rejects upserts of search attributes it does not know (the workflow
 * task then fails over and over), so Forewarn's are registered first, as on the dev server.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: executable('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server') },
  });
  const types = temporal.api.enums.v1.IndexedValueType;
  const byType = {
    Keyword: types.INDEXED_VALUE_TYPE_KEYWORD, KeywordList: types.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    Double: types.INDEXED_VALUE_TYPE_DOUBLE, Int: types.INDEXED_VALUE_TYPE_INT,
  };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTE_TYPES).map(([name, type]) => [name, byType[type]])),
  });
  return env;
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
