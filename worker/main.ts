/**
 * The worker process: runs incident and detection workflows and their activities.
 * SIGINT/SIGTERM drain the worker (Temporal's Runtime handles the signals; see ./shutdown for how
 * long), then close connections.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfig, readEnvironment } from '../config';
import { createLogger } from '../config/logger';
import { createDb } from '../db/connect';
import { createActivities } from '../activities';
import { ensureOutreachTrackingSchedule, ensureStatuspageSchedule } from './schedules';
import { startHealthServer } from './health';
import { probeDependencies } from '../db/health';
import { SHUTDOWN_FORCE_SECONDS, SHUTDOWN_GRACE_SECONDS } from './shutdown';
import { workflowCode } from './workflow-code';

/** How long an activity waits for a pooled Postgres connection (the API waits DATABASE_CONNECT_TIMEOUT_MS). */
const WORKER_POOL_WAIT_MS = 15_000;

async function main() {
  const config = loadConfig(readEnvironment(), { requireDatabaseUrl: true });
  const log = createLogger(config, 'worker');
  // Must run before any connection or worker exists.
  Runtime.install({
    // The SDK's own logs go through the same structured logger.
    logger: {
      log: (level, message, meta) => log[level === 'TRACE' ? 'trace' : (level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error')]({ ...meta }, message),
      trace: (message, meta) => log.trace({ ...meta }, message),
      debug: (message, meta) => log.debug({ ...meta }, message),
      info: (message, meta) => log.info({ ...meta }, message),
      warn: (message, meta) => log.warn({ ...meta }, message),
      error: (message, meta) => log.error({ ...meta }, message),
    },
    telemetryOptions: {
      metrics: { prometheus: { bindAddress: `0.0.0.0:${config.worker.metricsPort}` } },
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) },
    },
  });
  let status: 'starting' | 'ok' | 'stopping' = 'starting';
  const health = startHealthServer(config.worker.healthPort, () => ({ status, details: { taskQueue: config.temporal.taskQueue } }));

  // Activities may wait for a pooled connection during a storm (hundreds of CSM messages at once)
  // rather than fail the attempt: the API keeps its short wait (it must answer within seconds).
  const db = createDb(config.databaseUrl, { ...config.database, connectTimeoutMs: Math.max(config.database.connectTimeoutMs, WORKER_POOL_WAIT_MS) });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  health.probe(() => probeDependencies({ db, temporal: client }));
  const code = workflowCode();
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...code,
    // Open incidents mostly sleep on timers: past this many, the least recently used leave memory
    // and are replayed from their (small) history on their next event or deadline.
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    shutdownGraceTime: SHUTDOWN_GRACE_SECONDS * 1000,
    shutdownForceTime: SHUTDOWN_FORCE_SECONDS * 1000,
    activities: createActivities({ config, db, temporal: client }),
  });
  if (config.slack.dryRun) log.warn('SLACK_BOT_TOKEN is not set: Slack messages are rendered into the outbox, not sent (dry-run)');
  if (config.google.dryRun) log.warn('GOOGLE_SERVICE_ACCOUNT_KEY_FILE is not set: emails are rendered into the outbox, not drafted (dry-run)');
  const schedule = await ensureStatuspageSchedule(client, config);
  const outreachTrackingSchedule = await ensureOutreachTrackingSchedule(client, config);
  status = 'ok';
  log.info({ workflowCode: 'workflowBundle' in code ? 'prebuilt bundle' : 'bundled at start', statuspageSchedule: schedule, outreachTrackingSchedule, taskQueue: config.temporal.taskQueue, address: config.temporal.address, metricsPort: config.worker.metricsPort, healthPort: config.worker.healthPort }, 'worker started');
  try {
    await worker.run();
  } finally {
    status = 'stopping';
    log.info('worker stopped; closing connections');
    await Promise.allSettled([db.destroy(), clientConnection.close(), connection.close()]);
    health.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
