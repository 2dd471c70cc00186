/**
 * The template editor in real headless Chromium against the real API: write a template (an unknown
 * placeholder refused by name), preview it, submit it, see self-approval refused, approve it as
 * someone else (another token), and find it in use. Screenshots go to test-results/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { loadApprovedTemplates } from '../../db/message-data';
import { createTestDb, type TestDb } from '../helpers/db';
import { LAPTOP, launchBrowser, screenshot, texts, watchErrors } from './browser';

const AUTHOR = 'template-author-token-0123456789';
const REVIEWER = 'template-reviewer-token-0123456789';

describe('template editor in Chromium', () => {
  let testDb: TestDb;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    testDb = await createTestDb();
    await testDb.db.insertInto('components').values([{ key: 'api-gateway', name: 'API Gateway' }, { key: 'data-pipeline', name: 'Data Processing Pipeline' }]).execute();
    const config = loadConfig({ NODE_ENV: 'test', API_TOKENS: `${AUTHOR},${REVIEWER}`, PUBLIC_BASE_URL: 'https://forewarn.example.test' });
    app = await buildApp({ config, db: testDb.db, temporal: new Client() });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: LAPTOP, locale: 'en-US', timezoneId: 'UTC' })).newPage();
    pageErrors = watchErrors(page);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await testDb?.close();
  });

  async function signIn(token: string): Promise<void> {
    if (await page.locator('#sign-out').isVisible()) await page.click('#sign-out');
    await page.locator('#sign-in-form').waitFor();
    await page.fill('#token', token);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#nav').waitFor();
  }

  test('write, preview, submit; the author cannot approve; another person can, and the version is in use', async () => {
    await page.goto(`${base}/dashboard`);
    await signIn(AUTHOR);
    await page.click('#nav a[data-view=templates]');
    await page.locator('#view h1', { hasText: 'Message templates' }).waitFor();
    await page.getByText('No templates yet').waitFor();

    // A misspelt placeholder is refused by name, and nothing is saved.
    await page.fill('#new-key', 'p1-investigating-email');
    await page.selectOption('#new-severity', 'P1');
    await page.selectOption('#new-stage', 'investigating');
    await page.selectOption('#new-channel', 'email');
    await page.fill('#new-components', 'api-gateway');
    await page.fill('#new-subject', '{{incident.title}}: what it means for {{customer.name}}');
    await page.fill('#new-body', 'Hi {{customer.nmae}}, we are investigating {{incident.title}}.');
    await page.click('text=Save draft');
    const error = page.locator('.editor-error');
    await error.waitFor();
    assert.match(await error.innerText(), /unknown placeholder \{\{customer\.nmae\}\}/);
    assert.equal(await page.inputValue('#new-body'), 'Hi {{customer.nmae}}, we are investigating {{incident.title}}.', 'what was typed is kept');

    await page.fill('#new-body', "We're currently experiencing {{incident.title}} on {{customer.components}}. Updates: {{incident.statusPageUrl}}");
    await page.click('text=Save draft');
    await page.locator('#view h1', { hasText: 'p1-investigating-email' }).waitFor();
    await page.getByText('Draft v1 of p1-investigating-email saved.').waitFor();
    await page.locator('#open-title', { hasText: 'Draft version 1' }).waitFor();

    await page.click('button:has-text("Preview")');
    await page.locator('.preview .email-subject').waitFor();
    assert.equal(await page.locator('.preview .email-subject').innerText(), 'Subject: API Latency Issues: what it means for TechCorp');
    assert.match(await page.locator('.preview .email-text').innerText(), /^Hi Sam,\n\nWe're currently experiencing API Latency Issues on API Gateway\. Updates: https:\/\/status\.example\.com\/incidents\/abc/);
    await screenshot(page, 'template-draft-preview');

    await page.click('button:has-text("Submit for approval")');
    await page.locator('#open-title', { hasText: 'Version 1 awaits approval' }).waitFor();
    await page.click('button:has-text("Approve")');
    await page.locator('.editor-error', { hasText: 'someone other than the person who wrote or submitted it' }).waitFor();
    assert.deepEqual(await loadApprovedTemplates(testDb.db), [], 'nothing approved yet');

    // Someone else signs in and approves it.
    await signIn(REVIEWER);
    await page.goto(`${base}/dashboard#/templates/p1-investigating-email`);
    await page.locator('#open-title', { hasText: 'Version 1 awaits approval' }).waitFor();
    await page.click('button:has-text("Approve")');
    await page.getByText('Version 1 approved: it is now the one in use.').waitFor();
    await page.locator('.summary', { hasText: 'Version 1 is in use' }).waitFor();
    assert.deepEqual(await texts(page, 'table.versions tbody tr td[data-label=State]'), ['Active']);
    await page.locator('#open-title', { hasText: 'Start a new version' }).waitFor();
    const [used] = await loadApprovedTemplates(testDb.db);
    assert.deepEqual([used?.key, used?.version, used?.state, used?.channel], ['p1-investigating-email', 1, 'active', 'email']);

    // A second version starts from the one in use; the first stays in use until it is approved.
    await page.fill('#edit-body', 'Version two: {{incident.title}}, {{customer.name}}.');
    await page.click('text=Save draft');
    await page.locator('#open-title', { hasText: 'Draft version 2' }).waitFor();
    assert.deepEqual(await texts(page, 'table.versions tbody tr td[data-label=State]'), ['Draft', 'Active']);
    await screenshot(page, 'template-editor');

    await page.click('#nav a[data-view=templates]');
    await page.locator('table.template-list tbody tr').first().waitFor();
    assert.deepEqual(await texts(page, 'table.template-list tbody td[data-label="In use"]'), ['v1']);
    await screenshot(page, 'templates');
    assert.deepEqual(pageErrors, []);
  });
});
