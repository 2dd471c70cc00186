/**
 * A P1 that hits half of a 100,000-customer base across 500 CSMs, through the real stack
 * (test/helpers/large-incident.ts): time from the webhook to the last CSM's alert DM, exactly one
 * alert and one resolution DM per CSM, and the workflow's history size as the server reports it.
 * Sizes: BENCH_CUSTOMERS (100000), BENCH_CSMS (500).
 */
import os from 'node:os';
import { stopTestPostgres } from '../test/helpers/db';
import { runLargeIncident } from '../test/helpers/large-incident';
import { replaceReadmeSection, writeResult } from './report';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
const CSMS = Number(process.env.BENCH_CSMS ?? 500);

async function main() {
  const r = await runLargeIncident({ customers: CUSTOMERS, csms: CSMS, affectedEvery: 2 }, { timeoutMs: 20 * 60_000 });
  await stopTestPostgres();
  const oneEach = r.alertsPerCsm.every((n) => n === 1);
  const result = {
    measuredAt: new Date().toISOString(), cpus: os.cpus().length, node: process.version,
    customers: CUSTOMERS, csms: CSMS, affected: r.expected.customers, arrAtRisk: r.expected.arrAtRisk,
    secondsToLastAlert: +r.secondsToLastAlert.toFixed(1), oneAlertPerCsm: oneEach, resolutionDms: r.resolutionDms,
    apiTotalsRight: r.api.affectedCustomerCount === r.expected.customers && r.api.arrAtRisk === r.expected.arrAtRisk,
    outreachDrafted: r.outreachDrafted, historyBytes: r.historyBytes, historyEvents: r.historyEvents, runs: r.runs,
    largestPayloadBytes: r.largestPayloadBytes, seedSeconds: +r.seedSeconds.toFixed(1),
  };
  await writeResult('large-incident', result);
  const mb = (b: number) => (b / 1024 / 1024).toFixed(2);
  await replaceReadmeSection('large-incident', [
    '## One P1 on a large customer base (`bench/large-incident.ts`)',
    '',
    `${CUSTOMERS.toLocaleString('en')} customers, ${CSMS} CSMs; a P1 on the component half of them use (${result.affected.toLocaleString('en')} affected customers, every CSM affected), sent to the generic webhook; the real API, worker, workflow, Temporal dev server, Postgres and the fake Slack; Gmail in dry-run. Measured ${result.measuredAt.slice(0, 10)} on ${result.cpus} CPUs, Node ${result.node}.`,
    '',
    '| measure | value | target |',
    '|---|---:|---:|',
    `| webhook → last CSM's alert DM | ${result.secondsToLastAlert} s | < 30 s |`,
    `| alert DMs per CSM | ${oneEach ? 'exactly 1 each' : 'NOT 1 each'} | 1 |`,
    `| resolution DMs | ${result.resolutionDms} / ${CSMS} | all |`,
    `| API totals (customers, ARR) | ${result.apiTotalsRight ? 'right' : 'WRONG'} | right |`,
    `| outreach drafts (high impact) | ${result.outreachDrafted.toLocaleString('en')} | |`,
    `| workflow history, all runs | ${mb(result.historyBytes)} MB, ${result.historyEvents} events, ${result.runs} run(s) | < 10 MB |`,
    `| largest single payload | ${(result.largestPayloadBytes / 1024).toFixed(1)} KB | < 256 KB |`,
    '',
    `Seeding the base took ${result.seedSeconds} s (not counted). Raw numbers: \`bench/results/large-incident.json\`. Run: \`npm run bench -- large-incident\`.`,
  ].join('\n'));
  console.log(JSON.stringify(result, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
