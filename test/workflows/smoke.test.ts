import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { createTimeSkippingEnv, workflowBundle } from '../helpers/temporal';

test('time-skipping env runs the incident workflow', async () => {
  const env = await createTimeSkippingEnv();
  try {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'smoke', workflowBundle: await workflowBundle(), activities: {} });
    await worker.runUntil(async () => {
      const r = await env.client.workflow.execute('incidentWorkflow', { taskQueue: 'smoke', workflowId: 'smoke-1', args: [{ settings: {} }] });
      assert.equal(r, undefined);
    });
  } finally { await env.teardown(); }
});
