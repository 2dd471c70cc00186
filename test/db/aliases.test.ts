import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveComponentAliases, resolveComponentKeysOrAliases } from '../../db/aliases';
import { createTestDb, type TestDb } from '../helpers/db';

describe('component alias resolution', () => {
  let t: TestDb;
  before(async () => {
    t = await createTestDb();
    const [api, pipeline, search] = await t.db.insertInto('components').values([
      { key: 'api-gateway', name: 'API Gateway' }, { key: 'data-pipeline', name: 'Data Pipeline' }, { key: 'search', name: 'Search' },
    ]).returning('id').execute();
    await t.db.insertInto('component_aliases').values([
      { component_id: api.id, source: 'pagerduty', external_id: 'PIJ90N7' },
      { component_id: api.id, source: 'opsgenie', external_id: 'API' },
      { component_id: pipeline.id, source: 'opsgenie', external_id: 'etl' },
      // One Opsgenie integration can cover two components.
      { component_id: search.id, source: 'opsgenie', external_id: 'Core Platform' },
      { component_id: pipeline.id, source: 'opsgenie', external_id: 'core platform ' },
    ]).execute();
  });
  after(async () => { await t?.close(); });

  test('source ids map to component keys, ignoring case and blanks, in the order named, without repeats', async () => {
    assert.deepEqual(await resolveComponentAliases(t.db, 'opsgenie', [' api', 'ETL', 'Core Platform', 'api', 'unknown-tag']),
      { keys: ['api-gateway', 'data-pipeline', 'search'], unknown: ['unknown-tag'] });
  });

  test('an alias of another source does not match', async () => {
    assert.deepEqual(await resolveComponentAliases(t.db, 'pagerduty', ['API', 'PIJ90N7']), { keys: ['api-gateway'], unknown: ['API'] });
    assert.deepEqual(await resolveComponentAliases(t.db, 'statuspage', []), { keys: [], unknown: [] });
  });

  test('component keys themselves, or aliases of the given source, for the generic webhook; unknown values keep their spelling', async () => {
    assert.deepEqual(await resolveComponentKeysOrAliases(t.db, 'generic', ['Search', 'api-gateway', 'Api-Gatway']),
      { keys: ['search', 'api-gateway'], unknown: ['Api-Gatway'] });
    assert.deepEqual(await resolveComponentKeysOrAliases(t.db, 'opsgenie', ['etl']), { keys: ['data-pipeline'], unknown: [] });
  });
});
