/**
 * One long-lived workflow per product incident (id `incident:<source>:<external id>`), started
 * or fed with `signalWithStart(incidentEvent)`. It reads like the product's workflow definition:
 *
 *   first event → record → analyze impact → alert each affected CSM (only their customers)
 *     → P1/P2 war room → outreach drafts for high-impact customers
 *   every later event → timeline → re-analyze if components/regions/severity changed
 *     → first alert for newly affected CSMs, the change in the thread for the others
 *   deadlines → escalate silent CSMs (P1/P2) → remind when a P1 has no public update
 *   resolved → resolution DMs and emails → follow-ups (24 h) → post-mortem reminder (3 days) → done
 *   reopened → follow-ups cancelled, back to following the incident
 *
 * The main loop waits on a condition (new event, a handler moving a deadline, or the next
 * deadline's timer): no polling. It continues as new when Temporal suggests it, carrying the
 * state and any event not yet applied.
 *
 * Postgres refusing the incident's data (an IncidentDataError) never fails or stalls the incident:
 * the event or deadline work that hit it is skipped and recorded as a problem on the incident
 * (incident-problems.ts), and the loop carries on.
 *
 * Every affected customer lives in Postgres (incident_customer_impact): the state holds per-CSM
 * summaries and totals only, so an incident of any size fits (domain/incident/model.ts). Incidents
 * started before this (type `incidentWorkflow`) drain on workflows/incident-v1/.
 */
import { allHandlersFinished, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import type { IncidentEvent } from '../domain/types';
import type { IncidentWorkflowInput } from './contract';
import { store } from './incident-activities';
import { registerHandlers } from './incident-handlers';
import { nextDeadline, runDueWork } from './incident-lifecycle';
import { skipOnDataError } from './incident-problems';
import { IncidentRun } from './incident-run';
import { runCommand } from './incident-merge';
import { handleEvent } from './incident-steps';
import { dismiss, dismissRefusal } from './incident-suspected';

/** Marks runs that reopen a finished incident from Postgres (input `reopen`, only ever set on new runs). */
const REOPEN_PATCH = 'reopen-after-completion';

/** Deadline work Postgres refused is tried again after this long, not in a tight loop (it normally marks itself done first). */
const DUE_WORK_RETRY_MS = 60_000;

/**
 * One event; one whose data Postgres refuses is skipped and recorded on the incident
 * (incident-problems.ts). When that was the first event, the next one starts the incident afresh.
 */
async function apply(run: IncidentRun, event: IncidentEvent): Promise<void> {
  const starting = !run.state;
  const applied = await skipOnDataError(run, `event ${event.deliveryId}`, () => handleEvent(run, event));
  if (!applied && starting) run.abandonStart();
}

/** A person's dismissal waiting for the main loop (the `dismiss` update waits for its outcome). */
function dismissalPending(run: IncidentRun): boolean {
  return run.dismissal !== undefined && run.dismissal.told === undefined && run.dismissal.refused === undefined;
}

/** Dismisses as the person asked, unless an event applied meanwhile made it no longer possible (confirmed, resolved). */
async function dismissAsAsked(run: IncidentRun): Promise<void> {
  const d = run.dismissal!;
  const refusal = dismissRefusal(run);
  if (refusal) {
    d.refused = refusal;
    return;
  }
  await skipOnDataError(run, 'dismissal', async () => { d.told = await dismiss(run, d); });
  d.told ??= 0;
}

export async function incidentWorkflowV2(input: IncidentWorkflowInput): Promise<void> {
  const run = new IncidentRun(input);
  registerHandlers(run);
  if (run.state) run.upsertSearch();
  else {
    await condition(() => run.inbox.length > 0);
    // A late event reopened the finished incident: this run continues it from Postgres (same record, same CSMs' threads).
    // Its first event is applied at once: it reopens the incident, or (older than its end) changes nothing and the run ends.
    if (input.reopen && patched(REOPEN_PATCH)) {
      run.state = await store.restoreIncident({ workflowId: workflowInfo().workflowId, now: run.now() }) ?? undefined;
      if (run.state) await apply(run, run.inbox.shift()!);
    }
  }

  for (;;) {
    // Merges and splits first: events after them go where they now belong.
    while (run.state && run.commands.length > 0 && run.s.phase !== 'completed') {
      await skipOnDataError(run, 'merge or split', () => runCommand(run, run.commands.shift()!));
    }
    if (run.state?.phase === 'completed') break;
    // A storm of events is applied across runs: the rest of the inbox travels with continue-as-new.
    while (run.inbox.length > 0 && (!run.state || !run.shouldContinueAsNew())) await apply(run, run.inbox.shift()!);
    if (!run.state) {
      // The first event could not be applied: the incident starts with the next one.
      await condition(() => run.inbox.length > 0);
      continue;
    }
    if (dismissalPending(run)) await dismissAsAsked(run);
    const dueWorkDone = run.s.phase === 'completed' || run.shouldContinueAsNew() || await skipOnDataError(run, 'deadline work', () => runDueWork(run));
    const s = run.s;
    if (s.phase === 'completed') break;

    if (run.shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof incidentWorkflowV2>({
        settings: run.settings,
        ...(run.opens ? { opens: run.opens } : {}),
        carried: { ...s, continuedAsNew: (s.continuedAsNew ?? 0) + 1 },
        pending: [...run.inbox],
        continueAsNewAtHistoryLength: run.historyLimit,
      });
    }

    run.wake = false;
    const due = nextDeadline(s);
    const ready = () => run.inbox.length > 0 || run.commands.length > 0 || run.wake || run.shouldContinueAsNew() || dismissalPending(run);
    if (due === undefined) await condition(ready);
    else if (due > Date.now()) await condition(ready, due - Date.now());
    else if (!dueWorkDone) await condition(ready, DUE_WORK_RETRY_MS);
  }
  await condition(allHandlersFinished);
}
