/**
 * Replays histories recorded from real runs of the incident workflow tests against today's
 * workflow bundle (the one the worker runs, exporting both incident workflow types). A change that
 * would make a workflow issue different commands for the same history — and so break every
 * incident in flight when a worker is deployed — fails here with the non-determinism error.
 *
 * - histories/v1/: the first type (incidentWorkflow, workflows/incident-v1/), frozen while its
 *   incidents drain; they can no longer be recorded, so they are kept as they are.
 * - histories/v2/: the current type (incidentWorkflowV2), recorded with record-histories.ts.
 *
 * A path no history takes is not checked at all, so the newer paths of the current type (each behind
 * its patch) must each have a recorded history: re-recording that drops one fails here.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { absorbIncidentSignal, detachSourceSignal, dismissUpdate, mergeIntoSignal, WORKFLOW_TYPES } from '../../workflows/contract';
import { workflowBundle } from '../helpers/temporal';

const ROOT = path.join(__dirname, 'histories');

/** Each folder, the workflow type its histories must be of, and how many files it holds at least. */
const FOLDERS = [
  { dir: 'v1', type: WORKFLOW_TYPES.incidentV1, atLeast: 9 },
  { dir: 'v2', type: WORKFLOW_TYPES.incident, atLeast: 25 },
] as const;

describe('recorded incident histories replay deterministically', () => {
  for (const { dir, type, atLeast } of FOLDERS) {
    test(`${dir}: ${type}`, async () => {
      const full = path.join(ROOT, dir);
      const files = readdirSync(full).filter((f) => f.endsWith('.json')).sort();
      assert.ok(files.length >= atLeast, `expected at least ${atLeast} recorded histories in ${full}, found ${files.length}`);
      const histories = files.map((file) => ({
        workflowId: file,
        // The generated message type reads the proto3 JSON the recorder wrote (historyFromJSON would too,
        // but it trips over the second protobufjs copy in this install).
        history: temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path.join(full, file), 'utf8'))),
      }));
      for (const { workflowId, history } of histories) {
        assert.equal(history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name, type, `${workflowId} is a ${type} history`);
      }
      const failures: string[] = [];
      let replayed = 0;
      for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), replayName: `incident-replay-${dir}` }, histories)) {
        replayed += 1;
        if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
      }
      assert.equal(replayed, files.length);
      assert.deepEqual(failures, []);
    });
  }
});

/** What a recorded history (proto3 JSON, payloads base64) shows of the path its run took. */
interface Taken { patches: string[]; signals: string[]; updates: string[]; activityInputs: string[] }

function taken(file: string): Taken {
  const events: Record<string, { [key: string]: unknown }>[] = JSON.parse(readFileSync(file, 'utf8')).events;
  const text = (data?: string) => (data ? Buffer.from(data, 'base64').toString('utf8') : '');
  const t: Taken = { patches: [], signals: [], updates: [], activityInputs: [] };
  for (const e of events) {
    const marker = e.markerRecordedEventAttributes as { markerName?: string; details?: { 'patch-data'?: { payloads?: { data?: string }[] } } } | undefined;
    if (marker?.markerName === 'core_patch') t.patches.push(JSON.parse(text(marker.details?.['patch-data']?.payloads?.[0]?.data)).id);
    const signal = e.workflowExecutionSignaledEventAttributes as { signalName?: string } | undefined;
    if (signal?.signalName) t.signals.push(signal.signalName);
    const update = e.workflowExecutionUpdateAcceptedEventAttributes as { acceptedRequest?: { input?: { name?: string } } } | undefined;
    if (update?.acceptedRequest?.input?.name) t.updates.push(update.acceptedRequest.input.name);
    const activity = e.activityTaskScheduledEventAttributes as { input?: { payloads?: { data?: string }[] } } | undefined;
    for (const p of activity?.input?.payloads ?? []) t.activityInputs.push(text(p.data));
  }
  return t;
}

/** The newer paths of incidentWorkflowV2, each behind its patch (the ids are frozen in the workflow code), and how a history shows it. */
const V2_PATHS: { path: string; shows: (t: Taken) => boolean }[] = [
  { path: 'a finished incident reopened by a late event (patch reopen-after-completion)', shows: (t) => t.patches.includes('reopen-after-completion') },
  { path: 'a suspected incident dismissed by a person (patch suspected-incidents, dismiss update)',
    shows: (t) => t.patches.includes('suspected-incidents') && t.updates.includes(dismissUpdate.name) },
  { path: 'a suspected incident closed after its quiet period (patch suspected-incidents)',
    shows: (t) => t.patches.includes('suspected-incidents') && t.activityInputs.some((i) => i.includes('Closed as a false alarm')) },
  { path: 'an incident of several sources (patch multi-source-incident)', shows: (t) => t.patches.includes('multi-source-incident') },
  { path: 'merged into another incident', shows: (t) => t.signals.includes(mergeIntoSignal.name) },
  { path: 'absorbing a merged incident', shows: (t) => t.signals.includes(absorbIncidentSignal.name) },
  { path: 'a source split out', shows: (t) => t.signals.includes(detachSourceSignal.name) },
];

test('v2: every newer path of the incident workflow has a recorded history', () => {
  const full = path.join(ROOT, 'v2');
  const histories = readdirSync(full).filter((f) => f.endsWith('.json')).map((f) => taken(path.join(full, f)));
  assert.deepEqual(V2_PATHS.filter(({ shows }) => !histories.some(shows)).map(({ path: p }) => p), [], 'paths without a recorded history');
});
