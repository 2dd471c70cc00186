/** The API process: webhooks, REST API, Slack interactivity and the dashboard. */
import { Client, Connection } from '@temporalio/client';
import { loadConfig, readEnvironment } from '../config';
import { createLogger } from '../config/logger';
import { createDb } from '../db/connect';
import { buildApp } from './app';

async function main() {
  const config = loadConfig(readEnvironment(), { requireDatabaseUrl: true });
  const logger = createLogger(config, 'api');
  const db = createDb(config.databaseUrl, config.database);
  // Lazy: the API starts (and records webhook deliveries) even while Temporal is down.
  const connection = Connection.lazy({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const app = await buildApp({ config, db, temporal, loggerInstance: logger });
  if (config.api.tokens.length === 0) logger.warn('API_TOKENS is empty: every token-protected route will refuse requests');
  await app.listen({ host: config.api.host, port: config.api.port });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await Promise.allSettled([db.destroy(), connection.close()]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
