/**
 * One outage, one conversation — through the real stack: the API's webhooks (real-format Zendesk, Opsgenie
 * and Statuspage payloads, each authenticated as the vendor does), the support-spike detector, correlation
 * at ingest (db/incident-routing.ts), the incident workflow on the Temporal dev server with a real worker,
 * embedded Postgres and a fake Slack spoken to by @slack/web-api.
 *
 * - The outage as teams see it: three Zendesk tickets (a support spike), an Opsgenie P1 alert, then the
 *   Statuspage incident, all on checkout: one Forewarn incident, one top-level alert per CSM, the later
 *   sources in each CSM's alert thread, resolution only once every source resolved.
 * - No race: 20 concurrent first deliveries from four sources for one component end in one incident and
 *   one alert per CSM — 20 times over.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { sql } from 'kysely';
import type { FakeMessage, FakeSlack } from '../fakes/slack';
import { slackHeaders } from '../api/support/harness';
import type { TestDb } from '../helpers/db';
import { startStack, type Stack } from '../helpers/stack';
import { waitingUpTo } from '../helpers/wait-for';
import opsgenieCreate from '../fixtures/opsgenie/create.json';
import pagerdutyTriggered from '../fixtures/pagerduty/incident.triggered.json';
import statuspageUpdate from '../fixtures/statuspage/webhook-incident-update.json';
import zendeskTicketCreated from '../fixtures/zendesk/ticket-created.json';

const API_TOKEN = 'correlation-api-token-0123456789';
const OPSGENIE_TOKEN = 'correlation-opsgenie-token-0123';
const STATUSPAGE_TOKEN = 'correlation-statuspage-token-01';
const ZENDESK_SECRET = 'correlation-zendesk-secret-0123';
const PD_SECRET = 'correlation-pagerduty-secret-012';
const SLACK_SIGNING_SECRET = 'correlation-slack-signing-secret';

const CSMS = ['ana', 'ben', 'cat', 'dan', 'eve', 'fay'].map((n, i) => ({
  email: `${n}@corp.example`, name: n.toUpperCase(), slackUserId: `U${n.toUpperCase()}`, managerEmail: 'lee@corp.example', i,
}));
const SLACK_USERS = [...CSMS.map((c) => ({ id: c.slackUserId, email: c.email, name: c.name })), { id: 'ULEE', email: 'lee@corp.example', name: 'lee' }];
/** Twenty components for the race, each used by one customer of Ana, Ben and Cat. */
const RACE = Array.from({ length: 20 }, (_, r) => `svc-${r}`);
const RACE_CSMS = CSMS.slice(0, 3);

const customerBase = {
  csms: [...CSMS.map(({ i: _i, ...c }) => c), { email: 'lee@corp.example', name: 'Lee', slackUserId: 'ULEE' }],
  components: [
    { key: 'checkout', name: 'Checkout', ticketTags: ['checkout'], aliases: [{ source: 'opsgenie', externalId: 'checkout' }, { source: 'statuspage', externalId: 'sp0checkout0' }] },
    { key: 'payments', name: 'Payments', aliases: [{ source: 'statuspage', externalId: 'sp0payments0' }] },
    { key: 'orders', name: 'Orders', aliases: [{ source: 'opsgenie', externalId: 'orders' }] },
    { key: 'search', name: 'Search', aliases: [{ source: 'opsgenie', externalId: 'search' }] },
    ...RACE.map((key, r) => ({
      key, name: `Service ${r}`,
      aliases: [{ source: 'opsgenie', externalId: key }, { source: 'statuspage', externalId: `sp0race${String(r).padStart(4, '0')}` }, { source: 'pagerduty', externalId: `PRACE${r}` }, { source: 'generic', externalId: key }],
    })),
  ],
  customers: [
    // Ana to Eve: two checkout customers each; Fay's customer only uses payments.
    ...CSMS.slice(0, 5).flatMap((c) => [0, 1].map((k) => ({
      externalId: `org-${c.i}${k}`, name: `${c.name}Shop${k}`, contactEmail: `ops@${c.name.toLowerCase()}shop${k}.example`, arr: 100_000 + c.i * 10_000 + k, segment: 'mid-market', region: 'us-east', csmEmail: c.email,
      components: [{ key: 'checkout', usage: k === 0 ? 'heavy' : 'moderate' }],
    }))),
    // Orders: Ana and Ben; search: Ben and Cat (for merge and split).
    ...[['ana', 'orders'], ['ben', 'orders'], ['ben', 'search'], ['cat', 'search']].map(([n, key]) => ({
      externalId: `org-${n}-${key}`, name: `${n.toUpperCase()}${key}`, contactEmail: `ops@${n}${key}.example`, arr: 70_000, segment: 'smb', region: 'us-east',
      csmEmail: `${n}@corp.example`, components: [{ key, usage: 'heavy' }],
    })),
    { externalId: 'org-pay', name: 'PayOnly', contactEmail: 'ops@payonly.example', arr: 90_000, segment: 'smb', region: 'us-east', csmEmail: 'fay@corp.example', components: [{ key: 'payments', usage: 'heavy' }] },
    ...RACE.flatMap((key, r) => RACE_CSMS.map((c) => ({
      externalId: `race-${r}-${c.i}`, name: `Race${r}${c.name}`, contactEmail: `ops@race${r}${c.i}.example`, arr: 50_000, segment: 'smb', region: 'us-east', csmEmail: c.email, components: [{ key, usage: 'heavy' }],
    }))),
  ],
};

const waitFor = waitingUpTo(90_000);

describe('correlation end to end (webhooks, detector, dev server, Postgres, fake Slack)', () => {
  let stack: Stack<'slack'>;
  let env: TestWorkflowEnvironment;
  let t: TestDb;
  let slack: FakeSlack;
  let app: FastifyInstance;

  before(async () => {
    stack = await startStack({
      slack: { users: SLACK_USERS },
      customerBase,
      config: {
        TEMPORAL_TASK_QUEUE: 'it-correlation', API_TOKENS: API_TOKEN, OPSGENIE_WEBHOOK_TOKEN: OPSGENIE_TOKEN,
        STATUSPAGE_WEBHOOK_TOKEN: STATUSPAGE_TOKEN, ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET, PAGERDUTY_WEBHOOK_SECRETS: PD_SECRET,
        SUPPORT_SPIKE_THRESHOLD: '3', SUPPORT_SPIKE_WINDOW_MINUTES: '15', CORRELATION_WINDOW_MINUTES: '30',
        // The race below alerts the same CSMs 20 times in a minute: here each alert must stay its own DM.
        ALERT_DIGEST_THRESHOLD: '0', SLACK_SIGNING_SECRET,
      },
    });
    ({ env, testDb: t, slack, app } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  /** Like a sender: a 503 (the answer deadline passed on a busy machine) is retried, with the same body. */
  async function deliver(request: InjectOptions) {
    for (let attempt = 1; ; attempt++) {
      const answer = await app.inject(request);
      if (answer.statusCode !== 503 || attempt === 5) return answer;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }

  async function post(url: string, body: unknown, headers: Record<string, string>) {
    const payload = JSON.stringify(body);
    return deliver({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });
  }

  const zendesk = (ticketId: string, org: string) => {
    const body = { ...zendeskTicketCreated, id: `zd-${ticketId}`, subject: `zen:ticket:${ticketId}`, time: new Date().toISOString(),
      detail: { ...zendeskTicketCreated.detail, id: ticketId, organization_id: org, subject: 'Checkout fails with an error', tags: ['checkout'], created_at: new Date().toISOString() } };
    const payload = JSON.stringify(body);
    const timestamp = new Date().toISOString();
    const signature = createHmac('sha256', ZENDESK_SECRET).update(timestamp + payload, 'utf8').digest('base64');
    return app.inject({ method: 'POST', url: '/api/webhooks/support', payload, headers: {
      'content-type': 'application/json', 'x-zendesk-webhook-signature': signature, 'x-zendesk-webhook-signature-timestamp': timestamp,
    } });
  };
  const opsgenie = (action: 'Create' | 'Close', alertId: string, tag: string, message: string) => post('/api/webhooks/opsgenie', {
    ...opsgenieCreate, action,
    alert: { ...opsgenieCreate.alert, alertId, alias: alertId, message, tags: [tag], priority: 'P1', createdAt: Date.now() - 1000, updatedAt: Date.now() * 1e6 },
  }, { authorization: `Bearer ${OPSGENIE_TOKEN}` });
  const statuspage = (id: string, name: string, status: string, componentIds: string[], body: string) => {
    const now = new Date().toISOString();
    return post(`/api/webhooks/statuspage/${STATUSPAGE_TOKEN}`, {
      ...statuspageUpdate,
      incident: {
        ...statuspageUpdate.incident, id, name, status, impact: 'major', created_at: now, updated_at: now, monitoring_at: null,
        resolved_at: status === 'resolved' ? now : null, shortlink: `https://stspg.io/${id}`,
        components: componentIds.map((cid) => ({ id: cid, name: cid, status: 'partial_outage' })),
        incident_updates: [{ ...statuspageUpdate.incident.incident_updates[0], id: `${id}-${status}`, incident_id: id, status, body, created_at: now, display_at: now, updated_at: now }],
      },
    }, {});
  };
  const pagerduty = (id: string, service: string, title: string) => {
    const envelope = { event: { ...pagerdutyTriggered.event, id: `pd-${id}`, occurred_at: new Date().toISOString(),
      data: { ...pagerdutyTriggered.event.data, id, title, service: { ...pagerdutyTriggered.event.data.service, id: service, summary: service } } } };
    const payload = JSON.stringify(envelope);
    const signature = `v1=${createHmac('sha256', PD_SECRET).update(payload, 'utf8').digest('hex')}`;
    return deliver({ method: 'POST', url: '/api/webhooks/pagerduty', payload, headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature } });
  };
  const generic = (id: string, component: string, title: string) => post('/api/webhooks/incidents', {
    id, title, status: 'investigating', severity: 'P2', affectedComponents: [component], startedAt: new Date().toISOString(),
  }, { authorization: `Bearer ${API_TOKEN}` });

  /** Top-level DMs (not thread replies) to a user that are not resolution notices. */
  const topLevelAlerts = (userId: string, match: (m: FakeMessage) => boolean) => slack.dmsTo(userId).filter((m) => match(m) && !m.text.includes('INCIDENT RESOLVED'));
  /** Replies in the threads of a user's DMs. */
  const threadReplies = (userId: string) => {
    const im = slack.imChannelOf(userId);
    return im ? slack.messagesIn(im.id).filter((m) => m.threadTs) : [];
  };

  test('support spike → Opsgenie P1 → Statuspage on checkout: one incident, one alert per CSM, the later sources in its thread, resolved once all resolved', async () => {
    const checkoutCsms = CSMS.slice(0, 5);
    for (const [i, org] of ['org-00', 'org-10', 'org-20'].entries()) assert.equal((await zendesk(`71${i}`, org)).statusCode, 202);
    const suspected = await waitFor('the suspected incident', async () => (await t.db.selectFrom('product_incidents').selectAll().where('source', '=', 'support').execute())[0]);
    const workflowId = suspected.workflow_id;
    const inThisIncident = (m: FakeMessage) => m.text.includes('Checkout') && !m.text.includes('Race');
    await waitFor('an alert to each checkout CSM', () => checkoutCsms.every((c) => topLevelAlerts(c.slackUserId, inThisIncident).length === 1));

    const created = await opsgenie('Create', 'og-checkout-1', 'checkout', 'Checkout API 5xx above 20%');
    assert.equal(created.statusCode, 202);
    assert.equal(created.json().workflowId, workflowId, 'the alert joins the suspected incident');
    await waitFor('the Opsgenie news in each thread', () => checkoutCsms.every((c) => threadReplies(c.slackUserId)
      .some((m) => m.text.includes('Also reported by Opsgenie: Checkout API 5xx above 20% — investigating'))));

    const sp = await statuspage('sp0checkout1', 'Elevated error rates on checkout', 'identified', ['sp0checkout0', 'sp0payments0'], 'We have identified elevated error rates on checkout.');
    assert.equal(sp.statusCode, 202);
    assert.equal(sp.json().workflowId, workflowId, 'the Statuspage incident joins too');
    await waitFor('the Statuspage news in each thread', () => checkoutCsms.every((c) => threadReplies(c.slackUserId)
      .some((m) => m.text.includes('Also reported by Statuspage: Elevated error rates on checkout — identified'))));
    // Payments joined the incident: Fay is alerted once, about her customer only.
    const [fayAlert] = await waitFor('Fay\'s alert', () => topLevelAlerts('UFAY', inThisIncident).length > 0 && topLevelAlerts('UFAY', inThisIncident));
    assert.ok(fayAlert.text.includes('PayOnly'));
    const room = await waitFor('the war room', () => [...slack.channels.values()].find((c) => !c.isIm));
    await waitFor('the Statuspage news in the war room', () => slack.messagesIn(room.id).some((m) => m.text.includes('Also reported by Statuspage')));

    // Opsgenie closes its alert: Statuspage still reports, so nobody is told it is resolved.
    assert.equal((await opsgenie('Close', 'og-checkout-1', 'checkout', 'Checkout API 5xx above 20%')).statusCode, 202);
    await waitFor('the close in the threads', () => threadReplies('UANA').some((m) => m.text.includes('Opsgenie: Checkout API 5xx above 20% — resolved')));
    const stillOpen = await t.db.selectFrom('product_incidents').select(['status']).where('workflow_id', '=', workflowId).executeTakeFirstOrThrow();
    assert.equal(stillOpen.status, 'identified');
    assert.ok(CSMS.every((c) => !slack.dmsTo(c.slackUserId).some((m) => m.text.includes('INCIDENT RESOLVED'))));

    assert.equal((await statuspage('sp0checkout1', 'Elevated error rates on checkout', 'resolved', ['sp0checkout0', 'sp0payments0'], 'This incident has been resolved.')).statusCode, 202);
    await waitFor('one resolution DM per CSM', () => [...checkoutCsms, CSMS[5]].every((c) => slack.dmsTo(c.slackUserId).filter((m) => m.text.includes('INCIDENT RESOLVED')).length === 1));

    // One incident; each CSM got exactly one top-level alert about it.
    const incidents = await t.db.selectFrom('product_incidents').selectAll().where(sql<boolean>`affected_components @> array['checkout']`).execute();
    assert.equal(incidents.length, 1);
    assert.equal(incidents[0].status, 'resolved');
    assert.equal(incidents[0].latest_message, 'This incident has been resolved.');
    assert.deepEqual((incidents[0].linked_sources as { source: string; status: string }[]).map((s) => [s.source, s.status]),
      [['support', 'investigating'], ['opsgenie', 'resolved'], ['statuspage', 'resolved']]);
    for (const c of [...checkoutCsms, CSMS[5]]) assert.equal(topLevelAlerts(c.slackUserId, inThisIncident).length, 1, `${c.email}: one alert`);
    const routes = await t.db.selectFrom('incident_routes').select(['source', 'how', 'workflow_id']).where('workflow_id', '=', workflowId).orderBy('created_at').execute();
    assert.deepEqual(routes.map((r) => [r.source, r.how]), [['support', 'new'], ['opsgenie', 'component'], ['statuspage', 'component']]);
  });

  test('20 concurrent first deliveries from four sources for one component: one incident and one alert per CSM, 20 times over', async () => {
    for (const [r, key] of RACE.entries()) {
      const sends = Array.from({ length: 20 }, (_, i) => {
        const id = `r${r}x${i}`;
        switch (i % 4) {
          case 0: return opsgenie('Create', `og-${id}`, key, `Service ${r} errors (Opsgenie ${i})`);
          case 1: return statuspage(`sp${String(r).padStart(2, '0')}race${String(i).padStart(4, '0')}`, `Service ${r} degraded (${i})`, 'investigating', [`sp0race${String(r).padStart(4, '0')}`], 'Investigating.');
          case 2: return pagerduty(`PD${id.toUpperCase()}`, `PRACE${r}`, `Service ${r} down (PagerDuty ${i})`);
          default: return generic(`gen-${id}`, key, `Service ${r} failing (${i})`);
        }
      });
      const answers = await Promise.all(sends);
      for (const a of answers) assert.equal(a.statusCode, 202, a.body);
      const ids = new Set(answers.map((a) => a.json().workflowId as string));
      assert.equal(ids.size, 1, `round ${r}: every delivery went to one incident (${[...ids].join(', ')})`);
    }
    for (const [r, key] of RACE.entries()) {
      const [incident] = await waitFor(`round ${r}: all 20 sources applied`, async () => {
        const rows = await t.db.selectFrom('product_incidents').select(['workflow_id', 'linked_sources']).where(sql<boolean>`affected_components @> array[${key}]::text[]`).execute();
        return rows.length === 1 && (rows[0].linked_sources as unknown[]).length === 20 && rows;
      });
      assert.ok(incident);
      for (const c of RACE_CSMS) {
        const alerts = await waitFor(`round ${r}: ${c.email}'s alert`, () => {
          const found = topLevelAlerts(c.slackUserId, (m) => m.text.includes(`Race${r}${c.name}`));
          return found.length > 0 && found;
        });
        assert.equal(alerts.length, 1, `round ${r}: one alert to ${c.email}`);
      }
    }
    const incidents = await t.db.selectFrom('product_incidents').select('workflow_id').where(sql<boolean>`affected_components && ${RACE}::text[]`).execute();
    assert.equal(incidents.length, 20, 'one incident per round');
  });

  test('merge through the API: nobody alerted twice, the merged incident\'s CSMs told in their thread, its sources follow; split one back out', async () => {
    const api = { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' };
    const a = (await opsgenie('Create', 'og-orders', 'orders', 'Orders failing')).json();
    const b = (await opsgenie('Create', 'og-search', 'search', 'Search timeouts')).json();
    assert.notEqual(a.workflowId, b.workflowId);
    const about = (word: string) => (m: FakeMessage) => m.text.includes(word);
    await waitFor('both incidents alerted', () => topLevelAlerts('UANA', about('Orders failing')).length === 1 && topLevelAlerts('UBEN', about('Orders failing')).length === 1
      && topLevelAlerts('UBEN', about('Search timeouts')).length === 1 && topLevelAlerts('UCAT', about('Search timeouts')).length === 1);
    const incident = (workflowId: string) => t.db.selectFrom('product_incidents').selectAll().where('workflow_id', '=', workflowId).executeTakeFirst();
    const [rowA, rowB] = await waitFor('both recorded', async () => {
      const rows = [await incident(a.workflowId), await incident(b.workflowId)];
      return rows.every(Boolean) && rows;
    });

    // Refused: merging an incident into itself, or an unknown one; without a token.
    assert.equal((await app.inject({ method: 'POST', url: `/api/incidents/${rowA!.id}/merge`, headers: api, payload: { incidentId: rowA!.id } })).statusCode, 409);
    assert.equal((await app.inject({ method: 'POST', url: `/api/incidents/${rowA!.id}/merge`, headers: api, payload: { incidentId: '00000000-0000-4000-8000-000000000000' } })).statusCode, 404);
    assert.equal((await app.inject({ method: 'POST', url: `/api/incidents/${rowA!.id}/merge`, payload: { incidentId: rowB!.id } })).statusCode, 401);

    const merged = await app.inject({ method: 'POST', url: `/api/incidents/${rowA!.id}/merge`, headers: api, payload: { incidentId: rowB!.id } });
    assert.equal(merged.statusCode, 202, merged.body);
    assert.deepEqual(merged.json(), { status: 'accepted', workflowId: a.workflowId, incidentId: rowA!.id, mergedIncidentId: rowB!.id });
    const line = 'Merged with "Search timeouts"';
    await waitFor('the merge told in each thread', () => ['UANA', 'UBEN', 'UCAT'].every((u) => threadReplies(u).some(about(line))));
    // Cat was alerted by B only: told in B's thread, never alerted about A.
    const catAlert = topLevelAlerts('UCAT', about('Search timeouts'))[0];
    assert.ok(threadReplies('UCAT').some((m) => m.threadTs === catAlert.ts && m.text.includes(line)));
    assert.equal(topLevelAlerts('UCAT', about('Orders failing')).length, 0);
    for (const u of ['UANA', 'UBEN', 'UCAT']) assert.equal(topLevelAlerts(u, (m) => about('Orders failing')(m) || about('Search timeouts')(m)).length, u === 'UBEN' ? 2 : 1);
    const view = await waitFor('B shown as merged into A', async () => {
      const r = await app.inject({ method: 'GET', url: `/api/incidents/${rowB!.id}`, headers: api });
      return r.json().mergedInto && r.json();
    });
    assert.deepEqual(view.mergedInto.incidentId, rowA!.id);
    const aView = await waitFor('A follows both sources', async () => {
      const r = (await app.inject({ method: 'GET', url: `/api/incidents/${rowA!.id}`, headers: api })).json();
      return r.linkedSources.length === 2 && r;
    });
    assert.deepEqual(aView.components, ['orders', 'search']);
    await waitFor('B ended', async () => (await env.client.workflow.getHandle(b.workflowId).describe()).status.name === 'COMPLETED');
    // B's source incident now feeds A.
    const later = await opsgenie('Close', 'og-search', 'search', 'Search timeouts');
    assert.equal(later.json().workflowId, a.workflowId);

    // Split the Opsgenie search alert back out: its own incident, alerting its CSMs; A goes back to orders.
    const split = await app.inject({ method: 'POST', url: `/api/incidents/${rowA!.id}/split`, headers: api, payload: { source: 'opsgenie', externalId: 'og-search' } });
    assert.equal(split.statusCode, 202, split.body);
    const { workflowId: splitId } = split.json();
    assert.match(splitId, /^incident:opsgenie:og-search:split-/, 'a new incident (B\'s id is taken)');
    await waitFor('A back to orders', async () => {
      const r = (await app.inject({ method: 'GET', url: `/api/incidents/${rowA!.id}`, headers: api })).json();
      return r.linkedSources.length === 1 && r.components.join() === 'orders';
    });
    await waitFor('the split incident recorded', () => incident(splitId));
    assert.equal((await app.inject({ method: 'POST', url: `/api/incidents/${rowA!.id}/split`, headers: api, payload: { source: 'opsgenie', externalId: 'og-orders' } })).statusCode, 409, 'not the source it is named after');
    assert.equal((await app.inject({ method: 'POST', url: `/api/incidents/${rowA!.id}/split`, headers: api, payload: { source: 'statuspage', externalId: 'nope' } })).statusCode, 404);
    const route = await t.db.selectFrom('incident_routes').select(['workflow_id', 'how']).where('external_id', '=', 'og-search').executeTakeFirstOrThrow();
    assert.deepEqual(route, { workflow_id: splitId, how: 'split' });

    // And merged back from Slack by Lee (their CS manager): `/forewarn merge <A> <B>`; Ana, a CSM, may not.
    const splitRow = (await incident(splitId))!;
    const slash = async (text: string, userId = 'ULEE') => {
      const payload = new URLSearchParams({ command: '/forewarn', text, user_id: userId, user_name: userId.slice(1).toLowerCase() }).toString();
      const r = await app.inject({ method: 'POST', url: '/api/slack/commands', payload, headers: { ...slackHeaders(payload, Math.floor(Date.now() / 1000), SLACK_SIGNING_SECRET), 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(r.statusCode, 200, r.body);
      return r.json().text as string;
    };
    assert.equal(await slash(`merge og-orders ${splitRow.id}`, 'UANA'),
      ':warning: Only CS managers and admins may merge incidents; ANA (CSM) may declare incidents, not steer them.');
    assert.match(await slash('merge og-orders nope'), /No incident "nope"/);
    assert.match(await slash(`merge og-orders ${splitRow.id}`), /is being merged into "Orders failing"/);
    await waitFor('merged back from Slack', async () => {
      const r = (await app.inject({ method: 'GET', url: `/api/incidents/${rowA!.id}`, headers: api })).json();
      return r.linkedSources.length === 2;
    });
  });
});
