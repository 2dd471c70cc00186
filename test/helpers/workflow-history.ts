import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, WorkflowNotFoundError } from '@temporalio/common';

export interface RecordedSignal { name: string; args: unknown[] }

/** What a workflow was started with and every signal it received, read from the history of its latest run. */
export async function workflowInbox(client: Client, workflowId: string): Promise<{ input: unknown[]; signals: RecordedSignal[] } | null> {
  let history;
  try {
    history = await client.workflow.getHandle(workflowId).fetchHistory();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const decode = (payloads: unknown[] | null | undefined) =>
    (payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p as Parameters<typeof defaultPayloadConverter.fromPayload>[0]));
  let input: unknown[] = [];
  const signals: RecordedSignal[] = [];
  for (const e of history.events ?? []) {
    if (e.workflowExecutionStartedEventAttributes) input = decode(e.workflowExecutionStartedEventAttributes.input?.payloads);
    const s = e.workflowExecutionSignaledEventAttributes;
    if (s) signals.push({ name: s.signalName ?? '', args: decode(s.input?.payloads) });
  }
  return { input, signals };
}

/** Polls `check` until it returns a value (not undefined/false) or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
