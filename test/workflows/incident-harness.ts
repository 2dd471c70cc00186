/**
 * Drives incident workflows (type WORKFLOW_TYPES.incident) in the time-skipping test server: a
 * worker with mocked activities, events sent the way the API sends them (signalWithStart),
 * outreach recorded the way the API records it (Postgres, then outreachRecordedSignal), and
 * waiting until the workflow's state or the mock shows what a test expects. With FOREWARN_RECORD_HISTORIES=<dir> every workflow a test
 * started has its histories (each run of a continue-as-new chain) written there for the replay test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { parseIncidentWorkflowId } from '../../domain/correlation';
import { incidentIdFor } from '../../domain/incident-state';
import type { IncidentEvent, OutreachStatus } from '../../domain/types';
import {
  incidentEventSignal, incidentReopenOptions, incidentStartOptions, incidentWorkflowId, outreachRecordedSignal, stateQuery, WORKFLOW_TYPES,
  type IncidentSettings, type IncidentWorkflowInput,
} from '../../workflows/contract';
import type { IncidentState } from '../../domain/incident/model';
import type { incidentWorkflowV2 } from '../../workflows/incident.workflow';
import { workflowBundle } from '../helpers/temporal';
import type { IncidentActivities } from '../../activities/types';
import { MockActivities, type CustomerBase, type ImpactRow, type InputOf, type OutreachOutcome } from './mock-activities';

export const SETTINGS: IncidentSettings = {
  escalationMinutes: 15,
  updateCadenceMinutes: 30,
  followUpHours: 24,
  postMortemHours: 72,
  sendResolutionEmails: false,
  dashboardUrl: 'http://forewarn.test/dashboard',
};

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

const T0 = Date.parse('2026-01-29T19:30:00Z');

export function at(minutes: number): string {
  return new Date(T0 + minutes * MINUTE).toISOString();
}

let deliveries = 0;
export function pdEvent(externalId: string, over: Partial<IncidentEvent> = {}): IncidentEvent {
  return {
    source: 'pagerduty', externalId, title: 'API Latency Issues', status: 'investigating', severity: 'P1',
    components: ['api-gateway'], regions: [], statusPageUrl: 'https://status.example.com/incidents/1',
    occurredAt: at(0), deliveryId: `delivery-${++deliveries}`, ...over,
  };
}

type Handle = WorkflowHandle<typeof incidentWorkflowV2>;

export class IncidentHarness {
  readonly taskQueue = `incidents-${randomUUID()}`;
  readonly mock: MockActivities;
  /**
   * Workflow id → the runs that started a continue-as-new chain: the first event's, then each run that
   * reopened the finished incident.
   */
  private readonly started = new Map<string, string[]>();

  constructor(readonly env: TestWorkflowEnvironment, readonly settings: IncidentSettings = SETTINGS,
    readonly extra: Partial<IncidentWorkflowInput> = {}, base?: CustomerBase) {
    this.mock = new MockActivities(base);
  }

  /** Runs `fn` with a worker polling this harness's task queue; records histories when asked to. */
  async run(name: string, fn: () => Promise<void>): Promise<void> {
    const worker = await Worker.create({
      connection: this.env.nativeConnection,
      taskQueue: this.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: this.mock.activities(),
      // A bug in workflow code fails the test now instead of retrying the workflow task forever.
      workflowFailureErrorTypes: { '*': ['Error'] },
    });
    await worker.runUntil(async () => {
      try {
        await fn();
        for (const id of this.started.keys()) {
          const d = await this.env.client.workflow.getHandle(id).describe();
          assert(d.status.name !== 'FAILED' && d.status.name !== 'TERMINATED', `workflow ${id} ended ${d.status.name}`);
        }
        for (const id of this.started.keys()) await this.settle(id);
        const dir = process.env.FOREWARN_RECORD_HISTORIES;
        if (dir) await this.recordHistories(dir, name);
      } finally {
        // Left running, their timers would fire into a task queue nobody polls, and the test server
        // stops skipping time while such a task is outstanding: later tests' sleeps would hang. It
        // also keeps time locked for a task cut off by a termination, so each workflow is first
        // left to go idle, then cancelled and allowed to finish on this worker (a failed test too).
        for (const id of this.started.keys()) {
          await this.settle(id).catch(() => {});
          await this.cancel(id).catch(() => {});
        }
      }
    });
  }

  /** Waits until the workflow has no task or activity in flight (or has ended). */
  async settle(workflowId: string): Promise<void> {
    const handle = this.env.client.workflow.getHandle(workflowId);
    const { EventType } = temporal.api.enums.v1;
    const busy = [EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') return;
      const last = (await handle.fetchHistory()).events?.at(-1)?.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED;
      if ((d.raw.pendingActivities?.length ?? 0) === 0 && !busy.includes(last)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async cancel(workflowId: string): Promise<void> {
    const handle = this.env.client.workflow.getHandle(workflowId);
    if ((await handle.describe()).status.name !== 'RUNNING') return;
    await handle.cancel();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if ((await handle.describe()).status.name !== 'RUNNING') return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** What the API does with a normalized event (routed to `workflowId`, by default its own incident). */
  async send(event: IncidentEvent, workflowId = incidentWorkflowId(event.source, event.externalId)): Promise<Handle> {
    const h = await this.env.client.workflow.signalWithStart<typeof incidentWorkflowV2, [IncidentEvent]>(WORKFLOW_TYPES.incident, {
      workflowId, taskQueue: this.taskQueue, args: [{ settings: this.settings, opens: parseIncidentWorkflowId(workflowId), ...this.extra }],
      signal: incidentEventSignal, signalArgs: [event],
    });
    if (!this.started.has(workflowId)) this.started.set(workflowId, [h.signaledRunId]);
    return this.handle(workflowId);
  }

  /**
   * What db/deliveries.ts does with a reopening event (`reopens`) once the incident's workflow has
   * finished: a new run of the same workflow id, told to restore the incident (incidentReopenOptions).
   */
  async reopen(event: IncidentEvent, workflowId = incidentWorkflowId(event.source, event.externalId)): Promise<Handle> {
    const options = incidentReopenOptions(incidentStartOptions(event, this.settings, this.taskQueue, workflowId));
    const h = await this.env.client.workflow.signalWithStart<typeof incidentWorkflowV2, [IncidentEvent]>(WORKFLOW_TYPES.incident, {
      ...options, args: [{ ...options.args[0], ...this.extra }],
    });
    this.started.set(workflowId, [...(this.started.get(workflowId) ?? []), h.signaledRunId]);
    return this.handle(workflowId);
  }

  handle(workflowId: string): Handle {
    return this.env.client.workflow.getHandle<typeof incidentWorkflowV2>(workflowId);
  }

  /** The incident's customers as Postgres (the mock's incident_customer_impact) holds them, in priority order. */
  customers(handle: Handle): ImpactRow[] {
    return this.mock.customers(incidentIdFor(handle.workflowId));
  }

  customer(handle: Handle, customerId: string): ImpactRow {
    const row = this.mock.customer(incidentIdFor(handle.workflowId), customerId);
    assert(row !== undefined, `${customerId} is not in the incident`);
    return row;
  }

  /**
   * What api/outreach.ts recordOutreach does for an incident on this workflow type: outreach
   * moves in Postgres under the state machine's rules, then (a real move, workflow running) the
   * workflow hears that the CSM acted.
   */
  async recordOutreach(handle: Handle, customerId: string, status: OutreachStatus, opts: { note?: string; actor?: string } = {}): Promise<OutreachOutcome> {
    const at = new Date(Date.now()).toISOString();
    const outcome = this.mock.changeOutreach(incidentIdFor(handle.workflowId), { customerId, status, at, ...opts });
    if (outcome.ok && !outcome.noop && (await handle.describe()).status.name === 'RUNNING') {
      await handle.signal(outreachRecordedSignal, {
        csmEmail: outcome.csmEmail, customerId, impactLevel: outcome.impactLevel, status: outcome.status, at,
      });
    }
    return outcome;
  }

  async state(handle: Handle): Promise<IncidentState> {
    return handle.query(stateQuery);
  }

  /** Polls the state query until `check` holds (the workflow works asynchronously after a signal). */
  async until(handle: Handle, what: string, check: (s: IncidentState) => boolean, timeoutMs = 20_000): Promise<IncidentState> {
    const deadline = Date.now() + timeoutMs;
    let last: IncidentState | undefined;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        last = await this.state(handle);
        if (check(last)) return last;
      } catch (err) {
        lastError = err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for: ${what}\nlast state: ${JSON.stringify(last)?.slice(0, 2000)}\nlast error: ${String(lastError)}`);
  }

  /** Polls until `check` holds on what the mocked activities saw (effects come after the state changes). */
  async eventually(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for: ${what}`);
  }

  /** Waits until the mock has seen `count` calls of an activity (for effects the state does not show). */
  async calls<K extends keyof IncidentActivities>(name: K, count: number, timeoutMs = 20_000): Promise<InputOf<K>[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const calls = this.mock.calls.filter((c) => c.name === name && c.endedAt !== undefined);
      if (calls.length >= count) return calls.map((c) => c.input as InputOf<K>);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${count} ${name} calls (saw ${this.mock.of(name).length})`);
  }

  /** Each run of each workflow this harness started, oldest first, as history JSON files. */
  private async recordHistories(dir: string, name: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    let n = 0;
    for (const [workflowId, chainStarts] of this.started) {
      for (const chainStart of chainStarts) {
        let runId: string | undefined = chainStart;
        while (runId) {
          const history = await this.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
          const file = path.join(dir, `${slug}-${++n}.json`);
          // The message's own toJSON (proto3 JSON: enum names, 64-bit ints as strings, bytes as base64);
          // historyToJSON trips over the client's protobufjs copy. historyFromJSON reads either.
          writeFileSync(file, `${JSON.stringify(history)}\n`);
          const last = history.events?.at(-1);
          runId = last?.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
            ? last.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined
            : undefined;
        }
      }
    }
  }
}

function assert(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

/** The rejection a validator or handler gave an update: its ApplicationFailure type and message. */
export async function rejection(p: Promise<unknown>): Promise<{ type: string | undefined | null; message: string }> {
  try {
    await p;
  } catch (err) {
    assert(err instanceof WorkflowUpdateFailedError, `expected an update failure, got ${String(err)}`);
    const cause = err.cause;
    assert(cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(cause)}`);
    return { type: cause.type, message: cause.message };
  }
  throw new Error('the update was accepted');
}
