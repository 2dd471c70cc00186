/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the dev launcher's database). */
import { loadConfig } from '../config';
import { createDb } from '../db/connect';
import { databaseUrl } from '../db/embedded';
import { migrateToLatest } from '../db/migrate';

async function main() {
  const config = loadConfig();
  const db = createDb(databaseUrl(config), 1);
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
