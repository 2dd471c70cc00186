import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import { loadConfig } from '../../config';
import { createGmailActivities } from '../../activities/gmail';
import type { IncidentActivities } from '../../activities/types';
import type { CustomerStateV1 as CustomerState } from '../../domain/incident/v1';
import type { Csm } from '../../domain/types';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { FakeGmail } from '../fakes/gmail';
import { exampleIncident } from '../helpers/incident';

const incident = exampleIncident({ id: '7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918', statusPageUrl: 'https://status.example.com/incidents/1' });
const ana: Csm = { email: 'ana@corp.example', name: 'Ana Ruiz' };

function customer(n: number, name: string, contactEmail: string | undefined): CustomerState {
  return {
    id: `00000000-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`, externalId: `acct-${n}`, name, arr: 100_000 * n, segment: 'enterprise',
    region: 'us-east', csmEmail: ana.email, contactName: `Sam ${name}`, contactEmail, impactLevel: 'high', reason: 'Heavy API Gateway user',
    componentNames: ['API Gateway', 'Data Processing Pipeline'], businessImpact: 1, priorityRank: n, outreachStatus: 'pending', stillAffected: true,
  };
}
const techCorp = customer(1, 'TechCorp', 'sam@techcorp.example');
const globalInc = customer(2, 'GlobalInc', 'sam@globalinc.example');
const noContact = customer(3, 'NoContact', undefined);
const badAddress = customer(4, 'BadAddress', 'sam at badaddress');

describe('Gmail activities against a local Google', () => {
  let google: FakeGmail;
  let keyFile: string;
  let testDb: TestDb;
  let activities: Pick<IncidentActivities, 'draftCustomerEmails' | 'prepareCustomerEmails'>;

  before(async () => {
    google = await FakeGmail.start();
    keyFile = google.writeServiceAccountKey();
  });
  after(async () => {
    await testDb?.close();
    await google.close();
    await stopTestPostgres();
  });
  beforeEach(async () => {
    await testDb?.close();
    testDb = await createTestDb();
    await testDb.db.insertInto('components').values([{ key: 'api-gateway', name: 'API Gateway' }, { key: 'data-pipeline', name: 'Data Processing Pipeline' }]).execute();
    await testDb.db.insertInto('message_templates').values([
      { key: 'p1-investigating', severity: 'P1', status: 'investigating', approved_by: 'comms@corp.example', approved_at: new Date(), state: 'active',
        body: "We're currently experiencing {{incident.title}}. Our engineering team is actively investigating." },
      { key: 'resolved', status: 'resolved', approved_by: 'comms@corp.example', approved_at: new Date(), state: 'active', body: '{{incident.title}} is resolved.' },
      { key: 'p1-unapproved', severity: 'P1', status: 'investigating', components: ['api-gateway'], body: 'UNAPPROVED WORDING', version: 5 },
    ]).execute();
    google.reset();
    activities = createGmailActivities({ config: liveConfig(), db: testDb.db });
  });

  function liveConfig() {
    return loadConfig({ NODE_ENV: 'test', GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile, GMAIL_API_ROOT_URL: google.rootUrl, GOOGLE_TOKEN_URL: google.tokenUrl });
  }

  const draft = (customers: CustomerState[], extra: Partial<Parameters<IncidentActivities['draftCustomerEmails']>[0]> = {}) =>
    activities.draftCustomerEmails({ idempotencyPrefix: 'incident:pagerduty:API-2026-0129-001:outreach:1', kind: 'outreach', send: false, incident, csm: ana, customers, ...extra });

  test('a personalised draft per customer in the CSM\'s own mailbox, once per key', async () => {
    const first = await draft([techCorp, globalInc]);
    assert.deepEqual(first.map((r) => [r.customerId, r.status]), [[techCorp.id, 'drafted'], [globalInc.id, 'drafted']]);
    assert.equal(google.draftsIn('ana@corp.example').length, 2);
    // The token was obtained for the CSM's mailbox (service account impersonating her), once.
    assert.equal(google.calls('token').length, 1);
    assert.ok(google.calls('drafts.create').every((r) => r.mailbox === 'ana@corp.example'));

    const mail = google.drafts[0].parsed;
    assert.equal(mail.from, 'Ana Ruiz <ana@corp.example>');
    assert.equal(mail.to, 'Sam TechCorp <sam@techcorp.example>');
    assert.equal(mail.subject, 'API Latency Issues: update for TechCorp');
    assert.ok(mail.text.startsWith("Hi Sam,\n\nWe're currently experiencing API Latency Issues. Our engineering team is actively investigating."));
    assert.match(mail.text, /TechCorp relies on API Gateway and Data Processing Pipeline/);
    assert.match(mail.text, /https:\/\/status\.example\.com\/incidents\/1/);
    assert.ok(!mail.text.includes('UNAPPROVED'));

    const again = await draft([techCorp, globalInc]);
    assert.deepEqual(again.map((r) => r.status), ['duplicate', 'duplicate']);
    assert.deepEqual(again.map((r) => r.ref), first.map((r) => r.ref));
    assert.equal(google.drafts.length, 2);
    const rows = await testDb.db.selectFrom('notifications').select(['idempotency_key', 'status', 'provider_ref', 'channel', 'recipient', 'template_key', 'template_version']).orderBy('recipient').execute();
    assert.deepEqual(rows.map((r) => [r.status, r.channel, r.recipient]), [['drafted', 'email', 'sam@globalinc.example'], ['drafted', 'email', 'sam@techcorp.example']]);
    assert.ok(rows.every((r) => r.template_key === 'p1-investigating' && r.template_version === 1), 'each email records the template version it used');
    assert.ok(rows.every((r) => r.provider_ref && r.idempotency_key.startsWith('incident:pagerduty:API-2026-0129-001:outreach:1:')));
  });

  test('a customer without a usable address fails alone; the others are drafted', async () => {
    const results = await draft([noContact, techCorp, badAddress, globalInc]);
    assert.deepEqual(results.map((r) => [r.customerId, r.status, r.error]), [
      [noContact.id, 'failed', 'no_contact_email'],
      [techCorp.id, 'drafted', undefined],
      [badAddress.id, 'failed', 'invalid_address'],
      [globalInc.id, 'drafted', undefined],
    ]);
    assert.equal(google.drafts.length, 2);
    const failed = await testDb.db.selectFrom('notifications').select(['status', 'error']).where('status', '=', 'failed').orderBy('error').execute();
    assert.deepEqual(failed, [{ status: 'failed', error: 'invalid_address' }, { status: 'failed', error: 'no_contact_email' }]);
  });

  test('an address Gmail rejects is recorded as failed without blocking the next customer', async () => {
    // Passes our syntax check, but the (fake) Gmail refuses it like a malformed To header.
    google.failNext('drafts.create', 400, 'Invalid To header');
    const results = await draft([techCorp, globalInc]);
    assert.deepEqual(results.map((r) => r.status), ['failed', 'drafted']);
    assert.match(results[0].error ?? '', /Invalid To header/);
  });

  test('resolution emails can be sent instead of drafted', async () => {
    const resolved = { ...incident, status: 'resolved' as const, resolvedAt: '2026-01-29T21:45:00.000Z' };
    const results = await draft([techCorp], { kind: 'resolution', send: true, incident: resolved, idempotencyPrefix: 'res:1' });
    assert.equal(results[0].status, 'sent');
    assert.equal(google.sent.length, 1);
    assert.equal(google.drafts.length, 0);
    assert.equal(google.sent[0].parsed.subject, 'Resolved: API Latency Issues');
    assert.match(google.sent[0].parsed.text, /API Latency Issues is resolved\.[\s\S]*resolved after 2 hours 15 minutes/);
  });

  test('a temporary Gmail error is thrown after the others are done; the retry drafts only what is missing', async () => {
    google.failNext('drafts.create', 503, 'Backend Error');
    await assert.rejects(draft([techCorp, globalInc]), /1 email\(s\) for ana@corp\.example hit a temporary error: 503/);
    assert.equal(google.drafts.length, 1);
    const retry = await draft([techCorp, globalInc]);
    assert.deepEqual(retry.map((r) => r.status), ['drafted', 'duplicate']);
    assert.equal(google.drafts.length, 2);
  });

  test('a draft created by an attempt that died before recording it is found, not created again', async () => {
    await draft([techCorp]);
    // The crash: Gmail has the draft, the outbox still says pending.
    await testDb.db.updateTable('notifications').set({ status: 'pending', provider_ref: null }).execute();
    const fresh = createGmailActivities({ config: liveConfig(), db: testDb.db });
    const results = await fresh.draftCustomerEmails({ idempotencyPrefix: 'incident:pagerduty:API-2026-0129-001:outreach:1', kind: 'outreach', send: false, incident, csm: ana, customers: [techCorp] });
    assert.deepEqual(results.map((r) => [r.status, r.ref]), [['drafted', google.drafts[0].id]]);
    assert.equal(google.drafts.length, 1);
    assert.equal(google.calls('drafts.list').length, 1);
  });

  test('a mailbox without delegation fails that CSM\'s customers after one token attempt', async () => {
    google.denyMailbox('ana@corp.example');
    const results = await draft([techCorp, globalInc]);
    assert.deepEqual(results.map((r) => r.status), ['failed', 'failed']);
    assert.match(results[0].error ?? '', /mailbox_unavailable: .*unauthorized_client/);
    assert.equal(google.calls('token').length, 1);
    assert.equal(google.drafts.length, 0);
  });

  test('dry-run (no key file) renders into the outbox and calls nobody', async () => {
    const dry = createGmailActivities({ config: loadConfig({ NODE_ENV: 'test', GMAIL_API_ROOT_URL: google.rootUrl }), db: testDb.db });
    const results = await dry.draftCustomerEmails({ idempotencyPrefix: 'dry', kind: 'outreach', send: false, incident, csm: ana, customers: [techCorp, noContact] });
    assert.deepEqual(results.map((r) => r.status), ['dry_run', 'failed']);
    assert.equal(google.requests.length, 0);
    const row = await testDb.db.selectFrom('notifications').select(['status', 'payload']).where('status', '=', 'dry_run').executeTakeFirstOrThrow();
    assert.equal((row.payload as { subject: string }).subject, 'API Latency Issues: update for TechCorp');
  });

  describe('prepareCustomerEmails: the audience read from Postgres in pages', () => {
    const big = exampleIncident({ id: '7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918', components: ['api-gateway'], statusPageUrl: 'https://status.example.com/incidents/1' });
    const prefix = 'incident:pagerduty:API-2026-0129-001:outreach:1:ana@corp.example';
    const tuning = { pageSize: 200, quotaWait: { initialMs: 5, maxMs: 40 } };
    const input = (extra: Partial<Parameters<IncidentActivities['prepareCustomerEmails']>[0]> = {}): Parameters<IncidentActivities['prepareCustomerEmails']>[0] => ({
      idempotencyPrefix: prefix, kind: 'outreach', send: false, incident: big, csmEmail: ana.email, audience: 'high_pending', actor: 'forewarn', ...extra,
    });
    interface Progress { [key: string]: { after?: { rank: number; customerId: string }; done: number; failed: number; finished?: boolean } }

    /** `n` high-impact customers of Ana's, pending, rank = number; customer 1..n use the API Gateway. */
    async function seedAudience(n: number): Promise<void> {
      const { db } = testDb;
      await db.insertInto('csms').values({ email: ana.email, name: ana.name }).execute();
      await db.insertInto('product_incidents').values({
        id: big.id, source: big.source, external_id: big.externalId, workflow_id: big.workflowId, title: big.title,
        severity: big.severity, status: big.status, affected_components: big.components, started_at: big.startedAt,
      }).execute();
      await sql`insert into customers (external_id, name, arr, segment, region, csm_id, contact_name, contact_email)
        select 'c-' || k, 'Customer ' || lpad(k::text, 4, '0'), 1000, 'enterprise', 'us-east', (select id from csms where email = ${ana.email}),
          'Sam ' || k, 'sam' || k || '@customer' || k || '.example'
        from generate_series(1, ${n}) k`.execute(db);
      await sql`insert into customer_components (customer_id, component_id, usage_level)
        select c.id, (select id from components where key = 'api-gateway'), 'heavy' from customers c`.execute(db);
      await sql`insert into incident_customer_impact (incident_id, customer_id, impact_level, reason, priority_rank)
        select ${big.id}::uuid, c.id, 'high', 'Heavy API Gateway user', substr(c.external_id, 3)::int from customers c`.execute(db);
    }

    async function outreach(status: string): Promise<number> {
      const r = await sql<{ n: string }>`select count(*) as n from incident_customer_impact where outreach_status = ${status}`.execute(testDb.db);
      return Number(r.rows[0].n);
    }

    function uniqueDrafts(): number {
      return new Set(google.drafts.map((d) => d.parsed.messageId)).size;
    }

    test('500 customers: a draft each, in priority order, page by page with a heartbeat per customer; outreach moves per page', async () => {
      await seedAudience(500);
      const gmail = createGmailActivities({ config: liveConfig(), db: testDb.db }, tuning);
      const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 });
      const beats: Progress[] = [];
      env.on('heartbeat', (d: Progress) => beats.push(structuredClone(d)));
      const result = await env.run(gmail.prepareCustomerEmails, input());
      assert.deepEqual(result, { done: 500, failed: 0 });
      assert.equal(google.drafts.length, 500);
      assert.equal(uniqueDrafts(), 500);
      assert.equal(google.drafts[0].parsed.to, 'Sam 1 <sam1@customer1.example>');
      assert.match(google.drafts[0].parsed.text, /Customer 0001 relies on API Gateway/);
      assert.equal(google.drafts[499].parsed.subject, 'API Latency Issues: update for Customer 0500');
      assert.equal(await outreach('drafted'), 500);
      // A beat per customer at least, each carrying the resume point: the end of the last page written back.
      assert.ok(beats.length >= 500, `${beats.length} heartbeats`);
      const points = [...new Set(beats.map((b) => b[prefix]?.after?.rank ?? 0))];
      assert.deepEqual(points, [0, 200, 400, 500]);
      assert.deepEqual(beats.at(-1)![prefix], { ...beats.at(-1)![prefix], done: 500, failed: 0, finished: true });

      // Run again (the workflow retried, or the button pressed twice): nothing left in the audience, nothing drafted.
      const again = await createGmailActivities({ config: liveConfig(), db: testDb.db }, tuning).prepareCustomerEmails(input());
      assert.deepEqual(again, { done: 0, failed: 0 });
      assert.equal(google.drafts.length, 500);
    });

    test('a storm of 429 rateLimitExceeded and 403 userRateLimitExceeded is waited out: every draft made once, none failed', async () => {
      await seedAudience(20);
      const gmail = createGmailActivities({ config: liveConfig(), db: testDb.db }, tuning);
      google.failNext('drafts.create', 429, 'Too many concurrent requests for user', 8);
      const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 });
      let beats = 0;
      env.on('heartbeat', () => { beats += 1; });
      const first = env.run(gmail.prepareCustomerEmails, input({ audience: 'pending' }));
      const result = await first;
      assert.deepEqual(result, { done: 20, failed: 0 });
      assert.equal(google.calls('drafts.create').filter((r) => r.status === 429).length, 8);

      await sql`update incident_customer_impact set outreach_status = 'pending'`.execute(testDb.db);
      google.failNext('drafts.create', 403, 'User Rate Limit Exceeded', 5, undefined, 'userRateLimitExceeded');
      const second = await env.run(gmail.prepareCustomerEmails, input({ idempotencyPrefix: `${prefix}:again`, audience: 'pending' }));
      assert.deepEqual(second, { done: 20, failed: 0 });
      assert.equal(google.calls('drafts.create').filter((r) => r.status === 403).length, 5);
      assert.equal(google.drafts.length, 40);
      assert.equal(uniqueDrafts(), 40);
      const failed = await testDb.db.selectFrom('notifications').select('idempotency_key').where('status', '<>', 'drafted').execute();
      assert.deepEqual(failed, []);
      assert.ok(beats > 40, 'heartbeats while waiting, not only per customer');
    });

    test('a crash mid-run resumes from the heartbeat details: the rest is drafted, no customer gets a second draft', async () => {
      await seedAudience(500);
      const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 });
      let last: Progress | undefined;
      env.on('heartbeat', (d: Progress) => {
        last = structuredClone(d);
        // The worker dies after 250 drafts, in the middle of the second page (as kill -9 would, mid-request).
        if (google.drafts.length >= 250) env.cancel();
      });
      await assert.rejects(env.run(createGmailActivities({ config: liveConfig(), db: testDb.db }, tuning).prepareCustomerEmails, input()), /cancel/i);
      const before = google.drafts.length;
      assert.ok(before >= 250 && before < 500, `${before} drafts before the crash`);
      assert.equal(last![prefix].after?.rank, 200, 'the resume point is the end of the first page written back');

      // The retry, on another worker: Temporal hands it the last heartbeat details.
      const retry = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000, heartbeatDetails: last, attempt: 2 });
      const result = await retry.run(createGmailActivities({ config: liveConfig(), db: testDb.db }, tuning).prepareCustomerEmails, input());
      assert.deepEqual(result, { done: 500, failed: 0 });
      assert.equal(google.drafts.length, 500, 'no duplicate draft');
      assert.equal(uniqueDrafts(), 500);
      assert.equal(await outreach('drafted'), 500);
      // Customers of the second page already drafted came back 'duplicate' from the outbox (or were found in Gmail).
      const creates = google.calls('drafts.create').length;
      assert.ok(creates <= 501, `${creates} drafts.create calls for 500 customers`);
    });

    test('resolution emails sent to contacted customers: outreach → resolution_sent with times; a failure is kept on the customer, a success clears it', async () => {
      await seedAudience(4);
      await sql`update incident_customer_impact set outreach_status = 'drafted', outreach_error = 'earlier failure'`.execute(testDb.db);
      await sql`update incident_customer_impact set outreach_status = 'pending' where priority_rank = 4`.execute(testDb.db);
      await sql`update customers set contact_email = null where external_id = 'c-2'`.execute(testDb.db);
      const resolved = { ...big, status: 'resolved' as const, resolvedAt: '2026-01-29T21:45:00.000Z' };
      const gmail = createGmailActivities({ config: liveConfig(), db: testDb.db }, tuning);
      const result = await gmail.prepareCustomerEmails(input({ idempotencyPrefix: 'res:1', kind: 'resolution', send: true, incident: resolved, audience: 'contacted', actor: 'ana@corp.example' }));
      assert.deepEqual(result, { done: 2, failed: 1 });
      assert.equal(google.sent.length, 2);
      const rows = await sql<{ rank: number; outreach_status: string; outreach_error: string | null; resolution_notified_at: Date | null; customer_notified_at: Date | null }>`
        select priority_rank as rank, outreach_status, outreach_error, resolution_notified_at, customer_notified_at from incident_customer_impact order by priority_rank`.execute(testDb.db);
      assert.deepEqual(rows.rows.map((r) => [r.rank, r.outreach_status, r.outreach_error, Boolean(r.resolution_notified_at), Boolean(r.customer_notified_at)]), [
        [1, 'resolution_sent', null, true, true],
        [2, 'drafted', 'no_contact_email', false, false],
        [3, 'resolution_sent', null, true, true],
        [4, 'pending', 'earlier failure', false, false],
      ]);
    });
  });
});
