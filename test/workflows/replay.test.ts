/**
 * Replays histories recorded from real runs of the incident workflow tests against today's
 * workflow bundle (the one the worker runs, exporting both incident workflow types). A change that
 * would make a workflow issue different commands for the same history — and so break every
 * incident in flight when a worker is deployed — fails here with the non-determinism error.
 *
 * - histories/v1/: the first type (incidentWorkflow, workflows/incident-v1/), frozen while its
 *   incidents drain; they can no longer be recorded, so they are kept as they are.
 * - histories/v2/: the current type (incidentWorkflowV2), recorded with record-histories.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { WORKFLOW_TYPES } from '../../workflows/contract';
import { workflowBundle } from '../helpers/temporal';

const ROOT = path.join(__dirname, 'histories');

/** Each folder, the workflow type its histories must be of, and how many files it holds at least. */
const FOLDERS = [
  { dir: 'v1', type: WORKFLOW_TYPES.incidentV1, atLeast: 9 },
  { dir: 'v2', type: WORKFLOW_TYPES.incident, atLeast: 9 },
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
