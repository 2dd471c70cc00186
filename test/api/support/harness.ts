/**
 * The API under test: `buildApp` on an isolated database, with a Temporal client that is either a
 * dev server running the test-only incident workflow (fake-incident.workflow.ts), or a client on a
 * closed port (Temporal down).
 */
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../api/app';
import { createApiMetrics, type ApiMetrics } from '../../../api/metrics';
import { loadConfig, type Config } from '../../../config';
import { createTestDb, type TestDb } from '../../helpers/db';
import { createDevServerEnv } from '../../helpers/temporal';

export const API_TOKEN = 'test-api-token-0123456789';
export const PD_SECRETS = ['pd-secret-current-0123456789', 'pd-secret-next-9876543210'];
export const OPSGENIE_TOKEN = 'opsgenie-token-0123456789';
export const SLACK_SIGNING_SECRET = 'slack-signing-secret-0123456789';

export interface Harness {
  app: FastifyInstance;
  db: TestDb['db'];
  config: Config;
  temporal: Client;
  env?: TestWorkflowEnvironment;
  taskQueue: string;
  metrics: ApiMetrics;
  close: () => Promise<void>;
}

/** The API tests' configuration variables (tokens, webhook secrets, one incident per delivery), with `extra` on top. */
export function testEnv(extra: Record<string, string> = {}, taskQueue = 'api-test'): Record<string, string> {
  return {
    NODE_ENV: 'test',
    API_TOKENS: `${API_TOKEN},second-token-abcdefghijklmnop`,
    PAGERDUTY_WEBHOOK_SECRETS: PD_SECRETS.join(','),
    OPSGENIE_WEBHOOK_TOKEN: OPSGENIE_TOKEN,
    SLACK_SIGNING_SECRET,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PUBLIC_BASE_URL: 'http://forewarn.test',
    // These tests send many unrelated incidents on the same few components: each stays its own incident
    // (correlation by component is tested in test/db/incident-routing.test.ts and test/integration/).
    CORRELATION_WINDOW_MINUTES: '0',
    ...extra,
  };
}

export function testConfig(extra: Record<string, string> = {}, taskQueue = 'api-test'): Config {
  return loadConfig(testEnv(extra, taskQueue));
}

/** With `temporal: 'dev'` a dev server and a worker run the fake incident workflow; `'down'` points at a closed port. */
export async function startHarness(opts: { temporal: 'dev' | 'down'; env?: Record<string, string> }): Promise<Harness> {
  const taskQueue = `api-test-${randomBytes(4).toString('hex')}`;
  const config = testConfig(opts.env, taskQueue);
  const testDb = await createTestDb();
  let env: TestWorkflowEnvironment | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let temporal: Client;
  if (opts.temporal === 'dev') {
    env = await createDevServerEnv();
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.join(__dirname, 'fake-incident.workflow.ts'),
      logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: (m) => console.error(m) },
    });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: {} });
    running = worker.run();
    temporal = env.client;
  } else {
    temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  }
  const metrics = createApiMetrics();
  const app = await buildApp({ config, db: testDb.db, temporal, metrics });
  await app.ready();
  return {
    app, db: testDb.db, config, temporal, env, taskQueue, metrics,
    close: async () => {
      await app.close();
      if (worker) { worker.shutdown(); await running; }
      if (env) await env.teardown();
      else await temporal.connection.close().catch(() => {});
      await testDb.close();
    },
  };
}

export const auth = { authorization: `Bearer ${API_TOKEN}` };

export function pagerdutySignature(body: string, secrets: string[]): string {
  return secrets.map((s) => `v1=${createHmac('sha256', s).update(body).digest('hex')}`).join(',');
}

export function slackHeaders(body: string, timestamp = Math.floor(Date.now() / 1000), secret = SLACK_SIGNING_SECRET) {
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': sig };
}

/** The value of forewarn_webhook_deliveries_total for one source and outcome. */
export async function webhookCount(metrics: ApiMetrics, source: string, outcome: string): Promise<number> {
  const m = await metrics.webhooks.get();
  return m.values.find((v) => v.labels.source === source && v.labels.outcome === outcome)?.value ?? 0;
}
