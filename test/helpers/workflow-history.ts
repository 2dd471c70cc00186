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
