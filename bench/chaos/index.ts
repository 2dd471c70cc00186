/**
 * `npm run chaos`: the fault suite against the real stack on this machine — the compiled API and
 * workers as separate processes, a Temporal dev server on a SQLite file, a Postgres server of its own
 * and a fake Slack over HTTP. Scenarios (all by default, or name some: `npm run chaos -- temporal poison`):
 *
 *   worker-kills  kill -9 of a worker, 20 times during a 50-incident storm, a replacement after each
 *   temporal      the Temporal server killed during traffic and started again on its SQLite file
 *   pg-stop       Postgres stopped for 30 s during traffic
 *   pg-freeze     Postgres frozen (SIGSTOP) during traffic
 *   slack-storm   Slack answering 429s, 500s and losing answers of posts it made
 *   poison        NUL and unpaired surrogates in every webhook, the import and the Slack routes
 *
 * Sizes come from CHAOS_* variables (see SIZES in ./scenarios). Figures: bench/results/chaos.json and
 * the chaos section of bench/README.md. Exits 1 when an alert was lost or duplicated, a webhook got
 * something other than 202, 503 or (poison) 400, or a scenario failed.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localBuild, startRestartableTemporal } from '../../test/deploy/stack';
import { replaceReadmeSection, writeResult } from '../report';
import { ChaosPostgres, chaosBase, type Shared } from './harness';
import { SCENARIOS, SIZES, type ScenarioResult } from './scenarios';

type Name = keyof typeof SCENARIOS;

/** What must hold for a scenario to pass (also what the CI test checks). */
export function problems(r: ScenarioResult): string[] {
  const out: string[] = [];
  if (r.alerts.lost) out.push(`${r.alerts.lost} alerts lost (${r.alerts.lostPairs.join('; ')})`);
  if (r.alerts.duplicated) out.push(`${r.alerts.duplicated} alerts duplicated (${r.alerts.duplicatedPairs.join('; ')})`);
  if (r.alerts.unexpected) out.push(`${r.alerts.unexpected} alerts to CSMs not concerned`);
  const allowed = r.name === 'poison' ? ['400'] : [];
  const other = Object.entries(r.webhooks.other).filter(([status]) => !allowed.includes(status));
  if (other.length) out.push(`webhooks answered ${other.map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  if (r.webhooks.overDeadline) out.push(`${r.webhooks.overDeadline} answers over 3 s (slowest ${r.webhooks.slowestMs} ms)`);
  if (r.webhooks.unavailableWithoutRetryAfter) out.push(`${r.webhooks.unavailableWithoutRetryAfter} 503s without Retry-After`);
  if (r.name === 'poison') {
    const d = r.details as { poisonedRequests: number; refused400NamingField: number; poisonedDeliveriesRecorded: number; poisonedIncidentsRecorded: number };
    if (d.refused400NamingField !== d.poisonedRequests) out.push(`${d.poisonedRequests - d.refused400NamingField} poisoned requests not refused with a 400 naming the field`);
    if (d.poisonedDeliveriesRecorded || d.poisonedIncidentsRecorded) out.push('poisoned input recorded');
  }
  if (r.name === 'worker-kills' && (r.recovery.worstAfterReplacementStartMs ?? Infinity) > 30_000) out.push('an alert went out more than 30 s after a replacement worker started');
  return out;
}

export async function startShared(): Promise<Shared & { close: () => Promise<void> }> {
  const [postgres, temporal] = await Promise.all([ChaosPostgres.start(), startRestartableTemporal()]);
  console.log('building (npm run build into .data/)...');
  const install = localBuild();
  return {
    postgres, temporal, install, base: chaosBase(Number(process.env.CHAOS_CSMS ?? 12)),
    close: async () => {
      await temporal.stop();
      await postgres.remove();
      install.remove();
    },
  };
}

const fmt = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

function recoveryText(r: ScenarioResult): string {
  const rec = r.recovery;
  switch (r.name) {
    case 'worker-kills': return `worst alert ${fmt(rec.worstAfterReplacementStartMs)} after a replacement's start`;
    case 'slack-storm': return `all alerts out ${fmt(rec.allAlertsOutAfterStormMs)} after the storm`;
    case 'poison': return '—';
    default: return `first 202 ${fmt(rec.firstAcceptedAfterRecoveryMs)}, all alerts out ${fmt(rec.allAlertsOutAfterRecoveryMs)} after it was back`;
  }
}

/** A run of some scenarios keeps the last figures of the others (bench/results/chaos.json), in the suite's order. */
function merged(results: ScenarioResult[]): ScenarioResult[] {
  let previous: ScenarioResult[] = [];
  try {
    previous = (JSON.parse(readFileSync(path.join(__dirname, '../results/chaos.json'), 'utf8')) as { results: ScenarioResult[] }).results ?? [];
  } catch { /* first run */ }
  const byName = new Map([...previous, ...results].map((r) => [r.name, r]));
  return Object.keys(SCENARIOS).flatMap((name) => byName.get(name) ?? []);
}

async function report(ran: ScenarioResult[], failures: { name: string; error: string }[]) {
  const measuredAt = new Date().toISOString();
  const results = merged(ran);
  await writeResult('chaos', { measuredAt, cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg().map((l) => +l.toFixed(1)), sizes: SIZES, results, failures });
  const rows = results.map((r) => {
    const w = r.webhooks;
    const other = Object.entries(w.other).map(([k, v]) => `${v}× ${k}`).join(', ') || '0';
    return `| ${r.title} | ${r.incidents} | ${w.sent} | ${w.accepted} | ${w.unavailable} | ${other} | ${w.overDeadline} (${w.slowestMs} ms) | ${r.alerts.expected} | ${r.alerts.deliveredOnce} | ${r.alerts.duplicated} | ${r.alerts.lost} | ${recoveryText(r)} |`;
  });
  const lines: string[] = [];
  for (const r of results) {
    const d = r.details as Record<string, unknown>;
    if (r.name === 'worker-kills') {
      const lat = d.latencyMs as { p50: number; p95: number; max: number };
      const healthy = d.replacementHealthyMs as { p50: number; max: number };
      lines.push(`- **Worker kills**: ${d.kills} kills; webhook → alert DM p50 ${fmt(lat.p50)}, p95 ${fmt(lat.p95)}, max ${fmt(lat.max)}; ${d.alertsOver30sAfterReplacementStart} alerts out later than 30 s after the latest replacement's start; ${(r.recovery.lastAlertAfterLastReplacementMs ?? 0) < 0 ? 'every alert out before the last replacement started' : `last alert ${fmt(r.recovery.lastAlertAfterLastReplacementMs)} after the last replacement started`}; a replacement is healthy in ${fmt(healthy.p50)} (max ${fmt(healthy.max)}). Activity attempts timed out in the incidents' histories (work held by a killed worker, given to another after the timeout): ${Object.entries(d.activityTimeouts as Record<string, number>).map(([k, v]) => `${v}× ${k}`).join(', ') || 'none'}.`);
    } else if (r.duringFault) {
      const f = r.duringFault;
      const other = Object.entries(f.other).map(([k, v]) => `${v}× ${k}`).join(', ') || 'nothing else';
      lines.push(`- **${r.title}**: while it lasted (${fmt(r.recovery.faultMs)}), ${f.sent} posts: ${f.accepted} × 202, ${f.unavailable} × 503 (${f.unavailable - f.unavailableWithoutRetryAfter} with Retry-After), ${other}; slowest answer ${f.slowestMs} ms.`);
    } else if (r.name === 'slack-storm') {
      lines.push(`- **Slack storm**: ${d.slackCalls} Slack calls, chat.postMessage answered 429 ${d.postMessage429s} times and 500 ${d.postMessage500s} times; ${d.postedButAnswerLost} posts made whose answer was lost (found again by message metadata, not posted twice); ${d.otherCalls429or500} other calls answered 429/500.`);
    } else if (r.name === 'poison') {
      const wrong = d.wrong as { route: string; bad: string; status: number }[];
      lines.push(`- **Poisoned inputs** (${(d.routes as string[]).join(', ')}): ${d.refused400NamingField} of ${d.poisonedRequests} refused with a 400 naming the field; ${d.poisonedAccepted} accepted; ${d.poisonedDeliveriesRecorded} deliveries and ${d.poisonedIncidentsRecorded} incidents recorded from them${wrong.length ? `; wrong: ${wrong.map((x) => `${x.route} (${x.bad}) → ${x.status}`).join(', ')}` : ''}. One clean incident beside them alerted its CSMs.`);
    }
    for (const n of r.notes) lines.push(`  - ${r.name}: ${n}`);
    for (const p of problems(r)) lines.push(`  - **${r.name} failed**: ${p}`);
  }
  for (const f of failures) lines.push(`- **${f.name} did not complete**: ${f.error}`);
  await replaceReadmeSection('chaos', [
    '## Faults (`bench/chaos/`, `npm run chaos`)',
    '',
    `The real stack on this machine: the compiled API and worker processes (\`npm run build\`), a Temporal dev server on a SQLite file, a Postgres server of the suite's own and a fake Slack over HTTP. Each scenario has a fresh database and task queue; incidents go to \`POST /api/webhooks/incidents\` from a sender that retries 503s after Retry-After (and unanswered posts after 1 s), as PagerDuty does. Customer base: ${process.env.CHAOS_CSMS ?? 12} CSMs, 4 components each used by the customers of half of them; an incident on one or two components alerts 6–9 CSMs. An alert is *delivered once* when exactly one alert DM reached that CSM for that incident, *duplicated* when more, *lost* when none. "Over 3 s": answers slower than the API's deadline. Measured ${[...new Set(results.map((r) => (r.measuredAt ?? measuredAt).slice(0, 16).replace('T', ' ')))].join(', ')} UTC on ${os.cpus().length} CPUs shared with other work (load average ${os.loadavg().map((l) => l.toFixed(1)).join(', ')} at the end), Node ${process.version}.`,
    '',
    '| scenario | incidents | posts sent | 202 | 503 | other statuses | over 3 s (slowest) | alerts expected | delivered once | duplicated | lost | recovery |',
    '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    ...lines,
    '',
    'Raw numbers: `bench/results/chaos.json`. Run: `npm run chaos` (about 15 minutes), one scenario with `npm run chaos -- <name>` (worker-kills, temporal, pg-stop, pg-freeze, slack-storm, poison); sizes from `CHAOS_*` variables (`bench/chaos/scenarios.ts`). CI runs a small worker-kill storm (`test/deploy/chaos.test.ts`).',
  ].join('\n'));
}

async function main() {
  const names = process.argv.slice(2) as Name[];
  const unknown = names.filter((n) => !(n in SCENARIOS));
  if (unknown.length) {
    console.error(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
  const shared = await startShared();
  const results: ScenarioResult[] = [];
  const failures: { name: string; error: string }[] = [];
  try {
    for (const name of names.length ? names : (Object.keys(SCENARIOS) as Name[])) {
      const at = Date.now();
      console.log(`\n=== ${name} ===`);
      try {
        const r = { ...await SCENARIOS[name](shared), measuredAt: new Date().toISOString() };
        results.push(r);
        console.log(JSON.stringify({ ...r, details: undefined }, null, 2));
        const p = problems(r);
        console.log(p.length ? `FAILED: ${p.join('; ')}` : `ok in ${((Date.now() - at) / 1000).toFixed(0)} s`);
      } catch (err) {
        failures.push({ name, error: (err as Error).message.slice(0, 2000) });
        console.error(`${name} did not complete:`, err);
      }
    }
  } finally {
    await shared.close();
  }
  await report(results, failures);
  process.exit(failures.length || results.some((r) => problems(r).length) ? 1 : 0);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
