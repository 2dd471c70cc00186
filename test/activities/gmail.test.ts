import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../config';
import { createGmailActivities } from '../../activities/gmail';
import type { IncidentActivities } from '../../activities/types';
import type { CustomerState } from '../../workflows/contract';
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
  let activities: Pick<IncidentActivities, 'draftCustomerEmails'>;

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
      { key: 'p1-investigating', severity: 'P1', status: 'investigating', approved_by: 'comms@corp.example', approved_at: new Date(),
        body: "We're currently experiencing {{incident.title}}. Our engineering team is actively investigating." },
      { key: 'resolved', status: 'resolved', approved_by: 'comms@corp.example', approved_at: new Date(), body: '{{incident.title}} is resolved.' },
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
    const rows = await testDb.db.selectFrom('notifications').select(['idempotency_key', 'status', 'provider_ref', 'channel', 'recipient']).orderBy('recipient').execute();
    assert.deepEqual(rows.map((r) => [r.status, r.channel, r.recipient]), [['drafted', 'email', 'sam@globalinc.example'], ['drafted', 'email', 'sam@techcorp.example']]);
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
    google.failNext('drafts.create', 429, 'Rate Limit Exceeded', 1, 1);
    await assert.rejects(draft([techCorp, globalInc]), /1 email\(s\) for ana@corp\.example hit a temporary error: 429/);
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
});
