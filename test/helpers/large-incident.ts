/**
 * One P1 on a large customer base, end to end on one machine: the API over HTTP-inject, the
 * Temporal dev server, a real worker (real workflow bundle and activities), Postgres, and the
 * fake Slack spoken to by the real @slack/web-api client; Gmail in dry-run (drafts rendered into
 * the outbox). Shared by the integration test (small size) and the benchmark (full size).
 */
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { startStack, type Stack } from './stack';
import { waitFor } from './wait-for';
import { csmSlackId, expectedCheckoutImpact, managerEmail, managerSlackId, seedLargeBase, type LargeBase } from './large-base';

const TOKEN = 'large-incident-token-0123456789';

export interface LargeIncidentResult {
  expected: { customers: number; arrAtRisk: number; csms: number };
  /** What the API says once the alerts are out. */
  api: { affectedCustomerCount: number; arrAtRisk: number; listed: number; listedArr: number };
  /** What the dashboard's incident page shows (its first page of customers, and the totals). */
  dashboard: { affectedCustomers: number; arrAtRisk: number; customersTotal: number; firstPage: number; csms: number };
  /** Alert DMs per CSM with affected customers (each should be 1), and CSMs without one. */
  alertsPerCsm: number[];
  /** Seconds from the webhook's receipt to the last CSM's alert DM. */
  secondsToLastAlert: number;
  resolutionDms: number;
  outreachDrafted: number;
  /** Across every run of the continue-as-new chain, as the server reports it. */
  historyBytes: number;
  historyEvents: number;
  runs: number;
  largestPayloadBytes: number;
  seedSeconds: number;
}

/** Every payload in a history (inputs, results, signals, queries' memo...) by size. */
function largestPayload(history: temporal.api.history.v1.IHistory): number {
  let largest = 0;
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object') return;
    const maybe = value as { data?: Uint8Array; metadata?: unknown };
    if (maybe.data instanceof Uint8Array && maybe.metadata) {
      largest = Math.max(largest, maybe.data.length);
      return;
    }
    for (const v of Object.values(value)) visit(v);
  };
  for (const e of history.events ?? []) visit(e);
  return largest;
}

/** What the workflow is doing, for a failure message: status, pending activities and their last failures. */
async function diagnose(env: TestWorkflowEnvironment, workflowId: string): Promise<string> {
  try {
    const d = await env.client.workflow.getHandle(workflowId).describe();
    const pending = (d.raw.pendingActivities ?? []).map((a) => `${a.activityType?.name} attempt ${a.attempt}: ${a.lastFailure?.message ?? 'no failure'}`);
    return `workflow ${d.status.name}, ${d.historyLength} events, pending: ${pending.join(' | ') || 'none'}`;
  } catch (err) {
    return `workflow not found (${(err as Error).message})`;
  }
}

export async function runLargeIncident(spec: LargeBase, opts: { timeoutMs: number }): Promise<LargeIncidentResult> {
  const users = [
    ...Array.from({ length: spec.csms }, (_, i) => ({ id: csmSlackId(i + 1), email: `csm-${i + 1}@corp.example`, name: `csm${i + 1}` })),
    ...Array.from({ length: spec.managers ?? 10 }, (_, i) => ({ id: managerSlackId(i + 1), email: managerEmail(i + 1), name: `mgr${i + 1}` })),
  ];
  let seedSeconds = 0;
  const stack: Stack<'slack'> = await startStack({
    slack: { users },
    seed: async (db) => {
      const seedStart = Date.now();
      await seedLargeBase(db, spec);
      seedSeconds = (Date.now() - seedStart) / 1000;
    },
    config: { API_TOKENS: TOKEN, LOG_LEVEL: 'warn', PUBLIC_BASE_URL: 'http://forewarn.test', TEMPORAL_TASK_QUEUE: `large-${randomBytes(4).toString('hex')}` },
  });
  const { env, testDb: t, slack, app } = stack;
  try {
    const expected = await expectedCheckoutImpact(t.db);

    const title = 'Checkout outage';
    const startedAt = new Date().toISOString();
    const post = (status: string, resolvedAt?: string) => app.inject({
      method: 'POST', url: '/api/webhooks/incidents',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: { id: 'LARGE-1', title, status, severity: 'P1', affectedComponents: ['checkout'], startedAt, ...(resolvedAt ? { resolvedAt } : {}) },
    });
    const received = Date.now();
    const res = await post('investigating');
    if (res.statusCode !== 202) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`);
    const workflowId = 'incident:generic:LARGE-1';

    const csmIds = Array.from({ length: spec.csms }, (_, i) => csmSlackId(i + 1));
    const alertsOf = (id: string) => slack.dmsTo(id).filter((m) => m.text.includes(title) && !m.threadTs && !/RESOLVED/i.test(m.text));
    // Polled every 200 ms (waitFor): the time to the last alert is known to within that.
    await waitFor('an alert DM for every CSM', () => csmIds.every((id) => alertsOf(id).length > 0), opts.timeoutMs).catch(async (err) => {
      throw new Error(`${(err as Error).message}: ${csmIds.filter((id) => alertsOf(id).length > 0).length}/${csmIds.length} alerted; ${await diagnose(env, workflowId)}`);
    });
    const secondsToLastAlert = (Date.now() - received) / 1000;

    const incident = await waitFor('the incident with its totals', async () => {
      const row = await t.db.selectFrom('product_incidents').select(['id', 'affected_customer_count']).where('workflow_id', '=', workflowId).executeTakeFirst();
      return row && row.affected_customer_count === expected.customers && row;
    }, opts.timeoutMs);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const view = (await app.inject({ method: 'GET', url: `/api/incidents/${incident.id}`, headers: auth })).json();
    const list = (await app.inject({ method: 'GET', url: `/api/incidents/${incident.id}/customers`, headers: auth })).json();
    const dashboard = (await app.inject({ method: 'GET', url: `/api/dashboard/incidents/${incident.id}?limit=10`, headers: auth })).json();

    const outreachDrafted = await waitFor('automatic drafts for high-impact customers', async () => {
      const { rows } = await t.db.selectFrom('incident_customer_impact').select((eb) => eb.fn.countAll<string>().as('n'))
        .where('incident_id', '=', incident.id).where('outreach_status', '=', 'drafted').execute().then((r) => ({ rows: r }));
      const n = Number(rows[0]!.n);
      const timeline = await t.db.selectFrom('incident_updates').select('id').where('incident_id', '=', incident.id).where('kind', '=', 'drafts').executeTakeFirst();
      return timeline && n;
    }, opts.timeoutMs);

    const resolved = await post('resolved', new Date().toISOString());
    if (resolved.statusCode !== 202) throw new Error(`resolution webhook answered ${resolved.statusCode}: ${resolved.body}`);
    const resolutionsOf = (id: string) => slack.dmsTo(id).filter((m) => m.text.includes(title) && /resolved/i.test(m.text) && !m.threadTs);
    await waitFor('a resolution DM for every CSM', () => csmIds.every((id) => resolutionsOf(id).length > 0), opts.timeoutMs);
    await waitFor('follow-ups scheduled', async () => {
      const row = await t.db.selectFrom('product_incidents').select('follow_up_at').where('id', '=', incident.id).executeTakeFirst();
      return row?.follow_up_at;
    }, opts.timeoutMs);
    // Nothing twice: wait for the workflow to go quiet, then count again.
    await waitFor('the workflow idle', async () => {
      const d = await env.client.workflow.getHandle(workflowId).describe();
      return (d.raw.pendingActivities?.length ?? 0) === 0;
    }, opts.timeoutMs);
    const alertsPerCsm = csmIds.map((id) => alertsOf(id).length);

    let historyBytes = 0;
    let historyEvents = 0;
    let largestPayloadBytes = 0;
    let runs = 0;
    // From the latest run back to the first: each run's start names the run it continued.
    let runId: string | undefined = (await env.client.workflow.getHandle(workflowId).describe()).runId;
    while (runId) {
      const handle: ReturnType<TestWorkflowEnvironment["client"]["workflow"]["getHandle"]> = env.client.workflow.getHandle(workflowId, runId);
      const d = await handle.describe();
      historyBytes += Number(d.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
      historyEvents += Number(d.historyLength);
      const history: temporal.api.history.v1.IHistory = await handle.fetchHistory();
      largestPayloadBytes = Math.max(largestPayloadBytes, largestPayload(history));
      runs += 1;
      runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    }

    return {
      expected,
      api: {
        affectedCustomerCount: view.affectedCustomerCount ?? view.affected_customer_count, arrAtRisk: view.arrAtRisk ?? view.arr_at_risk,
        listed: list.affectedCustomers.length, listedArr: list.totalARRAtRisk,
      },
      dashboard: {
        affectedCustomers: dashboard.incident.affectedCustomers, arrAtRisk: dashboard.incident.arrAtRisk,
        customersTotal: dashboard.customersTotal, firstPage: dashboard.customers.length, csms: dashboard.byCsm.length,
      },
      alertsPerCsm, secondsToLastAlert, resolutionDms: csmIds.filter((id) => resolutionsOf(id).length === 1).length,
      outreachDrafted, historyBytes, historyEvents, runs, largestPayloadBytes, seedSeconds,
    };
  } finally {
    await stack.stop();
  }
}
