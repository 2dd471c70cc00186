import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../config';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/contract';

const ROOT = path.resolve(__dirname, '../..');
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });

test('compose runs the production shape: Postgres, Temporal, UI, API and worker apart', () => {
  for (const s of ['postgres', 'temporal', 'temporal-ui', 'search-attributes', 'migrate', 'api', 'worker']) {
    assert.ok(compose.services[s], `service ${s} missing`);
  }
  assert.deepEqual(compose.services.api.command, ['npm', 'run', 'api']);
  assert.deepEqual(compose.services.worker.command, ['npm', 'run', 'worker']);
  assert.ok(compose.services.api.healthcheck && compose.services.worker.healthcheck, 'both processes have a health check');
});

test('every variable compose passes to Forewarn exists in the config module', () => {
  const known = new Set<string>(CONFIG_VARIABLES);
  for (const name of ['api', 'worker', 'migrate']) {
    const vars = Object.keys(compose.services[name].environment ?? {});
    assert.ok(vars.length > 5, `${name} gets its environment`);
    assert.deepEqual(vars.filter((v) => !known.has(v)), [], `${name} passes variables the config does not read`);
  }
});

test('compose registers every search attribute the workflows set', () => {
  const script = compose.services['search-attributes'].command.join(' ');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES)) assert.match(script, new RegExp(`${name}=${type}\\b`));
});

test('the npm scripts compose and the Dockerfile run exist', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  for (const s of ['api', 'worker', 'migrate']) assert.ok(pkg.scripts[s], `npm run ${s}`);
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /npm ci/);
});
