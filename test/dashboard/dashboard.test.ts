/**
 * The dashboard in real headless Chromium against the real API process and a seeded read model:
 * sign-in, every view, live updates without reload, sorting, keyboard use, the phone layout.
 * Screenshots of each view go to test-results/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { csatLink } from '../../domain/csat-link';
import { createTestDb, type TestDb } from '../helpers/db';
import { fitsViewport, LAPTOP, launchBrowser, PHONE, screenshot, texts, watchErrors } from './browser';
import { seedDashboard, seedImpact, seedIncident, type Seeded } from './seed';

const TOKEN = 'dashboard-test-token-0123456789';
const CSAT_SIGNING_SECRET = 'csat-secret-for-tests-0123456789abcdef';

/** Clicks a view in the navigation and waits until that view has rendered. */
async function openView(page: Page, view: string, title: string): Promise<void> {
  await page.click(`#nav a[data-view=${view}]`);
  await page.locator('#view h1', { hasText: new RegExp(`^${title}$`) }).waitFor();
  await page.waitForFunction(() => !document.getElementById('view')?.hasAttribute('aria-busy'));
}
const LIVE_TIMEOUT = 5_000; // the promise: changes show within 5 seconds

describe('dashboard in Chromium (seeded read model)', () => {
  let testDb: TestDb;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let seeded: Seeded;
  let pageErrors: string[];

  before(async () => {
    testDb = await createTestDb(); // empty: the first tests see what a new user sees
    const config = loadConfig({
      NODE_ENV: 'test', API_TOKENS: TOKEN, TEMPORAL_UI_URL: 'http://temporal-ui.test:8233', TEMPORAL_NAMESPACE: 'forewarn',
      PUBLIC_BASE_URL: 'https://forewarn.example.test', ESCALATION_BASELINE_RATE: '1', CSAT_SIGNING_SECRET,
    });
    // The views read Postgres only; a lazy client never connects unless a route needs Temporal.
    app = await buildApp({ config, db: testDb.db, temporal: new Client() });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: LAPTOP, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    pageErrors = watchErrors(page);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await testDb?.close();
  });

  test('shows nothing without a token, refuses a wrong one, and keeps the right one for the session', async () => {
    await page.goto(`${base}/dashboard`);
    await page.locator('#sign-in-form').waitFor();
    assert.equal(await page.locator('#view').isVisible(), false);
    assert.equal(await page.locator('#nav').isVisible(), false);
    assert.doesNotMatch(await page.locator('body').innerText(), /API Latency Issues/);
    const unauthenticated = await page.evaluate(async () => (await fetch('/api/dashboard/incidents')).status);
    assert.equal(unauthenticated, 401);
    await screenshot(page, 'sign-in');

    await page.fill('#token', 'not-the-right-token-at-all');
    await page.press('#token', 'Enter');
    await page.getByText('That token was not accepted').waitFor();
    assert.equal(await page.locator('#view').isVisible(), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('forewarn.token')), null);

    await page.fill('#token', TOKEN);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#view h1', { hasText: 'Incidents' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('forewarn.token')), TOKEN);

    // A reload of the tab keeps the session; signing out forgets the token and hides the data.
    await page.reload();
    await page.locator('#view h1', { hasText: 'Incidents' }).waitFor();
    await page.click('#sign-out');
    await page.locator('#sign-in-form').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('forewarn.token')), null);
    assert.equal(await page.locator('#view').isVisible(), false);
    await page.fill('#token', TOKEN);
    await page.press('#token', 'Enter');
    await page.locator('#view h1', { hasText: 'Incidents' }).waitFor();
  });

  test('a new user is told what to do first, and the first data appears without a reload', async () => {
    const empty = page.locator('.empty');
    await empty.waitFor();
    const text = await empty.innerText();
    assert.match(text, /npm run import -- customers\.csv/);
    assert.match(text, /https:\/\/forewarn\.example\.test\/api\/webhooks\/pagerduty/);
    await screenshot(page, 'empty-incidents');
    for (const [view, title, says] of [['team', 'Team', /No CSMs yet.*npm run import/s], ['outbox', 'Notifications outbox', /No messages yet/],
      ['outcomes', 'Outcomes', /No incidents in this period/]] as const) {
      await openView(page, view, title);
      assert.match(await page.locator('.empty').innerText(), says);
    }
    await openView(page, 'incidents', 'Incidents');
    seeded = await seedDashboard(testDb.db);
    await page.locator('tr[data-incident-id]').first().waitFor({ timeout: LIVE_TIMEOUT });
  });

  test('lists open incidents first with ARR at risk, outreach progress, alert time and links', async () => {
    const open = page.locator('section[aria-labelledby=open-title] tr[data-incident-id]');
    const resolved = page.locator('section[aria-labelledby=resolved-title] tr[data-incident-id]');
    assert.equal(await open.count(), 1);
    assert.equal(await resolved.count(), 1);
    const p1 = page.locator(`tr[data-incident-id="${seeded.p1.id}"]`);
    assert.match(await p1.locator('.incident-title').innerText(), /API Latency Issues/);
    assert.equal(await p1.locator('.arr').innerText(), '$1.125M');
    assert.equal(await p1.locator('.arr .money').getAttribute('title'), '$1,125,000');
    assert.equal(await p1.locator('.customers').innerText(), '5');
    // Severity carries text, not only colour.
    assert.match(await p1.locator('.badge.sev-p1').innerText(), /P1 Critical/);
    assert.match(await p1.locator('.progress-text').innerText(), /Drafted 1 · Sent 1 · Responded 1 of 5/);
    assert.equal(await p1.locator('.alert-time').innerText(), '45s'); // detection → Chloe's alert, the last one
    assert.equal(await p1.getByRole('link', { name: 'Status page' }).getAttribute('href'), 'https://status.example.test/incidents/q1abc');
    assert.equal(await p1.getByRole('link', { name: 'Slack channel' }).getAttribute('href'), 'https://slack.com/app_redirect?channel=C0APIRESP');
    assert.equal(await p1.getByRole('link', { name: 'Workflow' }).getAttribute('href'),
      `http://temporal-ui.test:8233/namespaces/forewarn/workflows/${encodeURIComponent('incident:pagerduty:Q1ABC')}`);
    assert.match(await resolved.first().innerText(), /Delayed webhook deliveries/);
    assert.match(await resolved.first().locator('.duration').innerText(), /^2h 15m$/);
    await screenshot(page, 'incidents');
  });

  test('shows a new incident and an outreach change from the database within 5 seconds, without reloading', async () => {
    await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });
    const before = Date.now();
    const added = await seedIncident(testDb.db, {
      externalId: 'Q2NEW', title: 'Checkout errors in EU', severity: 'P2', status: 'identified', startedAt: new Date(),
      arrAtRisk: 250_000, customers: 2, components: ['checkout'],
    });
    await seedImpact(testDb.db, added.id, [
      { customerId: seeded.customers.globalinc, level: 'high', reason: 'Heavy Checkout user', rank: 1, outreach: 'pending', estimate: 5_000 },
      { customerId: seeded.customers.dataflow, level: 'medium', reason: 'Moderate impact', rank: 2, outreach: 'pending', estimate: 1_000 },
    ]);
    const row = page.locator(`tr[data-incident-id="${added.id}"]`);
    await row.waitFor({ timeout: LIVE_TIMEOUT });
    const appearedMs = Date.now() - before;
    assert.equal(await row.locator('.arr').innerText(), '$250K');
    // Open incidents: most severe first.
    assert.deepEqual(await texts(page, 'section[aria-labelledby=open-title] .incident-title'), ['API Latency Issues', 'Checkout errors in EU']);

    await testDb.db.updateTable('incident_customer_impact').set({ outreach_status: 'sent', outreach_updated_at: new Date() })
      .where('incident_id', '=', seeded.p1.id).where('customer_id', '=', seeded.customers.startupxyz).execute();
    await page.locator(`tr[data-incident-id="${seeded.p1.id}"] .progress[data-sent="2"]`).waitFor({ timeout: LIVE_TIMEOUT });
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);
    console.log(`# new incident visible after ${appearedMs} ms`);
  });

  test('incident detail: reason, estimate, sorting by priority, ARR, impact, CSM and outreach; totals by CSM; timeline', async () => {
    // Keyboard only: Tab from the navigation to the incident's link, Enter opens it.
    await page.focus('#nav a[data-view=incidents]');
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.classList.contains('incident-title'))) break;
    }
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'API Latency Issues');
    await page.keyboard.press('Enter');
    await page.locator('table.customers').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1'); // focus moves to the new view's heading
    const names = () => texts(page, 'table.customers .customer-name');
    assert.deepEqual(await names(), ['TechCorp', 'DataFlow', 'GlobalInc', 'StartupXYZ', 'SmallBiz']);
    const dataflow = page.locator(`tr[data-customer-id="${seeded.customers.dataflow}"]`);
    assert.match(await dataflow.innerText(), /Integration-dependent/);
    assert.match(await dataflow.innerText(), /\$8,219/);
    const facts = await page.locator('.facts').innerText();
    assert.match(facts, /\$41,250/);
    // The incident's own outcomes: its customers' tickets split at the first contact; ratings come with the resolution email.
    assert.match(facts, /3 support tickets from 3 affected customers: 2 before their CSM's first contact, 1 after/);
    assert.match(facts, /Customer rating \(CSAT\)\s+Asked for in the resolution email/i);

    await page.click('button[data-sort=arr]');
    await page.waitForFunction(() => document.querySelector('th[aria-sort=descending] button[data-sort=arr]'));
    assert.deepEqual(await names(), ['TechCorp', 'GlobalInc', 'DataFlow', 'StartupXYZ', 'SmallBiz']);
    await page.click('button[data-sort=arr]');
    await page.waitForFunction(() => document.querySelector('th[aria-sort=ascending] button[data-sort=arr]'));
    assert.deepEqual(await names(), ['SmallBiz', 'StartupXYZ', 'DataFlow', 'GlobalInc', 'TechCorp']);

    // Keyboard: focus the CSM header's button and press Enter; focus stays on it after the re-render.
    await page.focus('button[data-sort=csm]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('th[aria-sort=ascending] button[data-sort=csm]'));
    assert.deepEqual(await texts(page, 'table.customers td[data-label=CSM]'), ['Alice Chen', 'Alice Chen', 'Ben Ortiz', 'Ben Ortiz', 'Chloe Park']);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-sort')), 'csm');

    await page.click('button[data-sort=impact]');
    await page.waitForFunction(() => document.querySelector('th[aria-sort=ascending] button[data-sort=impact]'));
    assert.deepEqual(await texts(page, 'table.customers td[data-label=Impact]'), ['▲ High', '▲ High', '◆ Medium', '◆ Medium', '● Low']);

    await page.click('button[data-sort=outreach]');
    await page.waitForFunction(() => document.querySelector('th[aria-sort=ascending] button[data-sort=outreach]'));
    assert.deepEqual(await names(), ['SmallBiz', 'DataFlow', 'GlobalInc', 'StartupXYZ', 'TechCorp']);
    // The sort is in the URL: a reload or a shared link shows the same order.
    assert.match(page.url(), /sort=outreach/);

    const byCsm = await texts(page, 'table.by-csm tbody tr');
    assert.equal(byCsm.length, 3);
    assert.match(byCsm[0]!, /Alice Chen.*2.*1.*\$850K/s);
    assert.doesNotMatch(byCsm[0]!, /not yet/);
    assert.match(byCsm.find((r) => r.includes('Ben Ortiz'))!, /✗ not yet/);

    const timelineText = await page.locator('ol.timeline').innerText();
    assert.match(timelineText, /Alerted Chloe Park about 1 customer/);
    assert.match(timelineText, /Alice Chen acknowledged/);
    await page.click('button[data-sort=priority]');
    await page.waitForFunction(() => document.querySelector('th[aria-sort=ascending] button[data-sort=priority]'));
    await screenshot(page, 'incident-detail');

    // A page past the end (a stale link) says so and leads back.
    await page.evaluate(() => { location.hash = `${location.hash.split('?')[0]}?page=3`; });
    await page.getByText('No customers on this page (there are 5).').waitFor();
    await page.getByRole('button', { name: 'Show the first page' }).click();
    await page.locator('table.customers').waitFor();
    assert.equal((await names()).length, 5);

    // Picking a status saves nothing until Save is pressed (outreach cannot move back), and the
    // unsaved choice survives a live update of the page.
    const dataflowSelect = dataflow.locator('select');
    const save = dataflow.getByRole('button', { name: 'Save outreach for DataFlow' });
    assert.equal(await save.isVisible(), false);
    await dataflowSelect.selectOption('sent');
    assert.equal(await save.isVisible(), true);
    await testDb.db.updateTable('incident_customer_impact').set({ outreach_status: 'drafted', outreach_updated_at: new Date() })
      .where('incident_id', '=', seeded.p1.id).where('customer_id', '=', seeded.customers.smallbiz).execute();
    await page.waitForFunction((id) => (document.querySelector(`tr[data-customer-id="${id}"] select`) as HTMLSelectElement | null)?.value === 'drafted',
      seeded.customers.smallbiz, { timeout: LIVE_TIMEOUT });
    assert.equal(await dataflowSelect.inputValue(), 'sent');
    assert.equal(await save.isVisible(), true);
    const stored = await testDb.db.selectFrom('incident_customer_impact').select('outreach_status')
      .where('incident_id', '=', seeded.p1.id).where('customer_id', '=', seeded.customers.dataflow).executeTakeFirstOrThrow();
    assert.equal(stored.outreach_status, 'drafted');
    await dataflowSelect.selectOption('drafted');
    assert.equal(await save.isVisible(), false);
  });

  test('team: per CSM affected customers, pending outreach and who has not acknowledged', async () => {
    await openView(page, 'team', 'Team');
    await page.locator('table.team').waitFor();
    const rows = page.locator('table.team tbody tr');
    // Across open incidents (the seeded P1 and the P2 added above); most pending outreach first.
    const ben = page.locator('tr[data-csm="ben.ortiz@forewarn.test"]');
    const alice = page.locator('tr[data-csm="alice.chen@forewarn.test"]');
    assert.equal(await rows.count(), 3);
    assert.equal(await ben.locator('td[data-label="Open incidents"]').innerText(), '2');
    assert.equal(await ben.locator('td[data-label="Pending outreach"]').innerText(), '2'); // DataFlow drafted (P1) + DataFlow pending (P2)
    assert.match(await ben.locator('td[data-label="Not acknowledged"]').innerText(), /API Latency Issues/);
    // GlobalInc is hit by both open incidents: one customer and one ARR for Alice, not two.
    assert.equal(await alice.locator('td[data-label="Affected customers"]').innerText(), '2');
    assert.equal(await alice.locator('td[data-label="ARR"]').innerText(), '$850K');
    assert.equal(await alice.locator('td[data-label="Pending outreach"]').innerText(), '1'); // GlobalInc on the P2
    // Alice acknowledged the P1; the P2 has not alerted anyone yet, so there is nothing to acknowledge.
    assert.match(await alice.locator('td[data-label="Not acknowledged"]').innerText(), /all acknowledged/);
    await screenshot(page, 'team');
  });

  test('outbox: every Slack message and email rendered, with its status and error', async () => {
    await openView(page, 'outbox', 'Notifications outbox');
    await page.locator('.outbox-item').first().waitFor();
    assert.equal(await page.locator('.outbox-item').count(), 7);
    const alert = page.locator('.outbox-item', { hasText: 'to alice.chen@forewarn.test' });
    assert.match(await alert.locator('.slack-header').innerText(), /P1 INCIDENT: API Latency Issues/);
    assert.match(await alert.innerText(), /🚨 TechCorp - \$500K ARR - Heavy API Gateway user/);
    assert.match(await alert.innerText(), /Total ARR at Risk: \$850K/);
    assert.equal(await alert.locator('strong', { hasText: 'Total ARR at Risk:' }).count(), 1);
    assert.deepEqual(await alert.locator('.slack-button').allInnerTexts(), ['View Status Page', 'Draft Customer Emails', 'Join War Room']);
    assert.equal(await alert.locator('.delivery').innerText(), 'Dry run');
    const email = page.locator('.outbox-item', { hasText: 'to ops@techcorp.test' });
    assert.match(await email.locator('.email-headers').innerText(), /Subject: Elevated API latency affecting TechCorp/);
    assert.match(await email.locator('.email-body').innerText(), /elevated API latency on the API Gateway/);
    assert.equal(await email.locator('.delivery').innerText(), 'Drafted');
    const failed = page.locator('.outbox-item', { hasText: 'to maria.lopez@forewarn.test' });
    assert.match(await failed.innerText(), /Error after 1 attempt: users_not_found/);
    assert.match(await page.locator('.notice').innerText(), /Dry run for Slack/);
    await screenshot(page, 'outbox');

    await page.selectOption('#channel-filter', 'email');
    await page.waitForFunction(() => document.querySelectorAll('.outbox-item').length === 1);
    assert.match(page.url(), /channel=email/);
    assert.equal(await page.locator('.outbox-item .channel').innerText(), 'Email');
  });

  test('outcomes: every success metric against its goal (alert time, reach, escalations, CSAT), with charts', async () => {
    await openView(page, 'outcomes', 'Outcomes');
    await page.locator('.metrics').waitFor();
    const metrics = await page.locator('.metric').allInnerTexts();
    // Per (incident, CSM) delivered: 20, 45 s on the P1 and 30, 50 s on the P3 → p50 37.5 s, p90 48.5 s; Alice's dry-run alert is no sample.
    assert.match(metrics[0]!, /38s \/ 49s/);
    assert.match(metrics[0]!, /✓ promise: under 5m/);
    // From the source's start (the P1 was detected 60 s after it started, the P3 30 s): 80, 105, 60, 80 s.
    assert.match(metrics[0]!, /From the source's start: 1m 20s \/ 1m 38s/);
    assert.match(metrics[0]!, /1 dry-run alert not counted/);
    // Reached: TechCorp, GlobalInc, StartupXYZ on the P1 + both P3 customers = 5 of 9 (the P2's two are still pending).
    assert.match(metrics[1]!, /55\.6%/);
    assert.match(metrics[1]!, /✗ goal: 80%/);
    // 3 tickets from 9 affected customers = 33.3 per 100, against a baseline of 100 per 100: -66.7%, goal -60%.
    assert.match(metrics[2]!, /Customer escalations\s+33\.3 per 100/);
    assert.match(metrics[2]!, /✓ goal: -60% vs baseline \(now -66\.7%\)/);
    assert.match(metrics[2]!, /2 before their CSM's first contact, 1 after/);
    assert.match(metrics[3]!, /4\.5 \/ 5/);
    assert.match(metrics[3]!, /✓ goal: 4\.0 or more/);
    assert.match(metrics[3]!, /2 ratings from resolution emails/);
    assert.match(metrics[4]!, /Resolution notices\s+100%/);
    assert.match(metrics[5]!, /Follow-ups done\s+100%/);
    assert.equal(await page.locator('#escalation-chart .goal text').innerHTML(), 'goal 40 per 100');
    assert.ok(await page.locator('#escalation-chart rect.chart-bar.before-contact').count() >= 1);
    assert.equal(await page.locator('#csat-chart .goal text').innerHTML(), '4.0 goal');
    assert.equal(await page.locator('#csat-chart rect.chart-bar.csat').count(), 1);
    const bars = page.locator('#alert-chart rect.chart-bar');
    assert.ok(await bars.count() >= 2, 'the alert chart draws bars');
    assert.equal(await page.locator('#alert-chart .goal text').innerHTML(), '5m promise');
    assert.equal(await page.locator('#reach-chart .goal text').innerHTML(), '80% goal');
    assert.match(await page.locator('#alert-chart svg').getAttribute('aria-label') ?? '', /p50 38s, p90 49s/);
    await screenshot(page, 'outcomes');

    await page.selectOption('#period', '1');
    await page.waitForFunction(() => location.hash.includes('days=1'));
    await page.waitForFunction(() => /1 incident|2 incidents/.test(document.querySelector('.summary')?.textContent ?? ''));
    // Only the last 24 hours: the P1 and the P2, not yesterday's P3.
    assert.match(await page.locator('.summary').innerText(), /2 incidents detected, 0 resolved/);
  });

  test('on a phone every view fits the screen', async () => {
    const phone = await browser.newContext({ viewport: PHONE, locale: 'en-US', timezoneId: 'UTC', isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    const errors = watchErrors(p);
    await p.goto(`${base}/`);
    await p.fill('#token', TOKEN);
    await p.press('#token', 'Enter');
    await p.locator('tr[data-incident-id]').first().waitFor();
    assert.ok(await fitsViewport(p), 'incidents fit the phone');
    await screenshot(p, 'phone-incidents');
    await p.goto(`${base}/#/incidents/${seeded.p1.id}`);
    await p.locator('table.customers').waitFor();
    assert.ok(await fitsViewport(p), 'detail fits the phone');
    await screenshot(p, 'phone-incident-detail');
    for (const view of ['team', 'outcomes', 'outbox']) {
      await p.goto(`${base}/#/${view}`);
      await p.locator('#view h1').waitFor();
      await p.waitForFunction(() => !document.getElementById('view')?.hasAttribute('aria-busy'));
      assert.ok(await fitsViewport(p), `${view} fits the phone`);
    }
    await screenshot(p, 'phone-outbox');
    await phone.close();
    assert.deepEqual(errors, []);
  });

  test('the rating page from a resolution email works without JavaScript: the link shows the choice, the button records it', async () => {
    const noScript = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false, locale: 'en-US' });
    const p = await noScript.newPage();
    const link = csatLink({
      baseUrl: base, secret: CSAT_SIGNING_SECRET, incidentId: seeded.p1.id, customerId: seeded.customers.techcorp,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    await p.goto(`${link}?score=4`);
    assert.match(await p.locator('h1').innerText(), /How did we handle/);
    assert.equal(await p.locator('input[name=score][value="4"]').isChecked(), true);
    assert.ok(await fitsViewport(p), 'the rating page fits a phone');
    await screenshot(p, 'rating');
    await p.click('button[type=submit]');
    assert.equal(await p.locator('h1').innerText(), 'Thank you!');
    assert.match(await p.locator('main').innerText(), /4 – Good/);
    await screenshot(p, 'rating-thanks');
    await noScript.close();
  });

  test('no script errors on the way', () => {
    assert.deepEqual(pageErrors, []);
  });
});
