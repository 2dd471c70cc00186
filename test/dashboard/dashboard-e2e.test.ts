/**
 * Issue 4's end-to-end check, as a CS manager would do it: the real API (serving the dashboard), a
 * real worker running the real incident workflow and activities (Slack and Gmail in dry-run), the
 * Temporal dev server, embedded Postgres, and headless Chromium.
 *
 * Sign in → a P1 webhook appears with the right ARR at risk, without reloading → change a customer's
 * outreach in place and see the progress bar move → an invalid transition is refused with the
 * workflow's own message → resolving the incident moves it to "Recently resolved".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { Stack } from '../helpers/stack';
import { screenshot, texts } from './browser';
import { startDashboardStack, type DashboardStack } from './e2e-stack';

const TOKEN = 'dashboard-e2e-token-0123456789';
/** The promise for the page: a change shows within 5 s. The workflow's own work comes on top. */
const VISIBLE_WITHIN = 20_000;

const customerBase = {
  csms: [
    { email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UANA', managerEmail: 'lee@corp.example' },
    { email: 'ben@corp.example', name: 'Ben Okafor', slackUserId: 'UBEN', managerEmail: 'lee@corp.example' },
  ],
  components: [{ key: 'api-gateway', name: 'API Gateway' }, { key: 'billing', name: 'Billing' }],
  customers: [
    { externalId: 'acct-1', name: 'TechCorp', arr: 500000, segment: 'enterprise', region: 'us-east', csmEmail: 'ana@corp.example',
      contactName: 'Sam Lee', contactEmail: 'sam@techcorp.example', components: [{ key: 'api-gateway', usage: 'heavy' }] },
    { externalId: 'acct-2', name: 'GlobalInc', arr: 350000, segment: 'enterprise', region: 'eu-west', csmEmail: 'ben@corp.example',
      contactName: 'Kim Wu', contactEmail: 'kim@globalinc.example', components: [{ key: 'api-gateway', usage: 'moderate', integrationDependent: true }] },
    { externalId: 'acct-3', name: 'SmallBiz', arr: 25000, segment: 'smb', region: 'us-east', csmEmail: 'ana@corp.example',
      contactName: 'Pat Doe', contactEmail: 'pat@smallbiz.example', components: [{ key: 'api-gateway', usage: 'light' }] },
    // Not on the affected component: must not count towards the ARR at risk.
    { externalId: 'acct-4', name: 'PayCo', arr: 900000, segment: 'enterprise', region: 'us-east', csmEmail: 'ben@corp.example',
      contactName: 'Lou Ma', contactEmail: 'lou@payco.example', components: [{ key: 'billing', usage: 'heavy' }] },
  ],
  templates: [
    { key: 'p1-any', severity: 'P1', body: 'We are investigating {{incident.title}} and will update you every 30 minutes.', approvedBy: 'comms@corp.example' },
  ],
};

describe('dashboard end to end: webhook → workflow → dashboard → outreach under the state machine rules', () => {
  let e2e: DashboardStack;
  let stack: Stack<'listen'>;
  let page: Page;
  let errors: string[];
  let incidentId: string;
  const startedAt = new Date(Date.now() - 3 * 60_000).toISOString();

  const postIncident = async (body: Record<string, unknown>) => {
    const res = await fetch(`${stack.base}/api/webhooks/incidents`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body),
    });
    assert.equal(res.status, 202, await res.text());
  };
  const p1Row = () => page.locator('tr[data-incident-id]', { hasText: 'API Gateway latency' });
  const bar = () => page.locator('.facts .progress');

  before(async () => {
    e2e = await startDashboardStack({ customerBase, config: { API_TOKENS: TOKEN, TEMPORAL_TASK_QUEUE: 'e2e-dashboard' } });
    ({ stack, page, errors } = e2e);
  });

  after(async () => {
    await e2e?.stop();
  });

  test('sign in, then a P1 webhook appears with its ARR at risk without reloading', async () => {
    await page.goto(`${stack.base}/dashboard`);
    await page.fill('#token', TOKEN);
    await page.press('#token', 'Enter');
    await page.locator('.empty', { hasText: 'No incidents yet' }).waitFor();
    await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });

    const posted = Date.now();
    await postIncident({
      id: 'INC-42', title: 'API Gateway latency', status: 'investigating', severity: 'P1', affectedComponents: ['api-gateway'],
      startedAt, statusPageUrl: 'https://status.corp.example/incidents/inc-42', message: 'We are investigating elevated latency.',
    });
    // TechCorp + GlobalInc + SmallBiz use the API Gateway: $875K. PayCo (billing only) is not at risk.
    await page.waitForFunction(() => {
      const row = Array.from(document.querySelectorAll('tr[data-incident-id]')).find((r) => r.textContent?.includes('API Gateway latency'));
      return row?.querySelector('.arr')?.textContent === '$875K';
    }, undefined, { timeout: VISIBLE_WITHIN });
    console.log(`# webhook → on the dashboard with its ARR at risk: ${Date.now() - posted} ms`);
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);
    assert.match(await p1Row().locator('.badge.sev-p1').innerText(), /P1 Critical/);
    assert.equal(await p1Row().locator('.customers').innerText(), '3');
    assert.equal(await p1Row().getByRole('link', { name: 'Workflow' }).getAttribute('href'),
      `${stack.config.temporal.uiUrl}/namespaces/${stack.config.temporal.namespace}/workflows/${encodeURIComponent('incident:generic:INC-42')}`);
    // The P1's war room (opened right after the alerts). In dry-run it is not a real Slack channel:
    // its name is shown, with no link that would lead nowhere.
    await p1Row().locator('.links', { hasText: '#incident-inc-42-response (dry run)' }).waitFor({ timeout: VISIBLE_WITHIN });
    assert.equal(await p1Row().getByRole('link', { name: 'Slack channel' }).count(), 0);
    incidentId = (await p1Row().getAttribute('data-incident-id'))!;
    await screenshot(page, 'e2e-incidents');
  });

  test('open it, change a customer\'s outreach in place and see the progress bar move', async () => {
    await p1Row().locator('.incident-title').click();
    await page.locator('table.customers').waitFor();
    // The workflow drafts outreach for high-impact customers; wait until those drafts are recorded.
    await page.waitForFunction(() => Number(document.querySelector('.facts .progress')?.getAttribute('data-drafted')) >= 1, undefined, { timeout: VISIBLE_WITHIN });
    const smallbiz = page.locator('tr', { hasText: 'SmallBiz' });
    assert.equal(await smallbiz.locator('select').inputValue(), 'pending');
    const sentBefore = Number(await bar().getAttribute('data-sent'));

    await smallbiz.locator('select').selectOption('sent');
    await smallbiz.getByRole('button', { name: 'Save outreach for SmallBiz' }).click();
    await page.locator(`.facts .progress[data-sent="${sentBefore + 1}"]`).waitFor({ timeout: 5_000 });
    assert.equal(await smallbiz.locator('select').inputValue(), 'sent');
    assert.match(await page.locator('.flash').innerText(), /SmallBiz: outreach set to Sent/);
    // The workflow recorded the change: it is on the timeline with who made it.
    await page.locator('ol.timeline li', { hasText: 'Outreach to SmallBiz: sent' }).waitFor({ timeout: 5_000 });
    assert.match(await page.locator('ol.timeline li', { hasText: 'Outreach to SmallBiz: sent' }).innerText(), /API_TOKENS bootstrap token/, 'the timeline names who changed it');
    await screenshot(page, 'e2e-incident-detail');
  });

  test('an invalid transition is refused with the workflow\'s message and nothing changes', async () => {
    const smallbiz = page.locator('tr', { hasText: 'SmallBiz' });
    const before = await texts(page, '.facts .progress-text');
    await smallbiz.locator('select').selectOption('drafted');
    await smallbiz.getByRole('button', { name: 'Save outreach for SmallBiz' }).click();
    const alert = smallbiz.locator('[role=alert]');
    await alert.waitFor({ timeout: 5_000 });
    assert.match(await alert.innerText(), /Outreach to SmallBiz is "sent" and cannot become "drafted": outreach never moves backwards/);
    // The select shows the real status again, and the bar did not move.
    assert.equal(await smallbiz.locator('select').inputValue(), 'sent');
    assert.deepEqual(await texts(page, '.facts .progress-text'), before);
    const stored = await stack.db.selectFrom('incident_customer_impact as i').innerJoin('customers as c', 'c.id', 'i.customer_id')
      .select('i.outreach_status').where('c.name', '=', 'SmallBiz').executeTakeFirstOrThrow();
    assert.equal(stored.outreach_status, 'sent');
    await screenshot(page, 'e2e-invalid-transition');
  });

  test('resolving it moves it to "Recently resolved" without reloading', async () => {
    await page.click('.breadcrumb a');
    await p1Row().waitFor();
    assert.equal(await page.locator(`section[aria-labelledby=open-title] tr[data-incident-id="${incidentId}"]`).count(), 1);
    await postIncident({
      id: 'INC-42', title: 'API Gateway latency', status: 'resolved', severity: 'P1', affectedComponents: ['api-gateway'],
      startedAt, resolvedAt: new Date().toISOString(), updatedAt: new Date().toISOString(), message: 'Latency is back to normal.',
    });
    await page.locator(`section[aria-labelledby=resolved-title] tr[data-incident-id="${incidentId}"]`).waitFor({ timeout: VISIBLE_WITHIN });
    assert.equal(await page.locator('section[aria-labelledby=open-title]').count(), 0);
    assert.match(await p1Row().locator('.badge.status').innerText(), /Resolved/);
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);
    await screenshot(page, 'e2e-resolved');
  });

  test('the outbox shows what the workflow rendered in dry-run', async () => {
    await page.click('#nav a[data-view=outbox]');
    await page.locator('.outbox-item').first().waitFor();
    const alertToAna = page.locator('.outbox-item', { hasText: 'to ana@corp.example' }).filter({ hasText: 'Alert' });
    assert.ok(await alertToAna.count() >= 1, 'Ana\'s alert is in the outbox');
    assert.match(await alertToAna.first().innerText(), /API Gateway latency/);
    assert.match(await alertToAna.first().innerText(), /TechCorp/);
    assert.doesNotMatch(await alertToAna.first().innerText(), /GlobalInc/); // Ben's customer, not Ana's
    assert.equal(await alertToAna.first().locator('.delivery').innerText(), 'Dry run');
    // The workflow's Block Kit, as Slack would show it: emoji codes drawn, the approved message in quotes
    // on the line after its label (the spec's layout).
    assert.match(await alertToAna.first().locator('.slack-header').innerText(), /^🚨 P1 INCIDENT: API Gateway latency/);
    assert.match(await alertToAna.first().innerText(), /Approved Messaging:\n"We are investigating API Gateway latency/);
    await screenshot(page, 'e2e-outbox');
    assert.deepEqual(errors, []);
  });

  test('declare an incident from the form, resolve it with its button, then link its post-mortem', async () => {
    await page.click('#nav a[data-view=incidents]');
    await page.locator('details.declare summary').click();
    await page.selectOption('#declare-severity', 'P2');
    await page.fill('#declare-components', 'billing');
    await page.fill('#declare-title', 'Billing exports failing');
    await page.click('[data-focus=declare-submit]');
    const row = page.locator('section[aria-labelledby=open-title] tr[data-incident-id]', { hasText: 'Billing exports failing' });
    await row.waitFor({ timeout: VISIBLE_WITHIN });
    assert.equal(await row.locator('.badge.sev-p2').count(), 1);

    // Declared again on billing while it is open: the declaration joins it, and the page goes there and says so.
    if (await page.locator('details.declare').getAttribute('open') === null) await page.locator('details.declare summary').click();
    await page.selectOption('#declare-severity', 'P3');
    await page.fill('#declare-components', 'billing');
    await page.fill('#declare-title', 'Invoices not sent');
    await page.click('[data-focus=declare-submit]');
    await page.locator('.flash', { hasText: 'Joined the open incident "Billing exports failing"' }).waitFor({ timeout: VISIBLE_WITHIN });
    assert.equal(await page.locator('.page-header h1').textContent(), 'Billing exports failing');
    assert.match(page.url(), /#\/incidents\/[0-9a-f-]{36}$/);
    assert.equal((await stack.db.selectFrom('product_incidents').select('id').where('title', '=', 'Invoices not sent').execute()).length, 0, 'no second incident');

    await page.locator('.facts .arr', { hasText: '$900K' }).waitFor({ timeout: VISIBLE_WITHIN }); // PayCo, on billing
    await page.click('[data-focus=resolve-incident]');
    await page.locator('.badges .badge.status', { hasText: 'Resolved' }).waitFor({ timeout: VISIBLE_WITHIN });
    assert.equal(await page.locator('[data-focus=resolve-incident]').count(), 0, 'a resolved incident offers no Resolve button');
    const stored = await stack.db.selectFrom('product_incidents').select(['status', 'severity', 'source']).where('title', '=', 'Billing exports failing').executeTakeFirstOrThrow();
    assert.deepEqual(stored, { status: 'resolved', severity: 'P2', source: 'manual' });
    await screenshot(page, 'e2e-declared-resolved');

    // Its post-mortem, linked from the page: a bad link is refused with the reason, a good one is shown with who linked it.
    await page.fill('#post-mortem-url', 'ftp://files.example.test/billing-exports.txt');
    await page.click('[data-focus=post-mortem-save]');
    await page.locator('.post-mortem [role=alert]', { hasText: 'must be an http or https address' }).waitFor({ timeout: VISIBLE_WITHIN });
    await page.fill('#post-mortem-url', 'https://wiki.example.test/postmortems/billing-exports');
    await page.click('[data-focus=post-mortem-save]');
    const link = page.locator('.post-mortem a.post-mortem-link');
    await link.waitFor({ timeout: VISIBLE_WITHIN });
    assert.equal(await link.getAttribute('href'), 'https://wiki.example.test/postmortems/billing-exports');
    assert.match(await page.locator('.post-mortem').innerText(), /linked by /);
    const pm = await stack.db.selectFrom('product_incidents').select(['post_mortem_url']).where('title', '=', 'Billing exports failing').executeTakeFirstOrThrow();
    assert.equal(pm.post_mortem_url, 'https://wiki.example.test/postmortems/billing-exports');
    assert.deepEqual(errors, []);
  });
});
