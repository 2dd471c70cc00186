/**
 * The outreach-tracking schedule on a Temporal dev server: created only with a Google key (and removed
 * when tracking is switched off), every GMAIL_TRACK_SECONDS with overlap SKIP; a tick runs the small
 * workflow, whose activity reads the fake Gmail and moves a sent draft's outreach to sent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createGmailActivities } from '../../activities/gmail';
import { createOutreachTrackingActivities } from '../../activities/outreach-tracking';
import { loadConfig, type Config } from '../../config';
import { changeOutreach } from '../../db/outreach';
import { ensureOutreachTrackingSchedule } from '../../worker/schedules';
import { OUTREACH_TRACKING_SCHEDULE_ID } from '../../workflows/contract';
import { seedBase, seedIncident } from '../api/support/seed';
import { FakeGmail } from '../fakes/gmail';
import { createTestDb, type TestDb } from '../helpers/db';
import { exampleIncident } from '../helpers/incident';
import { createDevServerEnv } from '../helpers/temporal';
import { waitThroughErrors } from '../helpers/wait-for';

const TASK_QUEUE = 'outreach-tracking-test';
const INCIDENT = '7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918';

describe('outreach-tracking schedule', () => {
  let t: TestDb;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let google: FakeGmail;
  let config: Config;
  let schedule: ScheduleHandle;

  before(async () => {
    let bundle: WorkflowBundleWithSourceMap;
    [t, env, bundle, google] = await Promise.all([
      createTestDb(),
      createDevServerEnv(),
      bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/outreach-tracking.workflow'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } }),
      FakeGmail.start(),
    ]);
    config = loadConfig({
      GOOGLE_SERVICE_ACCOUNT_KEY_FILE: google.writeServiceAccountKey(), GMAIL_API_ROOT_URL: google.rootUrl, GOOGLE_TOKEN_URL: google.tokenUrl,
      GMAIL_TRACK_SECONDS: '10', TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    });
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: bundle,
      activities: createOutreachTrackingActivities({ config, db: t.db, temporal: env.client }),
    });
    running = worker.run();
  });
  after(async () => {
    await schedule?.delete().catch(() => {});
    worker?.shutdown();
    await running?.catch(() => {});
    await Promise.allSettled([env?.teardown(), t?.close(), google?.close()]);
  });

  test('created with a Google key, every GMAIL_TRACK_SECONDS, overlap skip; idempotent', async () => {
    assert.equal(await ensureOutreachTrackingSchedule(env.client, loadConfig({ TEMPORAL_TASK_QUEUE: TASK_QUEUE })), 'not_configured');
    assert.equal(await ensureOutreachTrackingSchedule(env.client, config), 'created');
    assert.equal(await ensureOutreachTrackingSchedule(env.client, config), 'unchanged');
    schedule = env.client.schedule.getHandle(OUTREACH_TRACKING_SCHEDULE_ID);
    const d = await schedule.describe();
    assert.deepEqual(d.spec.intervals?.map((i) => i.every), [10_000]);
    assert.equal(d.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.equal(d.action.type === 'startWorkflow' && d.action.workflowType, 'outreachTrackingWorkflow');
  });

  test('a tick notices the draft the CSM sent from Gmail', async () => {
    const s = await seedBase(t.db);
    await seedIncident(t.db, { id: INCIDENT, externalId: 'API-1', impacts: [[s.customer.techcorp, 'high', 1, 'pending']] });
    const [drafted] = await createGmailActivities({ config, db: t.db }).draftCustomerEmails({
      idempotencyPrefix: 'incident:pagerduty:API-1:outreach:1', kind: 'outreach', send: false, incident: exampleIncident({ id: INCIDENT }),
      csm: { email: 'ana@corp.example', name: 'Ana Ruiz' },
      customers: [{
        id: s.customer.techcorp, externalId: 'acct-001', name: 'TechCorp', arr: 1, segment: 'enterprise', region: 'us-east', csmEmail: 'ana@corp.example',
        contactName: 'Sam Lee', contactEmail: 'sam@techcorp.example', impactLevel: 'high', reason: 'uses the API', componentNames: ['API Gateway'],
        businessImpact: 1, priorityRank: 1, outreachStatus: 'pending', stillAffected: true,
      }],
    });
    assert.equal(drafted!.status, 'drafted');
    await changeOutreach(t.db, { incidentId: INCIDENT, customerId: s.customer.techcorp, status: 'drafted', actor: 'forewarn', at: new Date().toISOString() });
    google.sendDraft(google.drafts[0]!.id);
    await schedule.trigger();
    const status = await waitThroughErrors('outreach moved by the scheduled run', async () => {
      const row = await t.db.selectFrom('incident_customer_impact').select('outreach_status').where('incident_id', '=', INCIDENT).executeTakeFirstOrThrow();
      return row.outreach_status === 'sent' && row.outreach_status;
    }, 30_000);
    assert.equal(status, 'sent');
  });

  test('switched off at the next worker start: the schedule is removed', async () => {
    const off = { ...config, outreachTracking: { ...config.outreachTracking, enabled: false } };
    assert.equal(await ensureOutreachTrackingSchedule(env.client, off), 'removed');
    await assert.rejects(env.client.schedule.getHandle(OUTREACH_TRACKING_SCHEDULE_ID).describe(), ScheduleNotFoundError);
  });
});
