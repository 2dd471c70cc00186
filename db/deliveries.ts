/**
 * The one path that forwards a delivery, whoever received it (a webhook route, the support route, the
 * status-page sync): record it → claim it → signalWithStart each workflow it names → mark it.
 *
 * A delivery id signals its workflows at most once, even when the same delivery is in flight twice
 * (a sender retrying while the first attempt still waits on a frozen database): the row is claimed
 * with one conditional statement ('received' or 'failed' → 'forwarding'), and only the claimant
 * signals. A claim left behind by a process that died is taken over once it is stale. A caller that
 * passes a deadline (the sender's own timeout) never signals after it: a request whose client gave
 * up is released as failed, and the sender's retry forwards it.
 *
 * An event for an incident that has just been merged into another (routed a moment before the merge
 * moved its routes) follows the merge: it goes to the incident that absorbed it, as a retry would.
 *
 * The Temporal client is passed in; this module needs only its signalWithStart.
 */
import { sql, type Kysely } from 'kysely';
import type { Client } from '@temporalio/client';
import type { Database } from './types';

export type DeliveryStatus = 'received' | 'forwarding' | 'forwarded' | 'ignored' | 'failed';

/** A claim older than this belongs to a process that died mid-forward: another attempt may take it. */
export const STALE_CLAIM_SECONDS = 30;

export interface DeliveryRecord {
  source: string;
  deliveryId: string;
  rawBody: string;
  headers?: Record<string, unknown>;
}

/** One signalWithStart: the workflow type and its options (workflow id, task queue, args, signal, signal args). */
export interface WorkflowStart {
  workflowType: string;
  options: Parameters<Client['workflow']['signalWithStart']>[1] & { workflowId: string };
  /** When the workflow has finished (the start was refused): signalWithStart with these instead (a reopening event). */
  whenClosed?: Parameters<Client['workflow']['signalWithStart']>[1] & { workflowId: string };
}

export interface DeliveryDeps {
  db: Kysely<Database>;
  temporal: Pick<Client, 'workflow' | 'connection'>;
  log?: { info: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void };
  /** Receives a Temporal call given up at the deadline but still settling (the client retries inside), so a
   *  server can wait for it before closing its connection. */
  track?: (call: Promise<unknown>) => void;
}

export interface ForwardOptions {
  /** Epoch ms: nothing is signalled after it, and each signal must finish before it. */
  deadline?: number;
  /** With no workflow to signal: why the delivery is recorded but not applied. */
  ignoredReason?: string;
}

export type ForwardStatus = 'forwarded' | 'ignored' | 'duplicate' | 'in_flight';

export interface ForwardResult {
  /** forwarded: signalled now; ignored: recorded, nothing to signal; duplicate: forwarded or ignored before;
   *  in_flight: another attempt holds the claim right now (the sender should retry). */
  status: ForwardStatus;
  workflowIds: string[];
  /** Workflows that had already finished: the event was recorded but not applied. */
  closed: string[];
  /** Workflows that had finished and that the event reopened (a new run of the same workflow id). */
  reopened?: string[];
}

/** Temporal could not be reached (or the deadline passed): the delivery is on record as failed, to be retried. */
export class DeliveryUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeliveryUnavailableError';
  }
}

/**
 * Records the delivery (raw body kept) and claims it for this attempt. True when this attempt owns it;
 * otherwise the status the row holds.
 */
export async function claimDelivery(db: Kysely<Database>, delivery: DeliveryRecord): Promise<true | { status: string; workflowIds: string[] }> {
  const inserted = await db.insertInto('webhook_deliveries')
    .values({
      source: delivery.source,
      delivery_id: delivery.deliveryId,
      raw_body: delivery.rawBody,
      headers: JSON.stringify(delivery.headers ?? {}),
      status: 'forwarding',
      claimed_at: sql`now()`,
    })
    .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return true;
  // One statement decides between concurrent attempts: only one sees its update succeed.
  const claimed = await db.updateTable('webhook_deliveries')
    .set({ status: 'forwarding', claimed_at: sql`now()`, error: null })
    .where('source', '=', delivery.source).where('delivery_id', '=', delivery.deliveryId)
    .where((eb) => eb.or([
      eb('status', 'in', ['received', 'failed']),
      eb.and([eb('status', '=', 'forwarding'), sql<boolean>`claimed_at < now() - make_interval(secs => ${STALE_CLAIM_SECONDS})`]),
    ]))
    .returning('id')
    .executeTakeFirst();
  if (claimed) return true;
  const existing = await db.selectFrom('webhook_deliveries').select(['status', 'workflow_id'])
    .where('source', '=', delivery.source).where('delivery_id', '=', delivery.deliveryId).executeTakeFirst();
  return { status: existing?.status ?? 'forwarding', workflowIds: existing?.workflow_id ? existing.workflow_id.split(',') : [] };
}

async function mark(db: Kysely<Database>, delivery: DeliveryRecord, set: { status: DeliveryStatus; workflow_id?: string | null; error?: string | null }): Promise<void> {
  await db.updateTable('webhook_deliveries')
    .set({ ...set, processed_at: new Date() })
    .where('source', '=', delivery.source).where('delivery_id', '=', delivery.deliveryId)
    .execute();
}

/**
 * The gRPC deadline bounds each attempt, and the abort signal stops the client's own retries, but the
 * client may still take a moment to give up: the attempt counts as failed at the deadline either way.
 */
async function byDeadline<T>(call: Promise<T>, deadline: number, track?: (call: Promise<unknown>) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      track?.(call);
      reject(new DeliveryUnavailableError('The workflow engine did not answer before the deadline.'));
    }, Math.max(0, deadline - Date.now()));
  });
  call.catch(() => {});
  try {
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
  }
}

function isAlreadyStarted(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'WorkflowExecutionAlreadyStartedError';
}

/** Merges followed at most, in case of a cycle in bad data. */
const MERGE_HOPS = 5;

/** The incident a finished one was merged into (product_incidents.merged_into), if it was. */
async function mergedInto(db: Kysely<Database>, workflowId: string): Promise<string | undefined> {
  const row = await db.selectFrom('product_incidents').select('merged_into').where('workflow_id', '=', workflowId).executeTakeFirst();
  return row?.merged_into ?? undefined;
}

/**
 * What to signal: the starts, or a function that decides them once this attempt owns the delivery (incident
 * events are routed then, db/incident-routing.ts, so a duplicate delivery routes nothing).
 */
export type WorkflowStarts = WorkflowStart[] | (() => Promise<WorkflowStart[]>);

/**
 * Record → claim → (route) → signalWithStart each start → mark. Throws DeliveryUnavailableError (after marking the
 * delivery failed) when Temporal cannot be reached or the deadline has passed; database errors propagate.
 */
export async function forwardDelivery(
  deps: DeliveryDeps, delivery: DeliveryRecord, wanted: WorkflowStarts, opts: ForwardOptions = {},
): Promise<ForwardResult> {
  const claim = await claimDelivery(deps.db, delivery);
  if (claim !== true) {
    if (claim.status === 'forwarded' || claim.status === 'ignored') {
      deps.log?.info({ source: delivery.source, deliveryId: delivery.deliveryId }, 'duplicate delivery ignored');
      return { status: 'duplicate', workflowIds: claim.workflowIds, closed: [] };
    }
    deps.log?.info({ source: delivery.source, deliveryId: delivery.deliveryId }, 'delivery already being forwarded by another attempt');
    return { status: 'in_flight', workflowIds: [], closed: [] };
  }
  let starts: WorkflowStart[];
  try {
    starts = typeof wanted === 'function' ? await wanted() : wanted;
  } catch (err) {
    // The claim is released for the sender's retry.
    await mark(deps.db, delivery, { status: 'failed', error: String(err) }).catch(() => {});
    throw err;
  }
  if (starts.length === 0) {
    await mark(deps.db, delivery, { status: 'ignored', workflow_id: null, error: opts.ignoredReason ?? null });
    return { status: 'ignored', workflowIds: [], closed: [] };
  }
  const workflowIds: string[] = [];
  const closed: string[] = [];
  const reopened: string[] = [];
  /** Signals the incident a finished one was merged into (and so on); the one that took it, or undefined. */
  const followMerges = async (workflowId: string, send: (into: string) => Promise<void>): Promise<string | undefined> => {
    let from = workflowId;
    for (let hop = 0; hop < MERGE_HOPS; hop++) {
      const into = await mergedInto(deps.db, from);
      if (!into) return undefined;
      try {
        await send(into);
        return into;
      } catch (err) {
        if (!isAlreadyStarted(err)) throw err;
        from = into;
      }
    }
    return undefined;
  };
  try {
    const signal = async (workflowType: string, options: WorkflowStart['options']) => {
      const call = () => deps.temporal.workflow.signalWithStart(workflowType, options);
      const { deadline } = opts;
      await (deadline !== undefined
        ? byDeadline(deps.temporal.connection.withAbortSignal(AbortSignal.timeout(Math.max(1, Math.ceil(deadline - Date.now()))),
          () => deps.temporal.connection.withDeadline(deadline, call)), deadline, deps.track)
        : call());
    };
    for (const { workflowType, options, whenClosed } of starts) {
      const { workflowId } = options;
      // The sender gave up (a database that answered too late): signalling now could apply the event
      // twice once its retry arrives. Leave it to the retry.
      if (opts.deadline !== undefined && Date.now() >= opts.deadline) {
        throw new DeliveryUnavailableError('The deadline passed before the delivery could be forwarded.');
      }
      workflowIds.push(workflowId);
      try {
        await signal(workflowType, options);
      } catch (err) {
        if (!isAlreadyStarted(err)) throw err;
        const followed = await followMerges(workflowId, (into) => signal(workflowType, { ...options, workflowId: into }));
        if (followed) {
          workflowIds[workflowIds.length - 1] = followed;
          deps.log?.info({ workflowId, into: followed, deliveryId: delivery.deliveryId }, 'delivery for a merged incident forwarded to the incident it joined');
          continue;
        }
        if (whenClosed) {
          // A reopening event: a new run of the same workflow id restores the incident (workflows/incident-reopen.ts).
          await signal(workflowType, whenClosed);
          reopened.push(workflowId);
          deps.log?.info({ workflowId, deliveryId: delivery.deliveryId }, 'finished incident reopened by a late event');
          continue;
        }
        closed.push(workflowId);
        deps.log?.info({ workflowId, deliveryId: delivery.deliveryId }, 'workflow already finished; late event recorded, not applied');
        continue;
      }
      deps.log?.info({ workflowId, source: delivery.source, deliveryId: delivery.deliveryId }, 'delivery forwarded');
    }
  } catch (err) {
    deps.log?.warn({ err, source: delivery.source, deliveryId: delivery.deliveryId }, 'delivery not forwarded; kept for the retry');
    await mark(deps.db, delivery, { status: 'failed', error: String(err) });
    throw err instanceof DeliveryUnavailableError ? err
      : new DeliveryUnavailableError('The workflow engine could not be reached.', { cause: err });
  }
  const applied = starts.length > closed.length;
  await mark(deps.db, delivery, {
    status: applied ? 'forwarded' : 'ignored',
    workflow_id: workflowIds.join(','),
    error: closed.length ? `already finished: ${closed.join(', ')}` : null,
  });
  return { status: applied ? 'forwarded' : 'ignored', workflowIds, closed, ...(reopened.length ? { reopened } : {}) };
}
