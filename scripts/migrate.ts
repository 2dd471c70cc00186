/**
 * `npm run migrate` (compiled: `node dist/scripts/migrate.js`, the deployment's one-off migrate
 * job): applies pending migrations to DATABASE_URL. The dev launcher migrates its own database.
 */
import { loadConfig, readEnvironment } from '../config';
import { createDb } from '../db/connect';
import { migrateToLatest } from '../db/migrate';

async function main() {
  const config = loadConfig(readEnvironment(), { requireDatabaseUrl: true });
  const db = createDb(config.databaseUrl, 1);
  try {
    const result = await migrateToLatest(db);
    const applied = result.results ?? [];
    console.log(applied.length ? applied.map((r) => `${r.status}: ${r.migrationName}`).join('\n') : 'Database is up to date.');
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
