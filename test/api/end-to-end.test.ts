/**
 * The whole path, nothing mocked but Slack (a local fake spoken to by the real @slack/web-api client):
 * signed PagerDuty webhooks into the real API, the real incident workflow on a worker against the
 * Temporal dev server, the real activities on embedded Postgres.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import type { FakeSlack } from '../fakes/slack';
import type { TestDb } from '../helpers/db';
import { startStack, type Stack } from '../helpers/stack';
import { stateQuery } from '../../workflows/contract';
import { PD_SECRETS, pagerdutySignature, slackHeaders, testEnv } from './support/harness';
import { waitThroughErrors } from '../helpers/wait-for';
import { seedBase, type Seed } from './support/seed';

const raw = (name: string) => readFileSync(path.join(__dirname, '../fixtures/pagerduty', `${name}.json`), 'utf8');
const ANA = 'UA8RXUSPL';
const BEN = 'UBEN00001';

describe('PagerDuty → API → incident workflow → Slack DMs', () => {
  let env: TestWorkflowEnvironment;
  let t: TestDb;
  let slack: FakeSlack;
  let app: FastifyInstance;
  let stack: Stack<'slack'>;
  let s: Seed;

  before(async () => {
    stack = await startStack({
      slack: { users: [
        { id: ANA, email: 'ana@corp.example', name: 'Ana Ruiz', tz: 'America/New_York' },
        { id: BEN, email: 'ben@corp.example', name: 'Ben Okafor' },
        { id: 'ULEE00001', email: 'lee@corp.example', name: 'Lee Park' },
      ] },
      seed: async (db) => {
        s = await seedBase(db);
        await db.insertInto('customer_components').values([
          { customer_id: s.customer.techcorp, component_id: s.component.api, usage_level: 'heavy', integration_dependent: true },
          { customer_id: s.customer.globalinc, component_id: s.component.api, usage_level: 'moderate' },
          { customer_id: s.customer.smallbiz, component_id: s.component.api, usage_level: 'light' },
          { customer_id: s.customer.dataflow, component_id: s.component.pipeline, usage_level: 'heavy' },
        ]).execute();
      },
      config: testEnv({}, 'e2e'),
    });
    ({ env, testDb: t, slack, app } = stack);
  });
  after(async () => {
    await stack?.stop();
  });

  const deliver = (name: string) => {
    const body = raw(name);
    return app.inject({ method: 'POST', url: '/api/webhooks/pagerduty', payload: body,
      headers: { 'content-type': 'application/json', 'x-pagerduty-signature': pagerdutySignature(body, [PD_SECRETS[0]]) } });
  };
  const text = (m: { text: string; blocks: unknown[] }) => `${m.text}\n${JSON.stringify(m.blocks)}`;

  test('incident.triggered for a mapped service: one DM per affected CSM, listing only their customers', async () => {
    const res = await deliver('incident.triggered');
    assert.equal(res.statusCode, 202, res.body);
    const [anaDm] = await waitThroughErrors('Ana\'s alert', async () => (slack.dmsTo(ANA).length ? slack.dmsTo(ANA) : undefined), 60_000);
    const [benDm] = await waitThroughErrors('Ben\'s alert', async () => (slack.dmsTo(BEN).length ? slack.dmsTo(BEN) : undefined), 60_000);
    assert.match(text(anaDm), /TechCorp/);
    assert.match(text(anaDm), /SmallBiz/);
    assert.doesNotMatch(text(anaDm), /GlobalInc|DataFlow/, 'DataFlow uses only the pipeline; GlobalInc is Ben\'s');
    assert.match(text(benDm), /GlobalInc/);
    assert.doesNotMatch(text(benDm), /TechCorp|SmallBiz/);
    assert.ok(text(anaDm).indexOf('TechCorp') < text(anaDm).indexOf('SmallBiz'), 'highest impact first');

    const incident = await waitThroughErrors('the incident recorded', async () => t.db.selectFrom('product_incidents').selectAll().where('workflow_id', '=', 'incident:pagerduty:PGR0VU2').executeTakeFirst(), 30_000);
    assert.equal(incident.severity, 'P1');
    assert.deepEqual(incident.affected_components, ['api-gateway']);
    const customers = (await app.inject({ method: 'GET', url: `/api/incidents/${incident.id}/customers`, headers: { authorization: 'Bearer test-api-token-0123456789' } })).json();
    assert.deepEqual(customers.affectedCustomers.map((c: { customer: { name: string } }) => c.customer.name), ['TechCorp', 'GlobalInc', 'SmallBiz']);
    assert.equal(customers.totalARRAtRisk, 875000);
  });

  test('the same delivery again changes nothing: no second DM', async () => {
    const again = await deliver('incident.triggered');
    assert.equal(again.statusCode, 202);
    assert.equal(again.json().status, 'duplicate');
    assert.ok(again.json().incidentId, 'the incident is recorded by now');
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(slack.dmsTo(ANA).length, 1);
    assert.equal(slack.dmsTo(BEN).length, 1);
  });

  test('outreach through the REST API meets the real workflow\'s rules', async () => {
    const incident = await t.db.selectFrom('product_incidents').select('id').where('workflow_id', '=', 'incident:pagerduty:PGR0VU2').executeTakeFirstOrThrow();
    const outreach = (customerId: string, status: string) => app.inject({
      method: 'POST', url: `/api/incidents/${incident.id}/customers/${customerId}/outreach`,
      headers: { authorization: 'Bearer test-api-token-0123456789' }, payload: { status, actor: 'ana@corp.example' },
    });
    const sent = await outreach(s.customer.techcorp, 'sent');
    assert.equal(sent.statusCode, 200, sent.body);
    assert.equal(sent.json().status, 'sent');
    const skipped = await outreach(s.customer.smallbiz, 'responded');
    assert.equal(skipped.statusCode, 409, skipped.body);
    assert.equal(skipped.json().title, 'Invalid transition');
    const stranger = await outreach(s.customer.dataflow, 'sent');
    assert.equal(stranger.statusCode, 404, stranger.body);
    assert.match(stranger.json().detail, new RegExp(s.customer.dataflow));
    const row = await t.db.selectFrom('incident_customer_impact').select('outreach_status').where('incident_id', '=', incident.id).where('customer_id', '=', s.customer.techcorp).executeTakeFirstOrThrow();
    assert.equal(row.outreach_status, 'sent', 'persisted before the update answered');
  });

  test("the alert's own Acknowledge button, clicked in Slack, reaches the workflow", async () => {
    const [alert] = slack.dmsTo(ANA);
    const elements = (alert.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[])
      .filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
    const button = elements.find((e) => e.action_id === 'forewarn:acknowledge');
    assert.ok(button?.value, 'the alert carries an Acknowledge button');
    const { action_id, value } = button as { action_id: string; value: string };
    const payload = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/slack/block-actions.json'), 'utf8'));
    payload.user.id = ANA;
    payload.actions[0] = { ...payload.actions[0], action_id, value };
    payload.message = { text: alert.text, blocks: alert.blocks };
    delete payload.response_url;
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const res = await app.inject({ method: 'POST', url: '/api/slack/interactions', payload: body, headers: slackHeaders(body) });
    assert.equal(res.statusCode, 200);
    const state = await waitThroughErrors('Ana\'s acknowledgement in the workflow', async () => {
      const st = await env.client.workflow.getHandle(value).query(stateQuery);
      return st.csms.find((c) => c.email === 'ana@corp.example')?.acknowledgedAt ? st : undefined;
    }, 30_000);
    assert.equal(state.csms.find((c) => c.email === 'ben@corp.example')?.acknowledgedAt, undefined);
  });

  test('incident.resolved: a resolution DM to every alerted CSM', async () => {
    const res = await deliver('incident.resolved');
    assert.equal(res.statusCode, 202, res.body);
    for (const user of [ANA, BEN]) {
      const resolution = await waitThroughErrors(`${user}'s resolution DM`, async () => slack.dmsTo(user).find((m) => /RESOLVED/i.test(text(m))), 60_000);
      assert.match(text(resolution), /A little bump in the road/);
    }
    const incident = await t.db.selectFrom('product_incidents').select(['status', 'resolved_at']).where('workflow_id', '=', 'incident:pagerduty:PGR0VU2').executeTakeFirstOrThrow();
    assert.equal(incident.status, 'resolved');
    assert.equal(incident.resolved_at?.toISOString(), '2020-10-02T20:15:00.000Z');
  });
});
