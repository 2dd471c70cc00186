import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebClient } from '@slack/web-api';
import { loadConfig } from '../../config';
import { createSlackActivities } from '../../activities/slack';
import { NOTIFICATION_EVENT } from '../../activities/slack-post';
import type { IncidentActivities } from '../../activities/types';
import type { CsmStateV1 as CsmState, CustomerStateV1 as CustomerState } from '../../domain/incident/v1';
import { sql } from 'kysely';
import { claimOutbox, noteAttempt } from '../../db/outbox';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { BOT_USER, FakeSlack } from '../fakes/slack';
import { exampleIncident } from '../helpers/incident';

const incident = exampleIncident({ id: '0d5c3f4e-8a1b-4c2d-9e3f-a1b2c3d4e5f6', components: ['api-gateway'], statusPageUrl: 'https://status.example.com/incidents/1' });
const totals = { customers: 3, arrAtRisk: 875_000, businessImpact: 100, highImpact: 2 };

function customer(rank: number, name: string, arr: number, impactLevel: CustomerState['impactLevel'], csmEmail: string): CustomerState {
  return {
    id: `00000000-0000-4000-8000-00000000000${rank}`, externalId: `acct-${rank}`, name, arr, segment: 'enterprise', region: 'us-east', csmEmail,
    contactName: `${name} Ops`, contactEmail: `ops@${name.toLowerCase()}.example`, impactLevel, reason: 'Heavy API Gateway user',
    componentNames: ['API Gateway'], businessImpact: 1, priorityRank: rank, outreachStatus: 'pending', stillAffected: true,
  };
}

const ana: CsmState = { email: 'ana@corp.example', name: 'Ana Ruiz', managerEmail: 'lee@corp.example' };
const bo: CsmState = { email: 'bo@corp.example', name: 'Bo Chen', slackUserId: 'UBO' };
const anaCustomers = [customer(1, 'TechCorp', 500_000, 'high', ana.email), customer(2, 'GlobalInc', 350_000, 'medium', ana.email)];

describe('Slack activities against a local Slack', () => {
  let slack: FakeSlack;
  let testDb: TestDb;
  let activities: Pick<IncidentActivities, 'sendCsmMessage' | 'notifyCsm' | 'ensureWarRoom' | 'postToWarRoom' | 'inviteToWarRoom'>;

  before(async () => {
    slack = await FakeSlack.start({
      users: [
        { id: 'UANA', email: 'ana@corp.example', name: 'Ana Ruiz', tz: 'America/New_York' },
        { id: 'UBO', email: 'bo@corp.example', name: 'Bo Chen', tz: 'Europe/Paris' },
        { id: 'ULEE', email: 'lee@corp.example', name: 'Lee Park', tz: 'America/Los_Angeles' },
      ],
    });
  });
  after(async () => {
    await slack.close();
    await stopTestPostgres();
  });

  beforeEach(async () => {
    await testDb?.close();
    testDb = await createTestDb();
    const { db } = testDb;
    await db.insertInto('csms').values([
      { email: ana.email, name: ana.name, manager_email: 'lee@corp.example' },
      { email: bo.email, name: bo.name, slack_user_id: 'UBO' },
      { email: 'lee@corp.example', name: 'Lee Park' },
    ]).execute();
    await db.insertInto('components').values({ key: 'api-gateway', name: 'API Gateway' }).execute();
    await db.insertInto('message_templates').values([
      { key: 'p1-investigating', severity: 'P1', status: 'investigating', body: "We're currently experiencing {{incident.title}}. Updates every 30 minutes.", approved_by: 'comms@corp.example', approved_at: new Date(), state: 'active', version: 2 },
      { key: 'p1-investigating-draft', severity: 'P1', status: 'investigating', components: ['api-gateway'], body: 'UNAPPROVED DRAFT', version: 9 },
      // An approved version that a later one superseded is never used either, however well it matches.
      { key: 'p1-investigating', severity: 'P1', status: 'investigating', components: ['api-gateway'], body: 'SUPERSEDED WORDING', version: 1, approved_by: 'comms@corp.example', approved_at: new Date(), state: 'superseded' },
    ]).execute();
    await db.insertInto('product_incidents').values({
      id: incident.id, source: incident.source, external_id: incident.externalId, workflow_id: incident.workflowId, title: incident.title,
      severity: incident.severity, status: incident.status, affected_components: incident.components, started_at: incident.startedAt,
    }).execute();
    slack.reset();
    const config = loadConfig({ NODE_ENV: 'test', SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl });
    activities = createSlackActivities({ config, db });
  });
  after(async () => { await testDb?.close(); });

  const alert = (csm: CsmState, key: string, extra: Partial<Parameters<IncidentActivities['notifyCsm']>[0]> = {}) => activities.notifyCsm({
    idempotencyKey: key, kind: 'alert', incident, csm, customers: anaCustomers, totals, dashboardUrl: 'http://127.0.0.1:3000/dashboard', ...extra,
  });

  test('one DM per key: a second call with the same key sends nothing and returns the first message', async () => {
    const first = await alert(ana, 'k-alert-ana');
    const second = await alert(ana, 'k-alert-ana');
    assert.equal(first.status, 'sent');
    assert.deepEqual({ status: second.status, channel: second.channel, ts: second.ts }, { status: 'duplicate', channel: first.channel, ts: first.ts });
    const dms = slack.dmsTo('UANA');
    assert.equal(dms.length, 1);
    assert.equal(slack.calls('chat.postMessage').length, 1);
    // The CSM's own customers, the start time in the CSM's zone (from users.info), the approved text only.
    assert.match(dms[0].text, /^:rotating_light: P1 INCIDENT: API Latency Issues\n\nIncident: API-2026-0129-001\nStatus: Investigating\nStarted: Jan 29, 2:30 PM EST\n/);
    assert.match(dms[0].text, /1\. :rotating_light: TechCorp - \$500K ARR - Heavy API Gateway user\n2\. :warning: GlobalInc - \$350K ARR/);
    assert.match(dms[0].text, /Total ARR at Risk: \$850K/);
    assert.match(dms[0].text, /Approved Messaging:\n"We're currently experiencing API Latency Issues\. Updates every 30 minutes\."/);
    assert.ok(!JSON.stringify(dms[0].blocks).includes('UNAPPROVED'));
    assert.ok(!JSON.stringify(dms[0].blocks).includes('SUPERSEDED'));
    assert.deepEqual(dms[0].metadata, { event_type: NOTIFICATION_EVENT, event_payload: { idempotency_key: 'k-alert-ana' } });

    const row = await testDb.db.selectFrom('notifications').selectAll().where('idempotency_key', '=', 'k-alert-ana').executeTakeFirstOrThrow();
    assert.equal(row.status, 'sent');
    assert.equal(row.provider_ref, first.ts);
    assert.equal(row.provider_channel, first.channel);
    assert.equal(row.incident_id, incident.id);
    assert.deepEqual([row.template_key, row.template_version], ['p1-investigating', 2], 'the notification records the template version it used');
    assert.equal(row.recipient, ana.email);
    // Looked up by email once, then remembered with the time zone.
    const stored = await testDb.db.selectFrom('csms').select(['slack_user_id', 'time_zone']).where('email', '=', ana.email).executeTakeFirstOrThrow();
    assert.deepEqual(stored, { slack_user_id: 'UANA', time_zone: 'America/New_York' });
    await alert(ana, 'k-alert-ana-2');
    assert.equal(slack.calls('users.lookupByEmail').length, 1);
    assert.equal(slack.calls('users.info').length, 1);
  });

  test('an update goes into the alert thread, not a new DM', async () => {
    const first = await alert(ana, 'k-a');
    const update = await activities.notifyCsm({
      idempotencyKey: 'k-u1', kind: 'update', incident: { ...incident, status: 'identified' }, csm: ana, customers: anaCustomers, totals,
      dashboardUrl: 'http://x/dashboard', thread: { channel: first.channel!, ts: first.ts! }, changes: ['Status: Investigating → Identified'],
    });
    assert.equal(update.status, 'sent');
    assert.equal(slack.dmsTo('UANA').length, 1);
    const replies = slack.repliesTo(first.channel!, first.ts!);
    assert.equal(replies.length, 1);
    assert.match(replies[0].text, /Status: Investigating → Identified/);
  });

  test('429 from chat.postMessage is retried after Retry-After and delivers once', async () => {
    slack.rateLimit('chat.postMessage', 1);
    const result = await alert(bo, 'k-429');
    assert.equal(result.status, 'sent');
    const posts = slack.calls('chat.postMessage');
    assert.equal(posts.length, 2);
    assert.equal(posts[0].status, 429);
    assert.ok(posts[1].at - posts[0].at >= 1000, `retried after ${posts[1].at - posts[0].at} ms`);
    assert.equal(slack.dmsTo('UBO').length, 1);
  });

  test('a permanent error is recorded and returned; other CSMs still get theirs', async () => {
    slack.failUser('ana@corp.example', 'users_not_found');
    {
      const failed = await alert(ana, 'k-ana-missing');
      const ok = await alert(bo, 'k-bo');
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error, 'users_not_found');
      assert.equal(ok.status, 'sent');
      const row = await testDb.db.selectFrom('notifications').selectAll().where('idempotency_key', '=', 'k-ana-missing').executeTakeFirstOrThrow();
      assert.equal(row.status, 'failed');
      assert.equal(row.error, 'users_not_found');
      assert.match(JSON.stringify(row.payload), /TechCorp/);
      assert.equal(slack.dmsTo('UANA').length, 0);
      assert.equal(slack.dmsTo('UBO').length, 1);
    }
  });

  test('a transient error is thrown for Temporal to retry; the retry sends once', async () => {
    slack.failNext('chat.postMessage', 'internal_error');
    await assert.rejects(alert(bo, 'k-transient'), /internal_error/);
    const pending = await testDb.db.selectFrom('notifications').selectAll().where('idempotency_key', '=', 'k-transient').executeTakeFirstOrThrow();
    assert.equal(pending.status, 'pending');
    assert.match(pending.error ?? '', /internal_error/);
    const retried = await alert(bo, 'k-transient');
    assert.equal(retried.status, 'sent');
    assert.equal(slack.dmsTo('UBO').length, 1);
  });

  test('an attempt that died after Slack posted is recognised by the message metadata, not posted again', async () => {
    // What a crashed attempt leaves behind: a claimed row with one attempt, and the message in Slack.
    const config = loadConfig({ NODE_ENV: 'test', SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl });
    await claimOutbox(testDb.db, { idempotencyKey: 'k-crash', incidentId: incident.id, channel: 'slack', recipient: bo.email, kind: 'alert', payload: {} });
    await noteAttempt(testDb.db, 'k-crash');
    const web = new WebClient(slack.token, { slackApiUrl: `${config.slack.apiUrl}/` });
    const im = await web.conversations.open({ users: 'UBO' });
    const earlier = await web.chat.postMessage({ channel: im.channel!.id!, text: 'alert', metadata: { event_type: NOTIFICATION_EVENT, event_payload: { idempotency_key: 'k-crash' } } });
    slack.requests.length = 0;

    const result = await alert(bo, 'k-crash');
    assert.equal(result.status, 'sent');
    assert.equal(result.ts, earlier.ts);
    assert.equal(slack.calls('chat.postMessage').length, 0);
    assert.equal(slack.dmsTo('UBO').length, 1);
    const row = await testDb.db.selectFrom('notifications').selectAll().where('idempotency_key', '=', 'k-crash').executeTakeFirstOrThrow();
    assert.equal(row.status, 'sent');
    assert.equal(row.provider_ref, earlier.ts);
  });

  test('escalation goes to the manager and names the silent CSM; no manager is a recorded failure', async () => {
    const result = await activities.notifyCsm({ idempotencyKey: 'k-esc', kind: 'escalation', incident, csm: ana, customers: anaCustomers, totals, dashboardUrl: 'http://x/dashboard' });
    assert.equal(result.status, 'sent');
    const dms = slack.dmsTo('ULEE');
    assert.equal(dms.length, 1);
    assert.match(dms[0].text, /ESCALATION: API Latency Issues\nAna Ruiz \(ana@corp\.example\) has not acknowledged/);
    assert.equal(slack.dmsTo('UANA').length, 0);
    const none = await activities.notifyCsm({ idempotencyKey: 'k-esc-bo', kind: 'escalation', incident, csm: bo, customers: [], totals, dashboardUrl: 'http://x/dashboard' });
    assert.deepEqual({ status: none.status, error: none.error }, { status: 'failed', error: 'no_manager' });
  });

  test('dry-run stores the rendered message without calling Slack', async () => {
    const dry = createSlackActivities({ config: loadConfig({ NODE_ENV: 'test' }), db: testDb.db });
    const result = await dry.notifyCsm({ idempotencyKey: 'k-dry', kind: 'alert', incident, csm: ana, customers: anaCustomers, totals, dashboardUrl: 'http://x/dashboard' });
    const again = await dry.notifyCsm({ idempotencyKey: 'k-dry', kind: 'alert', incident, csm: ana, customers: anaCustomers, totals, dashboardUrl: 'http://x/dashboard' });
    assert.equal(result.status, 'dry_run');
    assert.equal(again.status, 'duplicate');
    const room = await dry.ensureWarRoom({ idempotencyKey: 'k-dry-room', incident, memberSlackIds: ['UANA'], memberEmails: [], totals, dashboardUrl: 'http://x/dashboard' });
    assert.deepEqual(room, { channelId: 'dry-run:incident-api-2026-0129-001-response', name: 'incident-api-2026-0129-001-response' });
    const post = await dry.postToWarRoom({ idempotencyKey: 'k-dry-post', channelId: room!.channelId, incident, text: 'Status: identified' });
    assert.equal(post.status, 'dry_run');
    assert.equal(slack.requests.length, 0);
    const rows = await testDb.db.selectFrom('notifications').select(['idempotency_key', 'status', 'payload']).orderBy('idempotency_key').execute();
    assert.deepEqual(rows.map((r) => [r.idempotency_key, r.status]), [['k-dry', 'dry_run'], ['k-dry-post', 'dry_run'], ['k-dry-room', 'dry_run']]);
    assert.match((rows[0].payload as { text: string }).text, /Your Affected Customers \(2\):\n1\. :rotating_light: TechCorp/);
  });

  test('war room: created once, members invited, summary posted once; later posts once per key', async () => {
    const input = {
      idempotencyKey: 'k-room', incident, memberSlackIds: ['UBO', BOT_USER], memberEmails: ['ana@corp.example', 'lee@corp.example', 'ghost@corp.example'],
      totals, dashboardUrl: 'http://x/dashboard',
    };
    const room = await activities.ensureWarRoom(input);
    const again = await activities.ensureWarRoom(input);
    assert.ok(room);
    assert.deepEqual(again, room);
    assert.equal(room.name, 'incident-api-2026-0129-001-response');
    assert.equal(slack.calls('conversations.create').length, 1);
    const channel = slack.channels.get(room.channelId)!;
    assert.deepEqual([...channel.members].sort(), [BOT_USER, 'UANA', 'UBO', 'ULEE'].sort());
    assert.ok(channel.purpose.includes(incident.workflowId));
    const summaries = slack.messagesIn(room.channelId);
    assert.equal(summaries.length, 1);
    assert.match(summaries[0].text, /Affected Customers: 3 \(2 high impact\)   ARR at Risk: \$875K/);

    const p1 = await activities.postToWarRoom({ idempotencyKey: 'k-post-1', channelId: room.channelId, incident, text: 'Status: Investigating → Identified' });
    const p2 = await activities.postToWarRoom({ idempotencyKey: 'k-post-1', channelId: room.channelId, incident, text: 'Status: Investigating → Identified' });
    assert.equal(p1.status, 'sent');
    assert.equal(p2.status, 'duplicate');
    assert.equal(slack.messagesIn(room.channelId).length, 2);

    slack.addUser({ id: 'UNEW', email: 'new@corp.example', name: 'New CSM' });
    await activities.inviteToWarRoom({ channelId: room.channelId, slackUserIds: ['UBO', 'UNEW'] });
    assert.ok(channel.members.has('UNEW'));
  });

  test('war room: a retry after a crash between create and purpose reuses the channel; a stranger\'s channel is not reused', async () => {
    // Someone else's channel holds the natural name of this incident.
    slack.createChannel('incident-api-2026-0129-001-response', { purpose: 'another team' });
    const room = await activities.ensureWarRoom({ idempotencyKey: 'k-room-2', incident, memberSlackIds: ['UBO'], memberEmails: [], totals, dashboardUrl: 'http://x/dashboard' });
    assert.ok(room);
    assert.equal(room.name, 'incident-api-2026-0129-001-0d5c3f4e-response');
    assert.ok(slack.channels.get(room.channelId)!.members.has('UBO'));

    // Our bot created the channel and died before setting the purpose or recording anything.
    const other = { ...incident, id: '11111111-2222-4333-8444-555555555555', externalId: 'DB-7', workflowId: 'incident:pagerduty:DB-7' };
    slack.createChannel('incident-db-7-response', { creator: BOT_USER, members: [BOT_USER], isPrivate: true });
    const resumed = await activities.ensureWarRoom({ idempotencyKey: 'k-room-3', incident: other, memberSlackIds: [], memberEmails: [], totals, dashboardUrl: 'http://x/dashboard' });
    assert.equal(resumed?.channelId, slack.channelByName('incident-db-7-response')!.id);
    assert.ok(slack.channelByName('incident-db-7-response')!.purpose.includes(other.workflowId));
  });

  describe('sendCsmMessage: the CSM\'s own slice, read from Postgres', () => {
    const dashboardUrl = 'http://127.0.0.1:3000/dashboard';
    const bigTotals = { customers: 1003, arrAtRisk: 60_000_000, businessImpact: 1, highImpact: 101 };
    const send = (kind: Parameters<IncidentActivities['sendCsmMessage']>[0]['kind'], key: string, extra: Partial<Parameters<IncidentActivities['sendCsmMessage']>[0]> = {}) =>
      activities.sendCsmMessage({ idempotencyKey: key, kind, incident, csmEmail: ana.email, totals: bigTotals, dashboardUrl, ...extra });

    /**
     * Ana has 1,000 affected customers in the incident (every tenth one high impact, rank = number), Bo three;
     * rows inserted directly, as an impact analysis leaves them.
     */
    async function seedBigIncident(): Promise<void> {
      await sql`insert into customers (external_id, name, arr, segment, region, csm_id, contact_name, contact_email)
        select 'big-' || n, 'Customer ' || lpad(n::text, 4, '0'), 100000 - n * 10, 'enterprise', 'us-east',
          (select id from csms where email = case when n <= 1000 then ${ana.email} else ${bo.email} end), 'Ops ' || n, 'ops' || n || '@big.example'
        from generate_series(1, 1003) n`.execute(testDb.db);
      await sql`insert into incident_customer_impact (incident_id, customer_id, impact_level, reason, priority_rank, affected_revision)
        select ${incident.id}::uuid, c.id, case when substr(c.external_id, 5)::int % 10 = 1 then 'high' else 'medium' end,
          'Heavy API Gateway user', substr(c.external_id, 5)::int, 1
        from customers c where c.external_id like 'big-%'`.execute(testDb.db);
    }

    test('a 3-day reminder without a post-mortem asks the owner (the CSM\'s manager here) once; with one, it links it and asks nobody', async () => {
      await seedBigIncident();
      const done = { ...incident, status: 'resolved' as const, resolvedAt: '2026-01-29T21:45:00.000Z' };
      const first = await send('post_mortem', 'k-pm-ana', { incident: done });
      assert.equal(first.status, 'sent');
      assert.match(slack.dmsTo('UANA').at(-1)!.text, /no post-mortem yet: the incident's owner has been asked for it/);
      const asked = slack.dmsTo('ULEE');
      assert.equal(asked.length, 1);
      assert.match(asked[0]!.text, /^:memo: POST-MORTEM NEEDED: API Latency Issues\n.*affected 1003 customers of 2 CSMs/);
      // Bo has no manager: nobody else is asked; Ana's reminder again (a retry) asks Lee no second time.
      await send('post_mortem', 'k-pm-bo', { incident: done, csmEmail: bo.email });
      await send('post_mortem', 'k-pm-ana', { incident: done });
      assert.equal(slack.dmsTo('ULEE').length, 1);
      const row = await testDb.db.selectFrom('notifications').select(['kind', 'recipient', 'status']).where('kind', '=', 'post_mortem_request').execute();
      assert.deepEqual(row, [{ kind: 'post_mortem_request', recipient: 'lee@corp.example', status: 'sent' }]);

      // Linked through the API (on the incident row) before the workflow heard of it: the reminder links it.
      await testDb.db.updateTable('product_incidents').set({ post_mortem_url: 'https://wiki.example.com/pm/9' }).where('id', '=', incident.id).execute();
      await send('post_mortem', 'k-pm-ana-2', { incident: { ...done, resolvedAt: '2026-01-30T21:45:00.000Z' } });
      const linked = slack.dmsTo('UANA').at(-1)!;
      assert.match(JSON.stringify(linked.blocks), /"url":"https:\/\/wiki\.example\.com\/pm\/9"/);
      assert.equal(slack.dmsTo('ULEE').length, 1, 'nobody is asked for a post-mortem that exists');
    });

    const notifiedCount = async (csm: string) => Number((await sql<{ n: string }>`select count(*) as n from incident_customer_impact i
      join customers c on c.id = i.customer_id join csms s on s.id = c.csm_id
      where s.email = ${csm} and i.csm_notified_at is not null`.execute(testDb.db)).rows[0].n);

    test('the alert lists the top 10 of 1,000 by priority, says "and 990 more" with the CSM\'s dashboard link, and stamps csm_notified_at once', async () => {
      await seedBigIncident();
      const first = await send('alert', 'k-big-alert');
      assert.equal(first.status, 'sent');
      const dm = slack.dmsTo('UANA');
      assert.equal(dm.length, 1);
      const lines = dm[0].text.split('\n').filter((l) => /^\d+\. /.test(l));
      assert.deepEqual(lines.map((l) => l.split(' - ')[0].replace(/^\d+\. :\w+: /, '')), Array.from({ length: 10 }, (_, i) => `Customer ${String(i + 1).padStart(4, '0')}`));
      assert.match(dm[0].text, /Your Affected Customers \(1000\):/);
      assert.match(dm[0].text, /…and 990 more \(\$[\d.]+M ARR\): http:\/\/127\.0\.0\.1:3000\/dashboard#\/incidents\/0d5c3f4e-8a1b-4c2d-9e3f-a1b2c3d4e5f6\?csm=ana%40corp\.example/);
      // Total ARR: the sum over all 1,000 (100000 - 10n for n = 1..1000 = 94,995,000).
      assert.match(dm[0].text, /Total ARR at Risk: \$94\.995M/);
      assert.ok(JSON.stringify(dm[0].blocks).length < 40_000, 'the message stays small whatever the number of customers');
      assert.equal(await notifiedCount(ana.email), 1000);
      assert.equal(await notifiedCount(bo.email), 0, 'only the CSM\'s own customers');

      const again = await send('alert', 'k-big-alert');
      assert.equal(again.status, 'duplicate');
      assert.equal(slack.dmsTo('UANA').length, 1);
    });

    test('an update after a re-analysis names who is now also / no longer affected, and stamps only the newly affected', async () => {
      await seedBigIncident();
      const alert = await send('alert', 'k-rev-alert');
      // Revision 2 of the analysis: three of Ana's customers newly affected, two dropped.
      await sql`update incident_customer_impact set affected_revision = 2, csm_notified_at = null
        where customer_id in (select id from customers where external_id in ('big-500', 'big-501', 'big-502'))`.execute(testDb.db);
      await sql`update incident_customer_impact set impact_level = 'none', priority_rank = 0, unaffected_revision = 2
        where customer_id in (select id from customers where external_id in ('big-7', 'big-8'))`.execute(testDb.db);
      const update = await send('update', 'k-rev-update', { thread: { channel: alert.channel!, ts: alert.ts! }, changes: ['Components: API Gateway → API Gateway, Data Processing Pipeline'], analysisRevision: 2 });
      assert.equal(update.status, 'sent');
      const replies = slack.repliesTo(alert.channel!, alert.ts!);
      assert.equal(replies.length, 1);
      assert.match(replies[0].text, /Now also affected: Customer 0500, Customer 0501 and Customer 0502/);
      assert.match(replies[0].text, /No longer affected: Customer 0007 and Customer 0008/);
      assert.match(replies[0].text, /Your Affected Customers: 998/);
      assert.equal(await notifiedCount(ana.email), 1000, 'the three newly affected stamped again; the dropped two keep their stamp');
      const stamped = await sql<{ external_id: string }>`select c.external_id from incident_customer_impact i join customers c on c.id = i.customer_id
        where i.affected_revision = 2 and i.csm_notified_at is not null order by 1`.execute(testDb.db);
      assert.deepEqual(stamped.rows.map((r) => r.external_id), ['big-500', 'big-501', 'big-502']);
    });

    test('follow-up: skipped with nothing sent when no high-impact customer is owed a call; else lists those only', async () => {
      await seedBigIncident();
      await sql`update incident_customer_impact set outreach_status = 'responded' where impact_level = 'high'`.execute(testDb.db);
      const none = await send('follow_up', 'k-fu-1');
      assert.equal(none.status, 'skipped');
      assert.equal(slack.calls('chat.postMessage').length, 0);
      assert.equal(await testDb.db.selectFrom('notifications').select('id').where('idempotency_key', '=', 'k-fu-1').executeTakeFirst(), undefined);

      await sql`update incident_customer_impact set outreach_status = 'sent'
        where customer_id in (select id from customers where external_id in ('big-11', 'big-21', 'big-2'))`.execute(testDb.db);
      await testDb.db.insertInto('message_templates').values({
        key: 'p1-follow-up', severity: 'P1', status: 'follow_up', channel: 'slack', body: 'Checking in after {{incident.title}}: is everything back to normal for you?',
        approved_by: 'comms@corp.example', approved_at: new Date(), state: 'active', version: 1,
      }).execute();
      const some = await send('follow_up', 'k-fu-2');
      assert.equal(some.status, 'sent');
      const text = slack.dmsTo('UANA')[0].text;
      assert.match(text, /2 of your high-impact customers have not responded/);
      assert.match(text, /Approved Messaging: "Checking in after API Latency Issues: is everything back to normal for you\?"/);
      const row = await testDb.db.selectFrom('notifications').select(['template_key', 'template_version']).where('idempotency_key', '=', 'k-fu-2').executeTakeFirstOrThrow();
      assert.deepEqual([row.template_key, row.template_version], ['p1-follow-up', 1], 'the follow-up records the follow-up template it used');
      assert.deepEqual(text.split('\n').filter((l) => /^\d+\. /.test(l)).map((l) => l.split(' - ')[0].replace(/^\d+\. :\w+: /, '')), ['Customer 0011', 'Customer 0021']);
    });

    test('post-mortem counts every customer ever affected; escalation goes to the manager with the high-impact ones first', async () => {
      await seedBigIncident();
      await sql`update incident_customer_impact set impact_level = 'none', priority_rank = 0, unaffected_revision = 2
        where customer_id in (select id from customers where external_id in ('big-7', 'big-8'))`.execute(testDb.db);
      const pm = await send('post_mortem', 'k-pm');
      assert.equal(pm.status, 'sent');
      assert.match(slack.dmsTo('UANA')[0].text, /affected 1000 of your customers/);

      const esc = await send('escalation', 'k-esc-big');
      assert.equal(esc.status, 'sent');
      const dm = slack.dmsTo('ULEE').find((m) => m.text.includes('ESCALATION'))!.text;
      assert.match(dm, /Ana Ruiz \(ana@corp\.example\) has not acknowledged the P1 alert nor contacted any of their 100 high-impact customers/);
      assert.deepEqual(dm.split('\n').filter((l) => /^\d+\. /.test(l)).slice(0, 3).map((l) => l.split(' - ')[0].replace(/^\d+\. :\w+: /, '')), ['Customer 0001', 'Customer 0011', 'Customer 0021']);
      assert.match(dm, /…and 90 more/);
      const noManager = await activities.sendCsmMessage({ idempotencyKey: 'k-esc-bo-big', kind: 'escalation', incident, csmEmail: bo.email, totals: bigTotals, dashboardUrl });
      assert.deepEqual({ status: noManager.status, error: noManager.error }, { status: 'failed', error: 'no_manager' });
    });
  });
});
