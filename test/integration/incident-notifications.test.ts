/**
 * The incident workflow's notifications, as in production but on one machine: the Temporal dev
 * server, embedded Postgres, a real worker (real workflow bundle, createActivities) and local fake
 * Slack and Google spoken to by the real @slack/web-api and googleapis clients.
 *
 * The expected customer lists are computed here from the seeded customer base with the product's
 * rules (usage level, +1 when integration-dependent; order by impact, then ARR), independently of
 * domain/impact.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { incidentSettings, type Config } from '../../config';
import { formatArr } from '../../domain/money';
import type { IncidentEvent } from '../../domain/types';
import { incidentEventSignal, incidentWorkflowId, WORKFLOW_TYPES } from '../../workflows/contract';
import type { FakeMessage, FakeSlack } from '../fakes/slack';
import type { FakeGmail } from '../fakes/gmail';
import type { TestDb } from '../helpers/db';
import { startStack, type Stack } from '../helpers/stack';
import { waitingUpTo } from '../helpers/wait-for';

type Usage = 'heavy' | 'moderate' | 'light';
type Level = 'high' | 'medium' | 'low';

const CSMS = [
  { email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UANA', managerEmail: 'lee@corp.example' },
  { email: 'ben@corp.example', name: 'Ben Okafor', slackUserId: 'UBEN', managerEmail: 'lee@corp.example' },
  // No Slack id on record: found with users.lookupByEmail.
  { email: 'cat@corp.example', name: 'Cat Moreau', managerEmail: 'mia@corp.example' },
  { email: 'dan@corp.example', name: 'Dan Berg', slackUserId: 'UDAN', managerEmail: 'mia@corp.example' },
  { email: 'lee@corp.example', name: 'Lee Park', slackUserId: 'ULEE' },
  { email: 'mia@corp.example', name: 'Mia Sato', slackUserId: 'UMIA' },
];
const SLACK_USERS = [
  { id: 'UANA', email: 'ana@corp.example', name: 'ana', tz: 'America/New_York' },
  { id: 'UBEN', email: 'ben@corp.example', name: 'ben', tz: 'Europe/Paris' },
  { id: 'UCAT', email: 'cat@corp.example', name: 'cat', tz: 'Asia/Tokyo' },
  { id: 'UDAN', email: 'dan@corp.example', name: 'dan' },
  { id: 'ULEE', email: 'lee@corp.example', name: 'lee' },
  { id: 'UMIA', email: 'mia@corp.example', name: 'mia' },
];

interface SeedCustomer { externalId: string; name: string; arr: number; csmEmail: string; component: string; usage: Usage; integrationDependent: boolean; contactEmail: string }

/** 24 customers: Ana, Ben and Cat's use the API gateway or search; Dan's only billing. */
const CUSTOMERS: SeedCustomer[] = Array.from({ length: 24 }, (_, i) => {
  const csm = CSMS[i % 4];
  const usage = (['heavy', 'moderate', 'light'] as const)[(i * 7) % 3];
  return {
    externalId: `acct-${String(i + 1).padStart(2, '0')}`,
    name: `Customer${String(i + 1).padStart(2, '0')}`,
    arr: 40_000 + ((i * 7) % 24) * 15_000, // distinct ARR values
    csmEmail: csm.email,
    component: csm.email === 'dan@corp.example' ? 'billing' : i % 3 === 0 ? 'search' : 'api-gateway',
    usage,
    integrationDependent: i % 5 === 0,
    contactEmail: `ops@customer${i + 1}.example`,
  };
});
// One of Ana's customers only uses billing: never part of the API incident.
CUSTOMERS.push({ externalId: 'acct-99', name: 'BillingOnly', arr: 990_000, csmEmail: 'ana@corp.example', component: 'billing', usage: 'heavy', integrationDependent: false, contactEmail: 'ops@billingonly.example' });

const segmentOf = (arr: number) => (arr >= 300_000 ? 'enterprise' : arr >= 150_000 ? 'mid-market' : 'smb');

const customerBase = {
  csms: CSMS,
  components: [{ key: 'api-gateway', name: 'API Gateway' }, { key: 'search', name: 'Search' }, { key: 'billing', name: 'Billing' }],
  customers: CUSTOMERS.map((c) => ({
    externalId: c.externalId, name: c.name, arr: c.arr, segment: segmentOf(c.arr), region: 'us-east', csmEmail: c.csmEmail,
    contactName: `${c.name} Ops`, contactEmail: c.contactEmail,
    components: [{ key: c.component, usage: c.usage, integrationDependent: c.integrationDependent }],
  })),
  templates: [
    { key: 'major-investigating', status: 'investigating', body: 'We are investigating {{incident.title}} and will update you every 30 minutes.', approvedBy: 'comms@corp.example' },
  ],
};

const LEVELS: Level[] = ['low', 'medium', 'high'];
const EMOJI: Record<Level, string> = { high: ':rotating_light:', medium: ':warning:', low: ':large_blue_circle:' };

function expectedFor(csmEmail: string, components: string[]): { name: string; level: Level; arr: number; contactEmail: string }[] {
  return CUSTOMERS
    .filter((c) => c.csmEmail === csmEmail && components.includes(c.component))
    .map((c) => {
      const base = { light: 0, moderate: 1, heavy: 2 }[c.usage];
      return { name: c.name, arr: c.arr, contactEmail: c.contactEmail, level: LEVELS[Math.min(base + (c.integrationDependent ? 1 : 0), 2)] };
    })
    .sort((a, b) => LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level) || b.arr - a.arr);
}

/** The numbered list of an alert's fallback text: [emoji, name, ARR text]. */
function listedCustomers(text: string): [string, string, string][] {
  return [...text.matchAll(/^\d+\. (:[a-z_]+:) (\S+) - (\$[\d.]+[KMB]?) ARR - .+$/gm)].map((m) => [m[1], m[2], m[3]]);
}

const waitFor = waitingUpTo(60_000);

function event(externalId: string, fields: Partial<IncidentEvent>): IncidentEvent {
  const now = new Date().toISOString();
  return { source: 'pagerduty', externalId, status: 'investigating', startedAt: now, occurredAt: now, deliveryId: `${externalId}-1`, ...fields };
}

describe('incident notifications end to end (dev server, Postgres, fake Slack and Gmail)', () => {
  let stack: Stack<'slack' | 'gmail'>;
  let env: TestWorkflowEnvironment;
  let t: TestDb;
  let slack: FakeSlack;
  let google: FakeGmail;
  let config: Config;

  async function startIncident(e: IncidentEvent): Promise<string> {
    const workflowId = incidentWorkflowId(e.source, e.externalId);
    await env.client.workflow.signalWithStart(WORKFLOW_TYPES.incident, {
      workflowId, taskQueue: config.temporal.taskQueue, args: [{ settings: incidentSettings(config) }],
      signal: incidentEventSignal, signalArgs: [e],
    });
    return workflowId;
  }

  const dmsAbout = (userId: string, title: string): FakeMessage[] => slack.dmsTo(userId).filter((m) => m.text.includes(title));

  before(async () => {
    stack = await startStack({
      slack: { users: SLACK_USERS }, gmail: true, customerBase, config: { TEMPORAL_TASK_QUEUE: 'it-incident-notifications' },
    });
    ({ env, testDb: t, slack, gmail: google, config } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  test('a P1: one DM per affected CSM with exactly their customers, in order, with their total; one war room; drafts for high impact', async () => {
    const title = 'API Latency Issues';
    const components = ['api-gateway', 'search'];
    const workflowId = await startIncident(event('IT-P1-1', { title, severity: 'P1', components, statusPageUrl: 'https://status.example.com/1' }));
    const affected = [['UANA', 'ana@corp.example'], ['UBEN', 'ben@corp.example'], ['UCAT', 'cat@corp.example']] as const;

    for (const [userId, email] of affected) {
      const [dm] = await waitFor(`${email}'s alert`, () => dmsAbout(userId, title).length > 0 && dmsAbout(userId, title));
      const expected = expectedFor(email, components);
      assert.ok(expected.length >= 4, 'each CSM has several affected customers');
      assert.deepEqual(listedCustomers(dm.text), expected.map((c) => [EMOJI[c.level], c.name, formatArr(c.arr)]), `${email}'s list`);
      assert.match(dm.text, new RegExp(`Your Affected Customers \\(${expected.length}\\):`));
      assert.ok(dm.text.includes(`Total ARR at Risk: ${formatArr(expected.reduce((s, c) => s + c.arr, 0))}`), `${email}'s total`);
      assert.match(dm.text, /^:rotating_light: P1 INCIDENT: API Latency Issues\n\nIncident: IT-P1-1\nStatus: Investigating\n/);
      assert.match(dm.text, /Approved Messaging:\n"We are investigating API Latency Issues and will update you every 30 minutes\."/);
      assert.ok(!dm.text.includes('BillingOnly'));
    }
    // Ana's start time is in her Slack time zone.
    assert.match(dmsAbout('UANA', title)[0].text, /Started: \d{1,2}:\d{2} [AP]M E[SD]T/);
    assert.equal(slack.dmsTo('UDAN').length, 0, 'a CSM without affected customers hears nothing');

    const room = await waitFor('the war room', () => slack.channelByName('incident-it-p1-1-response'));
    await waitFor('war-room invitations', () => ['UANA', 'UBEN', 'UCAT', 'ULEE', 'UMIA'].every((u) => room.members.has(u)));
    assert.ok(!room.members.has('UDAN'));
    assert.equal([...slack.channels.values()].filter((c) => !c.isIm).length, 1);
    await waitFor('the war-room summary', () => slack.messagesIn(room.id).some((m) => m.text.includes(title)));

    // Drafts in each CSM's own mailbox, to exactly their high-impact customers.
    for (const [, email] of affected) {
      const want = expectedFor(email, components).filter((c) => c.level === 'high').map((c) => c.contactEmail).sort();
      assert.ok(want.length > 0);
      const got = await waitFor(`${email}'s drafts`, () => {
        const drafts = google.draftsIn(email).map((d) => d.parsed.to.replace(/^.*<|>$/g, '')).sort();
        return drafts.length >= want.length && drafts;
      });
      assert.deepEqual(got, want, `${email}'s drafts`);
    }
    const high = await waitFor('outreach drafted in Postgres', async () => {
      const rows = await t.db.selectFrom('incident_customer_impact').innerJoin('product_incidents', 'product_incidents.id', 'incident_customer_impact.incident_id')
        .select(['incident_customer_impact.outreach_status']).where('product_incidents.workflow_id', '=', workflowId)
        .where('incident_customer_impact.impact_level', '=', 'high').execute();
      return rows.length > 0 && rows.every((r) => r.outreach_status === 'drafted') && rows;
    });
    assert.equal(high.length, affected.flatMap(([, e]) => expectedFor(e, components)).filter((c) => c.level === 'high').length);

    // Nothing twice: a moment later still one alert each and one outbox row per alert.
    await new Promise((r) => setTimeout(r, 1500));
    for (const [userId] of affected) assert.equal(dmsAbout(userId, title).length, 1);
    const alerts = await t.db.selectFrom('notifications').select(['status']).where('kind', '=', 'alert').execute();
    assert.deepEqual(alerts.map((a) => a.status), ['sent', 'sent', 'sent']);
  });

  test('a worker shut down while Slack is still answering, then replaced, sends no duplicate DM', async () => {
    const title = 'Billing Outage';
    // Slack records each DM at once but answers 15 s later: the worker goes away in between.
    slack.delay('chat.postMessage', 15_000);
    const workflowId = await startIncident(event('IT-P2-2', { title, severity: 'P2', components: ['billing'] }));
    await waitFor('a DM reaching Slack', () => dmsAbout('UDAN', title).length + dmsAbout('UANA', title).length > 0);
    await stack.stopWorker();
    slack.delay('chat.postMessage', 0);
    await stack.startWorker();

    for (const userId of ['UDAN', 'UANA']) await waitFor(`${userId}'s alert`, () => dmsAbout(userId, title).length > 0);
    const sent = await waitFor('both alerts recorded as sent', async () => {
      const rows = await t.db.selectFrom('notifications').innerJoin('product_incidents', 'product_incidents.id', 'notifications.incident_id')
        .select(['notifications.status', 'notifications.attempts', 'notifications.provider_ref']).where('product_incidents.workflow_id', '=', workflowId)
        .where('notifications.kind', '=', 'alert').execute();
      return rows.length === 2 && rows.every((r) => r.status === 'sent') && rows;
    });
    await waitFor('the war-room summary', () => {
      const room = slack.channelByName('incident-it-p2-2-response');
      return room && slack.messagesIn(room.id).length > 0;
    });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(dmsAbout('UDAN', title).length, 1, 'Dan got exactly one alert');
    assert.equal(dmsAbout('UANA', title).length, 1, 'Ana got exactly one alert');
    // The replacement worker recognised the message the first one had posted.
    assert.ok(slack.calls('conversations.history').length > 0, 'the retry looked for the earlier message');
    for (const row of sent) {
      const dm = slack.messages.find((m) => m.ts === row.provider_ref);
      assert.ok(dm && dm.text.includes(title), 'the outbox points at the DM that was delivered');
    }
  });
});
