/**
 * Outreach tracked without clicks, against the local Google: Forewarn drafts in the CSM's mailbox (the
 * real Gmail activity), the CSM sends one from Gmail, the customer replies in the thread; the tracking
 * run moves outreach to sent, then responded, with actor 'gmail', on the timeline and in the audit log,
 * and tells the incident workflow. Manual marks keep working and win when they come first.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../config';
import { createGmailActivities } from '../../activities/gmail';
import { createOutreachTrackingActivities } from '../../activities/outreach-tracking';
import { changeOutreach } from '../../db/outreach';
import type { CustomerStateV1 } from '../../domain/incident/v1';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { FakeGmail } from '../fakes/gmail';
import { exampleIncident } from '../helpers/incident';
import { seedBase, seedIncident, type Seed } from '../api/support/seed';

const INCIDENT = '7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918';
const incident = exampleIncident({ id: INCIDENT });
const ana = { email: 'ana@corp.example', name: 'Ana Ruiz' };

describe('outreach tracking against the fake Gmail', () => {
  let google: FakeGmail;
  let keyFile: string;
  let t: TestDb;
  let s: Seed;
  let signals: { workflowId: string; arg: { customerId: string; status: string } }[];

  before(async () => {
    google = await FakeGmail.start();
    keyFile = google.writeServiceAccountKey();
  });
  after(async () => {
    await t?.close();
    await google.close();
    await stopTestPostgres();
  });
  beforeEach(async () => {
    await t?.close();
    t = await createTestDb();
    google.reset();
    signals = [];
    s = await seedBase(t.db);
    await seedIncident(t.db, { id: INCIDENT, externalId: 'API-1', impacts: [
      [s.customer.techcorp, 'high', 1, 'pending'], [s.customer.smallbiz, 'low', 2, 'pending'],
    ] });
    await t.db.updateTable('customers').set({ contact_email: 'ops@smallbiz.example', contact_name: 'Kim Park' }).where('id', '=', s.customer.smallbiz).execute();
  });

  const config = (env: Record<string, string> = {}) => loadConfig({
    NODE_ENV: 'test', GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile, GMAIL_API_ROOT_URL: google.rootUrl, GOOGLE_TOKEN_URL: google.tokenUrl, ...env,
  });
  const temporal = {
    workflow: {
      getHandle: (workflowId: string) => ({
        signal: async (_def: unknown, arg: { customerId: string; status: string }) => { signals.push({ workflowId, arg }); },
      }),
    },
  } as unknown as Client;
  const tracking = (env?: Record<string, string>) => createOutreachTrackingActivities({ config: config(env), db: t.db, temporal });

  /** Forewarn drafts both customers' emails in Ana's mailbox, as the incident workflow does. */
  async function draftBoth() {
    const customer = (id: string, name: string, contactEmail: string, level: 'high' | 'low', rank: number): CustomerStateV1 => ({
      id, externalId: name, name, arr: 1, segment: 'enterprise', region: 'us-east', csmEmail: ana.email, contactName: name, contactEmail,
      impactLevel: level, reason: 'uses the API', componentNames: ['API Gateway'], businessImpact: 1, priorityRank: rank, outreachStatus: 'pending', stillAffected: true,
    });
    const gmail = createGmailActivities({ config: config(), db: t.db });
    const results = await gmail.draftCustomerEmails({
      idempotencyPrefix: 'incident:pagerduty:API-1:outreach:1', kind: 'outreach', send: false, incident, csm: ana,
      customers: [customer(s.customer.techcorp, 'TechCorp', 'sam@techcorp.example', 'high', 1), customer(s.customer.smallbiz, 'SmallBiz', 'ops@smallbiz.example', 'low', 2)],
    });
    assert.deepEqual(results.map((r) => r.status), ['drafted', 'drafted']);
    for (const id of [s.customer.techcorp, s.customer.smallbiz]) {
      assert.equal((await changeOutreach(t.db, { incidentId: INCIDENT, customerId: id, status: 'drafted', actor: 'forewarn', at: new Date().toISOString() })).ok, true);
    }
    const draftTo = (to: string) => google.drafts.find((d) => d.parsed.to.includes(to))!;
    return { techcorp: draftTo('sam@techcorp.example'), smallbiz: draftTo('ops@smallbiz.example') };
  }

  const outreach = async (customerId: string) => (await t.db.selectFrom('incident_customer_impact')
    .select(['outreach_status', 'customer_notified_at', 'outreach_updated_at']).where('incident_id', '=', INCIDENT).where('customer_id', '=', customerId)
    .executeTakeFirstOrThrow());

  test('a draft the CSM sends from Gmail moves outreach to sent; the customer\'s reply to responded', async () => {
    const drafts = await draftBoth();
    const run = tracking();
    // Nothing sent yet: both stay drafted.
    assert.deepEqual(await run.trackOutreachInGmail({}), { checked: 2, sent: 0, responded: 0, skippedMailboxes: [] });
    assert.equal((await outreach(s.customer.techcorp)).outreach_status, 'drafted');

    const sentAt = Date.parse('2026-01-29T19:40:00Z');
    const sent = google.sendDraft(drafts.techcorp.id, sentAt);
    assert.deepEqual(await run.trackOutreachInGmail({}), { checked: 2, sent: 1, responded: 0, skippedMailboxes: [] });
    const afterSend = await outreach(s.customer.techcorp);
    assert.equal(afterSend.outreach_status, 'sent');
    // First contact is when Gmail sent it, not when Forewarn noticed (the escalation metric splits on it).
    assert.equal(afterSend.customer_notified_at?.toISOString(), '2026-01-29T19:40:00.000Z');
    assert.equal((await outreach(s.customer.smallbiz)).outreach_status, 'drafted');
    // TechCorp is high impact: the incident workflow hears that Ana acted (no escalation to her manager).
    assert.deepEqual(signals.map((x) => [x.workflowId, x.arg.customerId, x.arg.status]), [['incident:pagerduty:API-1', s.customer.techcorp, 'sent']]);

    google.receiveReply(sent, 'Sam Lee <sam@techcorp.example>', 'We see errors too', sentAt + 600_000);
    assert.deepEqual(await run.trackOutreachInGmail({}), { checked: 2, sent: 0, responded: 1, skippedMailboxes: [] });
    assert.equal((await outreach(s.customer.techcorp)).outreach_status, 'responded');
    // Responded is no longer watched; the next run reads only SmallBiz.
    assert.deepEqual(await run.trackOutreachInGmail({}), { checked: 1, sent: 0, responded: 0, skippedMailboxes: [] });

    const timeline = await t.db.selectFrom('incident_updates').select(['summary', 'actor']).where('incident_id', '=', INCIDENT).where('kind', '=', 'outreach').orderBy('occurred_at').execute();
    assert.deepEqual(timeline.filter((e) => e.actor === 'gmail').map((e) => e.summary), [
      'Outreach to TechCorp: sent — sent from Gmail', 'Outreach to TechCorp: responded — the customer replied in Gmail',
    ]);
    const audit = await t.db.selectFrom('audit_log').select(['actor_kind', 'actor_id', 'action', 'target']).where('actor_id', '=', 'gmail').orderBy('id').execute();
    assert.deepEqual(audit.map((a) => [a.actor_kind, a.action, a.target]), [['system', 'outreach.changed', s.customer.techcorp], ['system', 'outreach.changed', s.customer.techcorp]]);
    // Reading took the read scope; drafting never did.
    assert.ok(google.calls('threads.get').length >= 1);
  });

  test('sent and answered between two runs: sent, then responded, in one run', async () => {
    const drafts = await draftBoth();
    const sent = google.sendDraft(drafts.smallbiz.id, Date.parse('2026-01-29T19:40:00Z'));
    google.receiveReply(sent, 'ops@smallbiz.example', 'ok', Date.parse('2026-01-29T19:45:00Z'));
    assert.deepEqual(await tracking().trackOutreachInGmail({}), { checked: 2, sent: 1, responded: 1, skippedMailboxes: [] });
    assert.equal((await outreach(s.customer.smallbiz)).outreach_status, 'responded');
    // Low impact: nothing to tell the workflow about escalations, but it hears of the send all the same.
    assert.deepEqual(signals.map((x) => x.arg.status), ['sent']);
  });

  test('manual marks keep working: a CSM\'s mark first wins, the reply still moves it on; the CSM\'s own follow-up is no reply', async () => {
    const drafts = await draftBoth();
    const byHand = await changeOutreach(t.db, { incidentId: INCIDENT, customerId: s.customer.techcorp, status: 'sent', actor: 'ana@corp.example', at: '2026-01-29T19:39:00Z' });
    assert.equal(byHand.ok, true);
    const sent = google.sendDraft(drafts.techcorp.id, Date.parse('2026-01-29T19:40:00Z'));
    assert.deepEqual(await tracking().trackOutreachInGmail({}), { checked: 2, sent: 0, responded: 0, skippedMailboxes: [] });
    assert.equal((await outreach(s.customer.techcorp)).customer_notified_at?.toISOString(), '2026-01-29T19:39:00.000Z');
    // Ana writes again in the thread: her own message is not the customer's reply.
    google.receiveReply(sent, 'Ana Ruiz <ana@corp.example>', 'One more thing', Date.parse('2026-01-29T19:50:00Z'));
    assert.deepEqual(await tracking().trackOutreachInGmail({}), { checked: 2, sent: 0, responded: 0, skippedMailboxes: [] });
    google.receiveReply(sent, 'sam@techcorp.example', 'Thanks', Date.parse('2026-01-29T19:55:00Z'));
    assert.deepEqual(await tracking().trackOutreachInGmail({}), { checked: 2, sent: 0, responded: 1, skippedMailboxes: [] });
    // A CSM can still mark by hand after Gmail did (followed up).
    assert.equal((await changeOutreach(t.db, { incidentId: INCIDENT, customerId: s.customer.techcorp, status: 'followed_up', actor: 'ana@corp.example', at: new Date().toISOString() })).ok, true);
  });

  test('a mailbox Gmail will not let Forewarn read is skipped and named; tracking can be switched off', async () => {
    await draftBoth();
    google.denyMailbox('ana@corp.example');
    assert.deepEqual(await tracking().trackOutreachInGmail({}), { checked: 0, sent: 0, responded: 0, skippedMailboxes: ['ana@corp.example'] });
    google.reset();
    assert.deepEqual(await tracking({ GMAIL_TRACK_OUTREACH: 'false' }).trackOutreachInGmail({}), { checked: 0, sent: 0, responded: 0, skippedMailboxes: [] });
    assert.equal(google.requests.length, 0);
  });
});
