/**
 * Replays histories recorded from real runs of the incident workflow tests
 * (test/workflows/record-histories.ts) against today's workflow code. A change that would make the
 * workflow issue different commands for the same history — and so break every incident in flight
 * when a worker is deployed — fails here with the non-determinism error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/temporal';

const DIR = path.join(__dirname, 'histories');

test('every recorded incident history replays deterministically', async () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 9, `expected the recorded histories in ${DIR}, found ${files.length}`);
  const histories = files.map((file) => ({
    workflowId: file,
    // The generated message type reads the proto3 JSON the recorder wrote (historyFromJSON would too,
    // but it trips over the second protobufjs copy in this install).
    history: temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path.join(DIR, file), 'utf8'))),
  }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), replayName: 'incident-replay' }, histories)) {
    replayed += 1;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
  }
  assert.equal(replayed, files.length);
  assert.deepEqual(failures, []);
});
