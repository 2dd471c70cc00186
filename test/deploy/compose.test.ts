import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../config';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/contract';
import { SHUTDOWN_FORCE_SECONDS } from '../../worker/shutdown';
import { builtCommands, ROOT, seconds } from './manifests';

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const services = compose.services;

test('compose runs the production shape: Postgres, Temporal, UI, API and worker apart', () => {
  for (const s of ['postgres', 'temporal-schema', 'temporal', 'temporal-ui', 'temporal-namespace', 'migrate', 'api', 'worker']) {
    assert.ok(services[s], `service ${s} missing`);
  }
  assert.ok(services.api.healthcheck && services.worker.healthcheck, 'both processes have a health check');
});

test("Temporal's schema is set up once by Temporal's admin tools, not at every server start", () => {
  const images = Object.values(services).map((s) => (s as { image?: string }).image ?? '');
  assert.deepEqual(images.filter((i) => i.includes('auto-setup')), [], 'no auto-setup image');
  assert.match(services.temporal.image, /^temporalio\/server:/);
  assert.equal(services.temporal.depends_on['temporal-schema'].condition, 'service_completed_successfully');
  const schema = services['temporal-schema'];
  assert.match(schema.image, /^temporalio\/admin-tools:/);
  // The schema matches the server: the same release of the admin tools.
  assert.equal(schema.image.split(':')[1], services.temporal.image.split(':')[1]);
  const script = schema.command.join(' ');
  for (const [db, dir] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']]) {
    assert.match(script, new RegExp(`temporal-sql-tool --db ${db} setup-schema -v 0\\.0`));
    assert.match(script, new RegExp(`temporal-sql-tool --db ${db} update-schema -d /etc/temporal/schema/postgresql/v12/${dir}/versioned`));
  }
  // The server reads the databases the tool set up, on the same Postgres.
  assert.equal(services.temporal.environment.DBNAME, 'temporal');
  assert.equal(services.temporal.environment.VISIBILITY_DBNAME, 'temporal_visibility');
  assert.equal(services.temporal.environment.POSTGRES_SEEDS, schema.environment.SQL_HOST);
});

test('every variable compose passes to Forewarn exists in the config module', () => {
  const known = new Set<string>(CONFIG_VARIABLES);
  for (const name of ['api', 'worker', 'migrate']) {
    const vars = Object.keys(services[name].environment ?? {});
    assert.ok(vars.length > 5, `${name} gets its environment`);
    assert.deepEqual(vars.filter((v) => !known.has(v)), [], `${name} passes variables the config does not read`);
    assert.ok(services[name].environment.DATABASE_URL, `${name} gets DATABASE_URL`);
  }
});

test('the namespace Forewarn uses is created, with every search attribute the workflows set', () => {
  const script = services['temporal-namespace'].command.join(' ');
  assert.match(script, new RegExp(`namespace create --namespace ${services.api.environment.TEMPORAL_NAMESPACE}\\b`));
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES)) assert.match(script, new RegExp(`${name}=${type}\\b`));
  for (const s of ['api', 'worker']) assert.equal(services[s].depends_on['temporal-namespace'].condition, 'service_completed_successfully');
});

test('the processes run the build output with node, from an image of production dependencies', () => {
  const built = builtCommands().map((c) => c.join(' '));
  for (const [s, entry] of [['api', 'dist/api/main.js'], ['worker', 'dist/worker/main.js'], ['migrate', 'dist/scripts/migrate.js']]) {
    assert.deepEqual(services[s].command.filter((a: string) => !a.startsWith('--')), ['node', entry]);
    assert.ok(built.includes(`node ${entry}`), `npm run build compiles ${entry}`);
  }
  // A bounded heap keeps a worker holding many open incidents within its memory (bench/README.md).
  assert.ok(services.worker.command.includes('--max-old-space-size=256'));
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  assert.match(dockerfile, /RUN npm run build/);
  assert.match(runStage, /npm ci --omit=dev/);
  assert.match(runStage, /COPY --from=build \/app\/dist \.\/dist/);
  assert.match(runStage, /CMD \["node", "dist\/api\/main\.js"\]/);
});

test('a stopped worker gets the time it takes to drain', () => {
  assert.ok(seconds(services.worker.stop_grace_period) > SHUTDOWN_FORCE_SECONDS, 'stop_grace_period beyond the worker\'s force period');
});
