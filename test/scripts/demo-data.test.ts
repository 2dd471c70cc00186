import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../helpers/db';
import { loadDemoDataIfEmpty, shiftUsageToNow } from '../../scripts/demo-data';

test('demo usage is moved to end at the current hour, keeping its shape', () => {
  const data = { usage: [{ hour: '2026-01-29T09:00:00.000Z', n: 1 }, { hour: '2026-01-29T14:00:00.000Z', n: 2 }] };
  const shifted = shiftUsageToNow(data, new Date('2026-11-26T19:42:10Z'));
  assert.deepEqual(shifted.usage.map((u) => u.hour), ['2026-11-26T14:00:00.000Z', '2026-11-26T19:00:00.000Z']);
  assert.deepEqual(shifted.usage.map((u) => u.n), [1, 2]);
});

test('the dev launcher loads the demo base into an empty database only', async () => {
  const t = await createTestDb();
  try {
    const first = await loadDemoDataIfEmpty(t.db);
    assert.match(first ?? '', /^300 customers, 10 CSMs, 6 components, 16 approved templates/);
    const recent = await t.db.selectFrom('customer_usage').select((eb) => eb.fn.max('hour').as('latest')).executeTakeFirstOrThrow();
    assert.ok(Date.now() - new Date(recent.latest as unknown as string).getTime() < 2 * 3_600_000, 'usage is recent');
    assert.equal(await loadDemoDataIfEmpty(t.db), null, 'a second start leaves the data alone');
  } finally {
    await t.close();
  }
});
