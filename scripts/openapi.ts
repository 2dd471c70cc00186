/**
 * Prints the API's OpenAPI document (the one served at /openapi.json) without starting anything:
 * `npx tsx scripts/openapi.ts > openapi.json`. Used by scripts/fuzz-api.sh to validate it.
 */
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { createDb } from '../db/connect';

async function main() {
  const config = loadConfig({ NODE_ENV: 'test' });
  // Nothing is queried: the document comes from the route schemas.
  const db = createDb('postgres://unused:unused@127.0.0.1:1/unused');
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const app = await buildApp({ config, db, temporal: new Client({ connection }) });
  await app.ready();
  process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
  await app.close();
  await Promise.allSettled([db.destroy(), connection.close()]);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
