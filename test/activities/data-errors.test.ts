/**
 * Postgres refusing the data (SQLSTATE class 22 or 23) is an IncidentDataError, never retried;
 * anything else (a lost connection) is left for Temporal to retry. Real errors from the test
 * database; then the incident problem the workflow records, on a real row.
 */
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'kysely';
import { createBatchActivities } from '../../activities/batches';
import { classifyActivityError, dataErrorCode, withDataErrors } from '../../activities/data-errors';
import { createProblemActivities } from '../../activities/problems';
import { createStoreActivities } from '../../activities/store';
import type { IncidentActivities } from '../../activities/types';
import { createDb } from '../../db/connect';
import { countIncidentProblems } from '../../db/incident-problems';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { incidentFixture } from '../helpers/impact-seed';

const TOTALS = { customers: 0, arrAtRisk: 0, businessImpact: 0, highImpact: 0 };

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => assert.fail('expected a failure'), (err: unknown) => err);
}

function assertDataError(err: unknown, activity: string, pgMessage: RegExp): ApplicationFailure {
  assert.ok(err instanceof ApplicationFailure, `an ApplicationFailure, got ${String(err)}`);
  assert.equal(err.type, 'IncidentDataError');
  assert.equal(err.nonRetryable, true);
  assert.ok(err.message.startsWith(`${activity}: Postgres refused the incident's data (SQLSTATE `), err.message);
  assert.match(err.message, pgMessage);
  return err;
}

describe('data errors', () => {
  let t: TestDb;
  const incident = incidentFixture();

  beforeEach(async () => { t = await createTestDb(); });
  afterEach(async () => { await t.close(); });
  after(async () => { await stopTestPostgres(); });

  test('a NUL in a text column, JSON Postgres cannot parse, a numeric overflow and a check violation are IncidentDataErrors', async () => {
    const nul = await failure(sql`insert into product_incidents (id, source, external_id, workflow_id, title, severity, status, started_at)
      values (gen_random_uuid(), 'pagerduty', 'X', 'incident:pagerduty:X', ${'bad \u0000 title'}, 'P1', 'investigating', now())`.execute(t.db));
    assert.equal(dataErrorCode(nul), '22021');
    assertDataError(classifyActivityError('recordIncident', nul), 'recordIncident', /invalid byte sequence for encoding "UTF8": 0x00/);

    const json = await failure(sql`select ${'{"title": "\\ud800"}'}::jsonb`.execute(t.db));
    assertDataError(classifyActivityError('sendCsmMessage', json), 'sendCsmMessage', /invalid input syntax for type json/);

    const overflow = await failure(sql`select ${'1e20'}::numeric(16, 2)`.execute(t.db));
    assertDataError(classifyActivityError('recordIncident', overflow), 'recordIncident', /numeric field overflow/);

    const check = await failure(sql`insert into product_incidents (id, source, external_id, workflow_id, title, severity, status, started_at)
      values (gen_random_uuid(), 'pagerduty', 'Y', 'incident:pagerduty:Y', 'Title', 'P9', 'investigating', now())`.execute(t.db));
    assert.equal(dataErrorCode(check), '23514');
    assertDataError(classifyActivityError('recordIncident', check), 'recordIncident', /violates check constraint/);

    // Found under a wrapper's cause too (the batch and Gmail activities keep it).
    const wrapped = new Error('1 CSM message(s) hit a temporary error', { cause: nul });
    assertDataError(classifyActivityError('sendCsmMessages', wrapped), 'sendCsmMessages', /0x00/);
  });

  test('a lost connection and the failures the activities choose are left as they are', async () => {
    const down = createDb('postgres://forewarn@127.0.0.1:1/nowhere', { max: 1, connectTimeoutMs: 2_000 });
    try {
      const refused = await failure(sql`select 1`.execute(down));
      assert.equal(dataErrorCode(refused), undefined);
      assert.equal(classifyActivityError('recordIncident', refused), refused, 'retried by Temporal as before');
    } finally {
      await down.destroy();
    }
    const conflict = ApplicationFailure.nonRetryable('already stored under id x', 'IncidentIdConflict');
    assert.equal(classifyActivityError('recordIncident', conflict), conflict);
    const plain = new Error('Slack answered 500');
    assert.equal(classifyActivityError('sendCsmMessage', plain), plain);
  });

  test('every wrapped activity fails for good on a data error and works as before otherwise', async () => {
    const store = withDataErrors(createStoreActivities({ db: t.db }));
    await store.recordIncident({ incident, totals: TOTALS, detectedAt: incident.startedAt });
    const err = await failure(store.recordTimeline({
      incidentId: incident.id, entries: [{ kind: 'note', summary: 'has a \u0000 in it', occurredAt: incident.startedAt, dedupeKey: 'note:1' }],
    }));
    assertDataError(err, 'recordTimeline', /0x00/);
    // The activity's own non-retryable failure keeps its type.
    const conflict = await failure(store.recordIncident({ incident: { ...incident, id: '99999999-9999-4999-8999-999999999999' }, totals: TOTALS, detectedAt: incident.startedAt }));
    assert.ok(conflict instanceof ApplicationFailure && conflict.type === 'IncidentIdConflict');
  });

  test('in a batch, the CSM whose data Postgres refuses gets a failed result; the others are served', async () => {
    const nul = await failure(sql`select ${'\u0000'}::text`.execute(t.db));
    const singles = {
      sendCsmMessage: async ({ csmEmail }: { csmEmail: string }) => {
        if (csmEmail === 'bad@corp.example') throw nul;
        return { status: 'sent' as const, sentAt: '2026-01-29T14:31:00.000Z' };
      },
      prepareCustomerEmails: async () => ({ done: 0, failed: 0 }),
    } as unknown as Pick<IncidentActivities, 'sendCsmMessage' | 'prepareCustomerEmails'>;
    const batch = createBatchActivities(singles);
    const results = await batch.sendCsmMessages({
      kind: 'alert', incident, totals: TOTALS, dashboardUrl: 'http://forewarn.test',
      recipients: [{ csmEmail: 'ok@corp.example', idempotencyKey: 'k1' }, { csmEmail: 'bad@corp.example', idempotencyKey: 'k2' }],
    });
    assert.equal(results[0]!.status, 'sent');
    assert.equal(results[1]!.status, 'failed');
    assert.match(results[1]!.dataError ?? '', /^sendCsmMessage: Postgres refused the incident's data \(SQLSTATE 22021\)/);
  });

  test('recordIncidentProblem stores a storable message once per count, creating the row when the incident has none', async () => {
    const { recordIncidentProblem } = createProblemActivities({ db: t.db });
    const bad = { ...incident, title: 'Bad \u0000 title \ud800' };
    const problem = { at: '2026-01-29T14:31:00.000Z', step: 'event delivery-1', message: 'recordIncident: Postgres refused ... 0x00 \u0000 \udc00' };
    await recordIncidentProblem({ incident: bad, problem, count: 1 });
    let row = await t.db.selectFrom('product_incidents').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.id, incident.id);
    assert.equal(row.title, 'Bad \ufffd title \ufffd');
    assert.equal(row.last_problem, 'recordIncident: Postgres refused ... 0x00 \ufffd \ufffd');
    assert.equal(row.last_problem_step, 'event delivery-1');
    assert.equal(row.last_problem_at?.toISOString(), problem.at);
    assert.equal(row.problem_count, 1);

    // A retry, or an older problem arriving late, changes nothing; a newer one replaces it.
    await recordIncidentProblem({ incident: bad, problem: { ...problem, message: 'again' }, count: 1 });
    row = await t.db.selectFrom('product_incidents').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.problem_count, 1);
    assert.equal(row.last_problem, 'recordIncident: Postgres refused ... 0x00 \ufffd \ufffd');
    await recordIncidentProblem({ incident, problem: { ...problem, at: '2026-01-29T15:00:00.000Z', step: 'deadline work', message: 'later' }, count: 3 });
    row = await t.db.selectFrom('product_incidents').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual([row.problem_count, row.last_problem, row.last_problem_step], [3, 'later', 'deadline work']);
    assert.equal(row.title, 'Bad \ufffd title \ufffd', 'an existing row is left as the workflow wrote it');

    assert.deepEqual(await countIncidentProblems(t.db), { open: 1, resolved: 0, problems: 3 });
  });
});
