/**
 * The dashboard's sign-in and role-limited views in headless Chromium, through the fake OIDC
 * provider: "Sign in with Slack" → provider → back signed in (session cookie); a CSM sees their
 * own customers' outreach controls and the others read-only; the audit view shows what they did;
 * an admin creates and revokes a token and grants rights on the People page; sign-out ends the session.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createTestDb, type TestDb } from '../helpers/db';
import { FakeOidc } from '../fakes/oidc';
import { seedBase, seedIncident, type Seed } from '../api/support/seed';
import { LAPTOP, launchBrowser, screenshot, texts, watchErrors } from './browser';

const INCIDENT = '11111111-1111-4111-8111-111111111111';
const ANA = { sub: 'U-ANA', email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UA8RXUSPL' };
const BOSS = { sub: 'U-BOSS', email: 'boss@corp.example', name: 'Bo Boss' };

/** A free port, so the redirect URL the provider sends people back to is known before the API starts. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('dashboard sign-in, roles and audit in Chromium', () => {
  let t: TestDb;
  let app: FastifyInstance;
  let fake: FakeOidc;
  let browser: Browser;
  let s: Seed;
  let base: string;
  const errors: string[] = [];

  before(async () => {
    [t, fake, browser] = await Promise.all([createTestDb(), FakeOidc.start(), launchBrowser()]);
    s = await seedBase(t.db);
    await seedIncident(t.db, { id: INCIDENT, externalId: 'SIGNIN-1', title: 'API Latency Issues', impacts: [
      [s.customer.techcorp, 'high', 1, 'pending'], [s.customer.globalinc, 'high', 2, 'pending'], [s.customer.dataflow, 'medium', 3, 'pending'],
    ] });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = loadConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL: base, ADMIN_EMAILS: BOSS.email, ...fake.env() });
    // Temporal is not needed here: outreach is recorded in Postgres (the client points at a closed port).
    app = await buildApp({ config, db: t.db, temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }) });
    await app.listen({ host: '127.0.0.1', port });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await fake?.close();
    await t?.close();
  });

  async function signedInPage(user: typeof ANA | typeof BOSS): Promise<Page> {
    fake.user = user;
    const context = await browser.newContext({ viewport: LAPTOP, locale: 'en-US', timezoneId: 'UTC' });
    const page = await context.newPage();
    errors.push(...watchErrors(page));
    await page.goto(`${base}/dashboard`);
    await page.getByRole('link', { name: 'Sign in with Slack' }).click();
    await page.locator('#view h1', { hasText: 'Incidents' }).waitFor();
    return page;
  }

  test('the sign-in page offers Slack only (no token form once OIDC is configured), and signing in lands on the dashboard', async () => {
    const context = await browser.newContext({ viewport: LAPTOP, locale: 'en-US', timezoneId: 'UTC' });
    const page = await context.newPage();
    errors.push(...watchErrors(page));
    await page.goto(`${base}/dashboard`);
    await page.getByRole('link', { name: 'Sign in with Slack' }).waitFor();
    assert.equal(await page.locator('#sign-in-form').isVisible(), false);
    assert.equal(await page.locator('#nav').isVisible(), false);
    await screenshot(page, 'sign-in-oidc');

    fake.user = ANA;
    await page.getByRole('link', { name: 'Sign in with Slack' }).click();
    await page.locator('#view h1', { hasText: 'Incidents' }).waitFor();
    assert.equal(await page.locator('#who').innerText(), 'Ana Ruiz · CSM');
    assert.equal(await page.locator('#nav-tokens').isVisible(), false, 'Tokens is for admins');
    assert.equal(await page.locator('#nav-people').isVisible(), false, 'People is for admins');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'forewarn_session');
    assert.deepEqual([session?.httpOnly, session?.secure, session?.sameSite], [true, true, 'Lax']);
    assert.equal(await page.evaluate(() => document.cookie.includes('forewarn_session')), false, 'scripts cannot read the session');

    await page.click('#sign-out');
    await page.getByText('You are signed out.').waitFor();
    await page.reload();
    await page.getByRole('link', { name: 'Sign in with Slack' }).waitFor();
    assert.equal(await page.locator('#view').isVisible(), false);
    await context.close();
  });

  test("a CSM changes their own customers' outreach; other CSMs' customers are read-only", async () => {
    const page = await signedInPage(ANA);
    await page.goto(`${base}/dashboard#/incidents/${INCIDENT}`);
    const row = (id: string) => page.locator(`tr[data-customer-id="${id}"]`);
    await row(s.customer.techcorp).waitFor();
    assert.equal(await row(s.customer.techcorp).locator('select').count(), 1, "TechCorp is Ana's");
    assert.equal(await row(s.customer.dataflow).locator('select').count(), 1, "DataFlow is Ana's");
    assert.equal(await row(s.customer.globalinc).locator('select').count(), 0, "GlobalInc is Ben's");
    assert.equal(await row(s.customer.globalinc).locator('.read-only').innerText(), 'Pending');
    // Steering the incident takes a CS manager or an admin: a CSM is offered none of it.
    for (const control of ['[data-focus=resolve-incident]', '[data-focus=dismiss-incident]', 'form.merge-form', 'button.split']) {
      assert.equal(await page.locator(control).count(), 0, `no ${control} for a CSM`);
    }

    await row(s.customer.techcorp).locator('select').selectOption('sent');
    await row(s.customer.techcorp).getByRole('button', { name: /Save/ }).click();
    await page.getByText('TechCorp: outreach set to Sent.').waitFor();
    await screenshot(page, 'role-limited-detail');
    await page.context().close();
  });

  test('the audit view lists who did what, newest first, and filters by action', async () => {
    const page = await signedInPage(ANA);
    await page.click('#nav a[data-view=audit]');
    await page.locator('#view h1', { hasText: 'Audit log' }).waitFor();
    const actions = await texts(page, 'tr[data-audit-id] td[data-label=Action]');
    assert.deepEqual(actions.slice(0, 3), ['session.signed_in', 'outreach.changed', 'session.signed_in']);
    const changed = page.locator('tr[data-action="outreach.changed"]');
    assert.match(await changed.innerText(), /Ana Ruiz <ana@corp\.example>/);
    assert.match(await changed.innerText(), /status: sent · previous: pending/);
    assert.equal(await changed.locator('td[data-label=Target]').innerText(), s.customer.techcorp);

    await page.fill('#audit-action', 'outreach.changed');
    await page.press('#audit-action', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-audit-id]').length === 1);
    assert.deepEqual(await texts(page, 'tr[data-audit-id] td[data-label=Action]'), ['outreach.changed']);
    await screenshot(page, 'audit');
    await page.context().close();
  });

  test('an admin creates a token (shown once) and revokes it; every outreach control is enabled for them', async () => {
    const page = await signedInPage(BOSS);
    assert.equal(await page.locator('#who').innerText(), 'Bo Boss · Admin');
    await page.click('#nav a[data-view=tokens]');
    await page.locator('#view h1', { hasText: 'API tokens' }).waitFor();
    await page.fill('#token-name', 'CRM sync');
    await page.check('#scope-import');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = await page.locator('#new-token').innerText();
    assert.match(shown, /^fwt_/);
    const row = page.locator('tr[data-token-id]', { hasText: 'CRM sync' });
    assert.match(await row.locator('td[data-label=Scopes]').innerText(), /read, import/);
    await screenshot(page, 'tokens');

    const res = await fetch(`${base}/api/incidents`, { headers: { authorization: `Bearer ${shown}` } });
    assert.equal(res.status, 200, 'the token works at once');
    await row.getByRole('button', { name: /Revoke/ }).click();
    await row.getByText('Revoked').waitFor();
    assert.equal((await fetch(`${base}/api/incidents`, { headers: { authorization: `Bearer ${shown}` } })).status, 401);

    // A token for a person acts as them, within their role.
    await page.locator('#token-person option', { hasText: 'Ana Ruiz (ana@corp.example)' }).waitFor({ state: 'attached' });
    await page.fill('#token-name', 'Ana\'s scripts');
    await page.selectOption('#token-person', { label: 'Ana Ruiz (ana@corp.example)' });
    await page.getByRole('button', { name: 'Create token' }).click();
    const anas = await page.locator('#new-token').innerText();
    assert.match(await page.locator('tr[data-token-id]', { hasText: 'Ana\'s scripts' }).locator('td[data-label=For]').innerText(), /Ana Ruiz \(ana@corp\.example\)/);
    const me = await (await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${anas}` } })).json();
    assert.deepEqual([me.actor.email, me.actor.role], [ANA.email, 'csm']);

    await page.goto(`${base}/dashboard#/incidents/${INCIDENT}`);
    await page.locator(`tr[data-customer-id="${s.customer.globalinc}"] select`).waitFor();
    assert.equal(await page.locator('[data-focus=resolve-incident]').count(), 1, 'an admin may resolve it');
    await page.context().close();
  });

  test('an admin lets a CSM approve templates on the People page; taking their own admin right away is refused with the reason', async () => {
    const page = await signedInPage(BOSS);
    await page.click('#nav a[data-view=people]');
    await page.locator('#view h1', { hasText: 'People' }).waitFor();
    const ana = page.locator('tr[data-person-id]', { hasText: 'Ana Ruiz' });
    assert.match(await ana.locator('td[data-label=Role]').innerText(), /^CSM$/);
    assert.equal(await ana.getByLabel(/Approves templates/).isChecked(), false);
    await ana.getByLabel(/Approves templates/).check();
    await page.getByText('Ana Ruiz: approves templates granted.').waitFor();
    const stored = await t.db.selectFrom('people').select(['can_approve_templates']).where('email', '=', ANA.email).executeTakeFirstOrThrow();
    assert.equal(stored.can_approve_templates, true);
    const audit = await t.db.selectFrom('audit_log').select(['action', 'target', 'actor_email']).where('action', '=', 'person.updated').execute();
    assert.deepEqual(audit.map((a) => [a.action, a.target, a.actor_email]), [['person.updated', ANA.email, BOSS.email]]);

    const me = page.locator('tr[data-person-id]', { hasText: 'Bo Boss' });
    await me.locator('input[id^=isAdmin-]').uncheck();
    await page.getByRole('alert').filter({ hasText: 'An admin cannot take away their own admin right' }).waitFor();
    assert.equal(await me.locator('input[id^=isAdmin-]').isChecked(), true, 'the page shows what the server kept');
    await screenshot(page, 'people');
    await page.context().close();
  });

  test('no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
