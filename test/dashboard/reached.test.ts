/**
 * "Reached how" on the incident page: the alerts are sent by the real Slack activity against the
 * fake Slack (one CSM deactivated, one unknown to Slack) with the email fallback against the fake
 * Gmail; the dashboard's API and the page in Chromium then say who was reached by Slack, by email,
 * or not at all, and why Slack could not deliver.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { buildApp } from '../../api/app';
import { createSlackActivities } from '../../activities/slack';
import { loadConfig } from '../../config';
import { createTestDb, type TestDb } from '../helpers/db';
import { FakeSlack } from '../fakes/slack';
import { FakeGmail } from '../fakes/gmail';
import { LAPTOP, launchBrowser, texts, watchErrors } from './browser';
import { seedCustomers, seedImpact, seedIncident } from './seed';

const TOKEN = 'dashboard-reached-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('incident page: which CSMs were reached how', () => {
  let testDb: TestDb;
  let slack: FakeSlack;
  let google: FakeGmail;
  let app: FastifyInstance;
  let browser: Browser | undefined;
  let incident: { id: string; workflowId: string };

  before(async () => {
    [testDb, google] = await Promise.all([createTestDb(), FakeGmail.start()]);
    // Chloe has no Slack account; Ben's is deactivated.
    slack = await FakeSlack.start({ users: [
      { id: 'U0ALICE', email: 'alice.chen@forewarn.test', name: 'Alice Chen' }, { id: 'U0BEN', email: 'ben.ortiz@forewarn.test', name: 'Ben Ortiz' },
    ] });
    slack.failUser('U0BEN', 'account_inactive');
    const { db } = testDb;
    const { customers } = await seedCustomers(db);
    await db.updateTable('csms').set({ slack_user_id: null }).where('email', '=', 'chloe.park@forewarn.test').execute();
    incident = await seedIncident(db, { externalId: 'Q7REACH', title: 'Checkout errors', severity: 'P2', status: 'investigating', startedAt: new Date(), arrAtRisk: 775_000, customers: 3 });
    await seedImpact(db, incident.id, [
      { customerId: customers.techcorp, level: 'high', reason: 'Heavy API Gateway user', rank: 1, outreach: 'pending', estimate: 100 },
      { customerId: customers.dataflow, level: 'medium', reason: 'Moderate API Gateway user', rank: 2, outreach: 'pending', estimate: 50 },
      { customerId: customers.smallbiz, level: 'low', reason: 'Low impact', rank: 3, outreach: 'pending', estimate: 10 },
    ]);
    const slackEnv = { NODE_ENV: 'test', SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl };
    const withFallback = createSlackActivities({ db, config: loadConfig({
      ...slackEnv, ALERT_FALLBACK_SENDER: 'forewarn@forewarn.test', GOOGLE_SERVICE_ACCOUNT_KEY_FILE: google.writeServiceAccountKey(),
      GMAIL_API_ROOT_URL: google.rootUrl, GOOGLE_TOKEN_URL: google.tokenUrl,
    }) });
    // Chloe's alert goes out where no fallback sender is configured: nobody reaches her.
    const withoutFallback = createSlackActivities({ db, config: loadConfig(slackEnv) });
    const full = { kind: 'alert' as const, incident: {
      id: incident.id, workflowId: incident.workflowId, source: 'pagerduty' as const, externalId: 'Q7REACH', title: 'Checkout errors',
      status: 'investigating' as const, severity: 'P2' as const, components: ['api-gateway'], regions: [], startedAt: new Date().toISOString(),
    }, totals: { customers: 3, arrAtRisk: 775_000, businessImpact: 160, highImpact: 1 }, dashboardUrl: 'https://forewarn.example.test/dashboard' };
    const alert = (activities: typeof withFallback, csmEmail: string) => activities.sendCsmMessage({ ...full, csmEmail, idempotencyKey: `${incident.workflowId}:alert:${csmEmail}:1` });
    assert.equal((await alert(withFallback, 'alice.chen@forewarn.test')).via, undefined);
    assert.equal((await alert(withFallback, 'ben.ortiz@forewarn.test')).via, 'email');
    assert.equal((await alert(withoutFallback, 'chloe.park@forewarn.test')).status, 'failed');

    app = await buildApp({ config: loadConfig({ NODE_ENV: 'test', API_TOKENS: TOKEN }), db, temporal: new Client() });
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await Promise.all([slack?.close(), google?.close()]);
    await testDb?.close();
  });

  test('the API tells Slack, email (with Slack\'s reason) and not reached apart', async () => {
    const detail = (await app.inject({ url: `/api/dashboard/incidents/${incident.id}`, headers: auth })).json();
    const reached = Object.fromEntries(detail.byCsm.map((m: { email: string; reachedVia: string; slackError: string | null }) =>
      [m.email, [m.reachedVia, m.slackError]]));
    assert.deepEqual(reached, {
      'alice.chen@forewarn.test': ['slack', null],
      'ben.ortiz@forewarn.test': ['email', 'account_inactive'],
      'chloe.park@forewarn.test': ['not_reached', 'users_not_found'],
    });
    assert.equal(google.sent.length, 1);
    assert.match(google.sent[0]!.parsed.to, /ben\.ortiz@forewarn\.test/);
  });

  test('a CSM whose alert thread came over in a merge shows as reached the way that alert went', async () => {
    const { db } = testDb;
    const customers = Object.fromEntries((await db.selectFrom('customers').select(['id', 'name']).execute()).map((c) => [c.name, c.id]));
    const absorbing = await seedIncident(db, { externalId: 'Q7ABSORB', title: 'Checkout outage', severity: 'P1', status: 'identified', startedAt: new Date(), arrAtRisk: 25_000, customers: 1 });
    const merged = await seedIncident(db, { externalId: 'Q7MERGED', title: 'Checkout errors (Opsgenie)', severity: 'P2', status: 'identified', startedAt: new Date(), arrAtRisk: 25_000, customers: 1 });
    await db.updateTable('product_incidents').set({ merged_into: absorbing.workflowId, merged_at: new Date() }).where('id', '=', merged.id).execute();
    await seedImpact(db, absorbing.id, [{ customerId: customers.SmallBiz!, level: 'low', reason: 'Low impact', rank: 1, outreach: 'pending', estimate: 10 }]);
    await db.insertInto('notifications').values({
      idempotency_key: `${merged.workflowId}:alert:chloe.park@forewarn.test:1`, incident_id: merged.id, channel: 'slack', recipient: 'chloe.park@forewarn.test',
      kind: 'alert', payload: '{}', status: 'sent', sent_at: new Date(),
    }).execute();
    const detail = (await app.inject({ url: `/api/dashboard/incidents/${absorbing.id}`, headers: auth })).json();
    assert.deepEqual(detail.byCsm.map((m: { email: string; reachedVia: string }) => [m.email, m.reachedVia]), [['chloe.park@forewarn.test', 'slack']]);
  });

  test('the incident page shows it in the By CSM table', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: LAPTOP, locale: 'en-US', timezoneId: 'UTC' });
    await context.addInitScript((token) => sessionStorage.setItem('forewarn.token', token), TOKEN);
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${base}/dashboard#/incidents/${incident.id}`);
    await page.locator('table.by-csm tbody tr').first().waitFor();
    const reached = await texts(page, 'table.by-csm td[data-label=Reached]');
    const rows = await texts(page, 'table.by-csm tbody tr');
    const of = (name: string) => reached[rows.findIndex((r) => r.includes(name))];
    assert.equal(of('Alice Chen'), 'Slack');
    assert.equal(of('Ben Ortiz'), 'EmailSlack: account_inactive');
    assert.equal(of('Chloe Park'), '✗ not reachedSlack: users_not_found');
    assert.deepEqual(errors, []);
  });
});
