/**
 * Forewarn as it runs in production, on one machine, for the integration and browser tests and the
 * benchmarks: the Temporal dev server, a fresh Postgres database, a real worker (the shared workflow
 * bundle and `createActivities`), the API (`buildApp`) and, when asked, the fake Slack and Gmail
 * spoken to by the real clients. Without the fakes Slack and Gmail run in dry-run (the outbox only).
 *
 *   stack = await startStack({ slack: { users }, gmail: true, customerBase, config: { API_TOKENS: TOKEN } });
 *   ...
 *   await stack.stop();
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { buildApp } from '../../api/app';
import { loadConfig, type Config } from '../../config';
import { applyImport } from '../../db/import';
import type { Database } from '../../db/types';
import { validateImport } from '../../domain/import';
import { FakeGmail } from '../fakes/gmail';
import { FakeSlack, type FakeSlackUser } from '../fakes/slack';
import { createTestDb, type TestDb } from './db';
import { createDevServerEnv, workflowBundle } from './temporal';

export interface StackOptions {
  /** Configuration variables on top of the stack's own (NODE_ENV, task queue, namespace, the fakes' addresses); they win. */
  config?: Record<string, string>;
  /** Starts the fake Slack with these users. */
  slack?: { users: FakeSlackUser[] };
  /** Starts the fake Gmail (a service account key it accepts, Gmail's and the token endpoint's addresses). */
  gmail?: boolean;
  /** A customer base in the import format (`validateImport`), imported before the worker starts. */
  customerBase?: unknown;
  /** Anything else written to the empty database before the worker starts. */
  seed?: (db: Kysely<Database>) => Promise<void>;
  /** Serves the API on 127.0.0.1 (a free port) for a browser or `fetch`; `base` is its address. */
  listen?: boolean;
  /** Worker options beyond its connection, task queue, bundle and activities. */
  worker?: Partial<WorkerOptions>;
}

interface StackBase {
  env: TestWorkflowEnvironment;
  db: Kysely<Database>;
  /** The database with its address and `close()`. */
  testDb: TestDb;
  config: Config;
  app: FastifyInstance;
  /** The running worker (a new one after `startWorker()`). */
  worker: Worker;
  /** Starts a new worker on the stack's task queue (after `stopWorker()`). */
  startWorker(): Promise<void>;
  /** Shuts the worker down and waits until it has stopped; its failure, if any, is thrown. */
  stopWorker(): Promise<void>;
  /** Stops everything the stack started, the worker first after the API. */
  stop(): Promise<void>;
}

/** What a stack holds beyond its base, by the options it was started with. */
export type StackPart = 'slack' | 'gmail' | 'listen';
export type Stack<P extends StackPart = never> = StackBase
  & ('slack' extends P ? { slack: FakeSlack } : unknown)
  & ('gmail' extends P ? { gmail: FakeGmail } : unknown)
  & ('listen' extends P ? { base: string } : unknown);
type PartsOf<O extends StackOptions> = (O extends { slack: object } ? 'slack' : never)
  | (O extends { gmail: true } ? 'gmail' : never) | (O extends { listen: true } ? 'listen' : never);

export async function startStack<const O extends StackOptions>(options: O): Promise<Stack<PartsOf<O>>> {
  let env: TestWorkflowEnvironment | undefined;
  let testDb: TestDb | undefined;
  let slack: FakeSlack | undefined;
  let gmail: FakeGmail | undefined;
  let app: FastifyInstance | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  const stopWorker = async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  const stop = async () => {
    await app?.close();
    await stopWorker().catch(() => {});
    await slack?.close();
    await gmail?.close();
    await testDb?.close();
    await env?.teardown();
  };

  try {
    [env, testDb, slack, gmail] = await Promise.all([
      createDevServerEnv(), createTestDb(),
      options.slack ? FakeSlack.start({ users: options.slack.users }) : undefined,
      options.gmail ? FakeGmail.start() : undefined,
    ]);
    const { db } = testDb;
    if (options.customerBase !== undefined) {
      const imported = await applyImport(db, validateImport(options.customerBase));
      if (!imported.ok) throw new Error(`the customer base did not import: ${JSON.stringify(imported)}`);
    }
    await options.seed?.(db);

    const config = loadConfig({
      NODE_ENV: 'test', TEMPORAL_TASK_QUEUE: `stack-${randomBytes(4).toString('hex')}`, TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      ...(slack ? { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl } : {}),
      ...(gmail ? { GOOGLE_SERVICE_ACCOUNT_KEY_FILE: gmail.writeServiceAccountKey(), GMAIL_API_ROOT_URL: gmail.rootUrl, GOOGLE_TOKEN_URL: gmail.tokenUrl } : {}),
      ...options.config,
    });
    const temporal = env.client;
    const connection = env.nativeConnection;
    const startWorker = async () => {
      worker = await Worker.create({
        connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
        workflowBundle: await workflowBundle(), activities: createActivities({ config, db, temporal }), ...options.worker,
      });
      running = worker.run();
    };
    await startWorker();
    app = await buildApp({ config, db, temporal });
    let base: string | undefined;
    if (options.listen) {
      await app.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    } else {
      await app.ready();
    }
    const stack = {
      env, db, testDb, config, app, startWorker, stopWorker, stop,
      get worker() { return worker!; },
      ...(slack ? { slack } : {}), ...(gmail ? { gmail } : {}), ...(base ? { base } : {}),
    };
    return stack as Stack<PartsOf<O>>;
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
