/**
 * A P1 on a large customer base through the real stack (API, dev server, worker, Postgres, fake
 * Slack): every CSM gets exactly one alert and one resolution DM, the API shows the right totals,
 * and the workflow's history stays small because no customer list rides in it. CI runs it on
 * 10,000 customers and 500 CSMs; `npm run bench -- large-incident` runs 100,000 customers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLargeIncident } from '../helpers/large-incident';

test('a P1 hitting 5,000 customers across 500 CSMs: one alert and one resolution DM each, right totals, bounded history', async () => {
  const r = await runLargeIncident({ customers: 10_000, csms: 500, affectedEvery: 2 }, { timeoutMs: 240_000 });
  assert.equal(r.expected.customers, 5_000);
  assert.equal(r.expected.csms, 500);

  assert.equal(r.alertsPerCsm.length, 500);
  assert.deepEqual([...new Set(r.alertsPerCsm)], [1], 'exactly one alert DM per CSM');
  assert.equal(r.resolutionDms, 500, 'exactly one resolution DM per CSM');

  assert.equal(r.api.affectedCustomerCount, r.expected.customers);
  assert.equal(r.api.arrAtRisk, r.expected.arrAtRisk);
  assert.equal(r.api.listed, r.expected.customers);
  assert.equal(r.api.listedArr, r.expected.arrAtRisk);
  assert.deepEqual(r.dashboard, {
    affectedCustomers: r.expected.customers, arrAtRisk: r.expected.arrAtRisk, customersTotal: r.expected.customers, firstPage: 10, csms: 500,
  });
  assert.ok(r.outreachDrafted > 1000, `high-impact customers drafted (${r.outreachDrafted})`);

  assert.ok(r.historyBytes < 10 * 1024 * 1024, `history ${r.historyBytes} bytes over ${r.runs} run(s)`);
  assert.ok(r.largestPayloadBytes < 256 * 1024, `largest payload ${r.largestPayloadBytes} bytes`);
});
