import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { responseUrlAllowed } from '../../../api/slack/button-actions';
import { customerActionValue } from '../../../domain/messages/actions';
import { approvedMessage, renderCsmMessage, type Block, type MessageCustomer } from '../../../domain/messages';
import type { Incident } from '../../../domain/types';
import type { IncidentState } from '../../../domain/incident/model';
import { WORKFLOW_TYPES } from '../../../workflows/contract';
import { receivedEventsQuery, receivedSignalsQuery, type FakeIncidentInput } from '../support/fake-incident.workflow';
import { slackHeaders, startHarness, type Harness } from '../support/harness';
import { waitThroughErrors } from '../../helpers/wait-for';
import { seedBase, seedIncident, type Seed } from '../support/seed';

const WORKFLOW = 'incident:pagerduty:PGR0VU2';
const INCIDENT = '11111111-1111-4111-8111-111111111111';
const fixture = readFileSync(path.join(__dirname, '../../fixtures/slack/block-actions.json'), 'utf8');

/** Slack's response_url, played by a local server that keeps what it is sent. */
async function responseUrlServer() {
  const posts: { path: string; body: Record<string, unknown> }[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => { posts.push({ path: req.url ?? '', body: JSON.parse(data) }); res.end('ok'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { posts, base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('Slack interactivity', () => {
  let h: Harness;
  let s: Seed;
  let hook: Awaited<ReturnType<typeof responseUrlServer>>;
  before(async () => {
    hook = await responseUrlServer();
    // The fake Slack's address: replies may go there (and to hooks.slack.com), nowhere else.
    // Correlation by component on: a second declaration on an open declared incident's component joins it.
    h = await startHarness({ temporal: 'dev', env: { SLACK_API_URL: `${hook.base}/api`, CORRELATION_WINDOW_MINUTES: '30' } });
    s = await seedBase(h.db);
    await seedIncident(h.db, { id: INCIDENT, externalId: 'PGR0VU2', title: 'API Latency Issues', severity: 'P1', impacts: [
      [s.customer.techcorp, 'high', 1, 'pending'], [s.customer.dataflow, 'medium', 2, 'pending'],
    ] });
    // The incident's workflow (the current type): per-CSM summaries; the stand-in answers drafts for the customers it is given.
    await h.temporal.workflow.start(WORKFLOW_TYPES.incident, {
      workflowId: WORKFLOW, taskQueue: h.taskQueue,
      args: [{ settings: {} as never, carried: {
        incident: { id: INCIDENT }, phase: 'active',
        csms: [{ email: 'ana@corp.example', slackUserId: 'UA8RXUSPL', customers: 2, arrAtRisk: 700000, highImpact: 1 }],
        totals: { customers: 2, arrAtRisk: 700000, businessImpact: 0, highImpact: 1 }, detectedAt: '', appliedAt: {}, deliveryIds: [], revision: 1,
      } as unknown as IncidentState, customers: [
        { id: s.customer.techcorp, name: 'TechCorp', csmEmail: 'ana@corp.example', outreachStatus: 'pending' },
        { id: s.customer.dataflow, name: 'DataFlow', csmEmail: 'ana@corp.example', outreachStatus: 'pending' },
      ] } satisfies FakeIncidentInput],
    });
  });
  after(async () => { await h?.close(); await hook?.close(); });

  /** The documented block_actions payload with this test's button, value and response_url. */
  function click(actionId: string, value: string, hookPath: string) {
    const payload = JSON.parse(fixture.replace(/WORKFLOW_ID/g, WORKFLOW));
    payload.actions[0].action_id = actionId;
    payload.actions[0].value = value;
    payload.response_url = `${hook.base}${hookPath}`;
    return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  }
  const send = (body: string, headers = slackHeaders(body)) => h.app.inject({ method: 'POST', url: '/api/slack/interactions', payload: body, headers });
  const replyTo = (hookPath: string) => waitThroughErrors(`the reply to ${hookPath}`, async () => hook.posts.find((p) => p.path === hookPath)?.body, 10_000);
  /** Outreach as Postgres holds it (where the API records it). */
  const outreach = async (customerId: string) => (await h.db.selectFrom('incident_customer_impact').select('outreach_status')
    .where('incident_id', '=', INCIDENT).where('customer_id', '=', customerId).executeTakeFirstOrThrow()).outreach_status;
  const audited = (action: string) => h.db.selectFrom('audit_log').select(['actor_kind', 'actor_id', 'actor_name', 'incident_id', 'target'])
    .where('action', '=', action).orderBy('id').execute();
  const told = async () => (await h.temporal.workflow.getHandle(WORKFLOW).query(receivedSignalsQuery)).outreach
    .map((o) => [o.customerId, o.csmEmail, o.impactLevel, o.status]);

  test('Acknowledge answers Slack at once, signals the workflow, and adds who acknowledged to the alert', async () => {
    const res = await send(click('forewarn:acknowledge', WORKFLOW, '/ack'));
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '');
    const reply = await replyTo('/ack');
    assert.equal(reply.replace_original, true);
    const blocks = reply.blocks as { type: string; elements?: { text: string }[] }[];
    assert.equal(blocks.length, 3, 'the original two blocks plus one status line');
    assert.equal(blocks[0].type, 'section');
    assert.deepEqual(blocks[2], { type: 'context', elements: [{ type: 'mrkdwn', text: ':eyes: Acknowledged by <@UA8RXUSPL>' }] });
    const signals = await h.temporal.workflow.getHandle(WORKFLOW).query(receivedSignalsQuery);
    assert.deepEqual(signals.acks, [{ slackUserId: 'UA8RXUSPL', csmEmail: 'ana@corp.example' }], 'the clicking Slack user is resolved to their CSM record');
    assert.deepEqual(await audited('incident.acknowledged'), [{
      actor_kind: 'slack', actor_id: 'UA8RXUSPL', actor_name: 'Ana Ruiz <ana@corp.example>', incident_id: INCIDENT, target: 'ana@corp.example',
    }], 'on record as Ana, who clicked');
  });

  test('Join War Room invites the clicking user', async () => {
    assert.equal((await send(click('forewarn:join_war_room', WORKFLOW, '/join'))).statusCode, 200);
    const reply = await replyTo('/join');
    assert.equal(reply.response_type, 'ephemeral');
    assert.match(reply.text as string, /war-room/);
    assert.deepEqual((await h.temporal.workflow.getHandle(WORKFLOW).query(receivedSignalsQuery)).joins, [{ slackUserId: 'UA8RXUSPL' }]);
  });

  test('mark contacted records the outreach in Postgres and tells the workflow; an invalid move comes back with the reason', async () => {
    await send(click('forewarn:mark_contacted', customerActionValue(INCIDENT, s.customer.techcorp), '/contacted'));
    const ok = await replyTo('/contacted');
    assert.equal(ok.replace_original, true);
    assert.match(JSON.stringify(ok.blocks), /\*TechCorp\* marked \*contacted\* by <@UA8RXUSPL>/);
    assert.equal(await outreach(s.customer.techcorp), 'sent');
    assert.deepEqual(await told(), [[s.customer.techcorp, 'ana@corp.example', 'high', 'sent']], 'the workflow hears that Ana acted');
    assert.deepEqual(await audited('outreach.changed'), [{
      actor_kind: 'slack', actor_id: 'UA8RXUSPL', actor_name: 'Ana Ruiz <ana@corp.example>', incident_id: INCIDENT, target: s.customer.techcorp,
    }]);

    await send(click('forewarn:mark_responded', customerActionValue(WORKFLOW, s.customer.dataflow), '/responded'));
    const refused = await replyTo('/responded');
    assert.equal(refused.response_type, 'ephemeral');
    assert.equal(refused.text, ':warning: That did not work: Outreach to DataFlow is "pending" and cannot become "responded": '
      + 'a customer can only respond once an email was sent. From "pending" it can become "drafted" or "sent".');
    assert.equal(await outreach(s.customer.dataflow), 'pending');
    assert.equal((await told()).length, 1, 'a refused move is not news for the workflow');
  });

  test('Mark responded chosen in the alert\'s menu beside TechCorp moves TechCorp, and only TechCorp', async () => {
    assert.equal(await outreach(s.customer.techcorp), 'sent', 'marked contacted by the test above');
    // The alert Ana got for this incident, rendered by the product's own renderer.
    const incident: Incident = {
      id: INCIDENT, workflowId: WORKFLOW, source: 'pagerduty', externalId: 'PGR0VU2', title: 'API Latency Issues',
      status: 'investigating', severity: 'P1', components: ['api-gateway'], regions: [], startedAt: '2026-01-29T19:30:00.000Z',
    };
    const customer = (id: string, name: string, arr: number, impactLevel: 'high' | 'medium', rank: number): MessageCustomer =>
      ({ id, name, arr, impactLevel, reason: 'Uses API Gateway', priorityRank: rank, componentNames: ['API Gateway'] });
    const alert = renderCsmMessage('alert', {
      incident, recipient: { name: 'Ana Ruiz', email: 'ana@corp.example' },
      customers: [customer(s.customer.techcorp, 'TechCorp', 500_000, 'high', 1), customer(s.customer.dataflow, 'DataFlow', 200_000, 'medium', 2)],
      totals: { customers: 2, arrAtRisk: 700_000, businessImpact: 0, highImpact: 1 }, dashboardUrl: 'http://forewarn.test/dashboard',
      approved: approvedMessage([], { incident }), customerLimit: 10, now: '2026-01-29T19:31:00.000Z',
    });
    const line = alert.blocks.find((b: Block) => b.type === 'section' && b.text.text.includes('*TechCorp*'));
    assert.ok(line?.type === 'section' && line.accessory, 'TechCorp\'s line carries a menu');
    const option = line.accessory.options.find((o) => o.text.text === 'Mark responded');
    assert.ok(option);

    // What Slack posts when an overflow option is chosen: the menu's action_id and the selected option, no `value`.
    const payload = JSON.parse(fixture);
    payload.message = { ...payload.message, text: alert.text, blocks: alert.blocks };
    payload.actions = [{ type: 'overflow', action_id: line.accessory.action_id, block_id: 'Nq2uK', selected_option: option, action_ts: '1548426417.840180' }];
    payload.response_url = `${hook.base}/menu-responded`;
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    assert.equal((await send(body)).statusCode, 200);

    const reply = await replyTo('/menu-responded');
    assert.equal(reply.replace_original, true);
    const blocks = reply.blocks as { type: string; elements?: { text?: string; action_id?: string }[] }[];
    assert.equal(blocks.length, alert.blocks.length + 1, 'the alert as it was, plus one status line');
    assert.deepEqual(blocks.at(-1), { type: 'context', elements: [{ type: 'mrkdwn', text: ':white_check_mark: *TechCorp* marked *responded* by <@UA8RXUSPL>' }] });
    assert.ok(blocks.at(-2)?.elements?.some((e) => e.action_id === 'forewarn:acknowledge'), 'the alert keeps its buttons');
    assert.equal(await outreach(s.customer.techcorp), 'responded');
    assert.equal(await outreach(s.customer.dataflow), 'pending');
    assert.deepEqual((await told()).at(-1), [s.customer.techcorp, 'ana@corp.example', 'high', 'responded']);
  });

  test('Draft Customer Emails, Send Resolution Emails (refused before resolution) and Schedule Follow-ups', async () => {
    await send(click('forewarn:draft_customer_emails', WORKFLOW, '/drafts'));
    assert.equal((await replyTo('/drafts')).text, ':email: 2 email drafts ready in your Gmail drafts.');
    await send(click('forewarn:draft_customer_emails', WORKFLOW, '/drafts-again'));
    assert.equal((await replyTo('/drafts-again')).text, ':email: No new drafts: every customer of yours already has one or has been contacted.');
    await send(click('forewarn:send_resolution_emails', WORKFLOW, '/resolution'));
    assert.match((await replyTo('/resolution')).text as string, /^:warning: That did not work: The incident is not resolved yet/);
    await send(click('forewarn:schedule_follow_ups', WORKFLOW, '/follow-ups'));
    assert.match(JSON.stringify((await replyTo('/follow-ups')).blocks), /Follow-up reminder for <@UA8RXUSPL> scheduled for <!date\^\d+\^/);
  });

  test('URL buttons and foreign buttons are only acknowledged', async () => {
    assert.equal((await send(click('forewarn:view_status_page', WORKFLOW, '/view'))).statusCode, 200);
    assert.equal((await send(click('someone_elses_button', 'x', '/foreign'))).statusCode, 200);
    await send(click('forewarn:acknowledge', WORKFLOW, '/marker'));
    await replyTo('/marker');
    assert.equal(hook.posts.filter((p) => p.path === '/view' || p.path === '/foreign').length, 0);
  });

  test('a response_url that is not Slack\'s gets no reply, though the action is done', async () => {
    const other = await responseUrlServer();
    try {
      const body = click('forewarn:join_war_room', WORKFLOW, '/elsewhere').replace(encodeURIComponent(hook.base), encodeURIComponent(other.base));
      assert.ok(body.includes(encodeURIComponent(other.base)));
      assert.equal((await send(body)).statusCode, 200);
      await waitThroughErrors('both joins signalled', async () => ((await h.temporal.workflow.getHandle(WORKFLOW).query(receivedSignalsQuery)).joins.length === 2 ? true : undefined), 10_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(other.posts, []);
    } finally { await other.close(); }
  });

  test('replies go to Slack\'s hooks host over https, or to the configured Slack API host', () => {
    assert.equal(responseUrlAllowed('https://hooks.slack.com/actions/T1/123/abc'), true);
    assert.equal(responseUrlAllowed('http://hooks.slack.com/actions/T1/123/abc'), false);
    assert.equal(responseUrlAllowed('https://hooks.slack.com.evil.example/x'), false);
    assert.equal(responseUrlAllowed('http://169.254.169.254/latest/meta-data'), false);
    assert.equal(responseUrlAllowed('http://127.0.0.1:9999/hook', 'http://127.0.0.1:9999/api'), true);
    assert.equal(responseUrlAllowed('not a url'), false);
  });

  test('a button on an incident whose workflow is gone tells the user so', async () => {
    await send(click('forewarn:draft_customer_emails', 'incident:pagerduty:GONE', '/gone'));
    assert.match((await replyTo('/gone')).text as string, /no longer running/);
  });

  test('stale, unsigned, wrongly signed and altered requests are refused with 401 and do nothing', async () => {
    const body = click('forewarn:acknowledge', WORKFLOW, '/forged');
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 360;
    const cases = [
      await send(body, slackHeaders(body, sixMinutesAgo)),
      await send(body, { 'content-type': 'application/x-www-form-urlencoded' } as ReturnType<typeof slackHeaders>),
      await send(body, slackHeaders(body, undefined, 'not-the-signing-secret')),
      await send(body.replace('UA8RXUSPL', 'UEVIL0001'), slackHeaders(body)),
    ];
    for (const res of cases) {
      assert.equal(res.statusCode, 401);
      assert.match(res.headers['content-type'] as string, /problem\+json/);
    }
    assert.match(cases[0].json().detail, /5 minutes/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(hook.posts.filter((p) => p.path === '/forged').length, 0);
  });

  test('a signed request with a broken payload is a 400', async () => {
    const notJson = new URLSearchParams({ payload: '{nope' }).toString();
    const r1 = await send(notJson);
    assert.equal(r1.statusCode, 400);
    assert.match(r1.json().detail, /payload is not valid JSON/);
    const none = 'foo=bar';
    const r2 = await send(none);
    assert.equal(r2.statusCode, 400);
    assert.equal(r2.json().errors[0].path, 'body/payload');
  });

  describe('/forewarn slash command', () => {
    const command = (text: string, user = 'UA8RXUSPL') => {
      const body = new URLSearchParams({ command: '/forewarn', text, user_id: user, response_url: `${hook.base}/cmd` }).toString();
      return h.app.inject({ method: 'POST', url: '/api/slack/commands', payload: body, headers: slackHeaders(body) });
    };

    test('status lists open incidents with their customers and ARR at risk', async () => {
      const res = await command('status');
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().response_type, 'ephemeral');
      assert.equal(res.json().text, '*1 open incident*\n:rotating_light: *P1* API Latency Issues — Investigating — 2 customers, $700K ARR at risk\n<http://forewarn.test/dashboard|Open the dashboard>');
      assert.equal((await command('')).json().text, res.json().text, 'status is the default');
    });

    test('queue lists the caller\'s customers waiting for outreach; help and unknown subcommands explain usage', async () => {
      const queue = (await command('queue')).json().text as string;
      // TechCorp answered (recorded from the buttons above): only DataFlow still waits.
      assert.equal(queue, '*1 customer waiting for outreach*\n:warning: *DataFlow* ($200K ARR) — P1 API Latency Issues — medium impact');
      assert.match((await command('queue', 'UNOBODY01')).json().text, /not linked to a CSM/);
      assert.match((await command('help')).json().text, /\/forewarn status/);
      assert.match((await command('dance')).json().text, /^Unknown subcommand "dance"/);
    });

    test('declare: a linked person declares an incident (source manual) within the request; bad input is explained', async () => {
      const body = new URLSearchParams({ command: '/forewarn', text: 'declare p2 api-gateway Checkout fails for EU cards', user_id: 'UA8RXUSPL', trigger_id: 'trig-1' }).toString();
      const res = await h.app.inject({ method: 'POST', url: '/api/slack/commands', payload: body, headers: slackHeaders(body) });
      assert.equal(res.statusCode, 200);
      const text = res.json().text as string;
      assert.match(text, /^:warning: Declared \*P2\* "Checkout fails for EU cards": the CSMs of affected customers are being alerted\. <http:\/\/forewarn\.test\/dashboard\/incidents\/[0-9a-f-]{36}\|Open it>$/);
      const row = await waitThroughErrors('the delivery recorded', async () => (await h.db.selectFrom('webhook_deliveries').selectAll().where('delivery_id', '=', 'manual:slack:trig-1').executeTakeFirst()) ?? undefined, 10_000);
      const events = await waitThroughErrors('the event delivered', async () => {
        const got = await h.temporal.workflow.getHandle(row.workflow_id!).query(receivedEventsQuery);
        return got.length ? got : undefined;
      }, 10_000);
      assert.deepEqual([events[0]!.source, events[0]!.severity, events[0]!.components, events[0]!.title], ['manual', 'P2', ['api-gateway'], 'Checkout fails for EU cards']);
      // Declared again on the same component while it is open: it joins that incident, and the answer sends the person there.
      const joined = (await command('declare P3 api-gateway Payments page errors')).json().text as string;
      const incidentId = text.match(/incidents\/([0-9a-f-]{36})\|/)![1];
      assert.equal(joined, ':link: Joined the open incident "Checkout fails for EU cards": your declaration overlaps it, so no second incident was opened '
        + `and nobody is alerted twice (your declaration is on its timeline). <http://forewarn.test/dashboard/incidents/${incidentId}|Open it>`);
      const both = await waitThroughErrors('both events delivered', async () => {
        const got = await h.temporal.workflow.getHandle(row.workflow_id!).query(receivedEventsQuery);
        return got.length === 2 ? got : undefined;
      }, 10_000);
      assert.deepEqual([both[1]!.byPerson, both[1]!.severity, both[1]!.title, both[1]!.note], [true, undefined, undefined, 'Declared by slack:Ana Ruiz: Payments page errors (P3, api-gateway)']);
      assert.match((await command('declare P9 api-gateway Broken')).json().text, /^Usage: `\/forewarn declare/);
      assert.match((await command('declare P2 api-gateway')).json().text, /^Usage:/);
      assert.match((await command('declare P2 warp-drive Broken')).json().text, /^:warning: affectedComponents names "warp-drive"/);
      assert.match((await command('declare P2 api-gateway Broken', 'UNOBODY01')).json().text, /not linked to a person/);
    });

    test("Slack's own signed example is refused today: its timestamp is years old", async () => {
      const body = readFileSync(path.join(__dirname, '../../fixtures/slack/slash-command-signed-example.txt'), 'utf8');
      const res = await h.app.inject({ method: 'POST', url: '/api/slack/commands', payload: body, headers: {
        'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': '1531420618',
        'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      } });
      assert.equal(res.statusCode, 401);
      assert.match(res.json().detail, /5 minutes/);
    });
  });
});
