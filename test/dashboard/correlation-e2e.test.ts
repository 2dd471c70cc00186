/**
 * Merge and split from the dashboard, as a CS manager would: the real API serving the dashboard, a real
 * worker running the incident workflow (Slack and Gmail in dry-run), the Temporal dev server, embedded
 * Postgres and headless Chromium.
 *
 * Two incidents arrive → on the first one's page, merge the second into it → its sources table lists both,
 * the incidents list shows the second as merged and the first with its two sources → split the second's
 * source back out → it is an incident of its own again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { screenshot, texts } from './browser';
import { startDashboardStack, type DashboardStack } from './e2e-stack';

const TOKEN = 'dashboard-correlation-token-0123456789';
const VISIBLE_WITHIN = 30_000;

const customerBase = {
  csms: [
    { email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UANA', managerEmail: 'lee@corp.example' },
    { email: 'ben@corp.example', name: 'Ben Okafor', slackUserId: 'UBEN', managerEmail: 'lee@corp.example' },
  ],
  components: [{ key: 'api-gateway', name: 'API Gateway' }, { key: 'billing', name: 'Billing' }],
  customers: [
    { externalId: 'acct-1', name: 'TechCorp', arr: 500000, segment: 'enterprise', region: 'us-east', csmEmail: 'ana@corp.example',
      contactName: 'Sam Lee', contactEmail: 'sam@techcorp.example', components: [{ key: 'api-gateway', usage: 'heavy' }] },
    { externalId: 'acct-2', name: 'PayCo', arr: 900000, segment: 'enterprise', region: 'us-east', csmEmail: 'ben@corp.example',
      contactName: 'Lou Ma', contactEmail: 'lou@payco.example', components: [{ key: 'billing', usage: 'heavy' }] },
  ],
};

describe('dashboard: merge and split incidents', () => {
  let e2e: DashboardStack;
  let stack: Stack<'listen'>;
  let page: Page;
  let errors: string[];

  const postIncident = async (body: Record<string, unknown>) => {
    const res = await fetch(`${stack.base}/api/webhooks/incidents`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, 202, text);
    return JSON.parse(text) as { workflowId: string };
  };
  const incidentId = async (workflowId: string) => (await waitFor(`${workflowId} recorded`,
    () => stack.db.selectFrom('product_incidents').select('id').where('workflow_id', '=', workflowId).executeTakeFirst(), 30_000)).id;

  before(async () => {
    e2e = await startDashboardStack({ customerBase, config: { API_TOKENS: TOKEN, TEMPORAL_TASK_QUEUE: 'e2e-correlation' } });
    ({ stack, page, errors } = e2e);
  });

  after(async () => {
    await e2e?.stop();
  });

  test('merge an incident into another from its page, see the correlation in the list, split it back out', async () => {
    const now = new Date().toISOString();
    const a = await postIncident({ id: 'GW-1', title: 'API Gateway errors', status: 'investigating', severity: 'P2', affectedComponents: ['api-gateway'], startedAt: now });
    const b = await postIncident({ id: 'BILL-7', title: 'Billing delays', status: 'identified', severity: 'P3', affectedComponents: ['billing'], startedAt: now });
    const [aId, bId] = [await incidentId(a.workflowId), await incidentId(b.workflowId)];

    await page.goto(`${stack.base}/dashboard`);
    await page.fill('#token', TOKEN);
    await page.press('#token', 'Enter');
    await page.locator('tr[data-incident-id]', { hasText: 'Billing delays' }).waitFor({ timeout: VISIBLE_WITHIN });
    await page.goto(`${stack.base}/dashboard#/incidents/${aId}`);
    await page.locator('#sources-title').waitFor();
    assert.equal(await page.locator('#sources-title').textContent(), 'Source');

    await page.selectOption('#merge-incident', bId);
    await page.click('button.merge');
    await page.locator('.sources-section .flash', { hasText: 'is being merged into this incident' }).waitFor();
    // Live: the page shows both sources once the workflows have handed over.
    await page.locator('table.sources tr[data-source="generic:BILL-7"]').waitFor({ timeout: VISIBLE_WITHIN });
    assert.deepEqual(await texts(page, 'table.sources tbody th'), ['MonitoringGW-1', 'MonitoringBILL-7merged in']);
    await page.waitForFunction(() => document.querySelector('.facts')?.textContent?.includes('api-gateway, billing'), undefined, { timeout: VISIBLE_WITHIN });
    await page.locator('.timeline li', { hasText: 'Merged with "Billing delays"' }).waitFor({ timeout: VISIBLE_WITHIN });
    await screenshot(page, 'incident-sources');

    // The list: A shows its two sources, B is merged into A (and no longer open).
    await page.goto(`${stack.base}/dashboard#/incidents`);
    const rowA = page.locator('tr[data-incident-id]', { hasText: 'API Gateway errors' });
    await rowA.locator('.sources-line', { hasText: '2 sources: Monitoring · Monitoring' }).waitFor({ timeout: VISIBLE_WITHIN });
    const rowB = page.locator('tr[data-incident-id]', { hasText: 'Billing delays' });
    await rowB.locator('.merged-line', { hasText: 'Merged into API Gateway errors' }).waitFor({ timeout: VISIBLE_WITHIN });
    assert.ok(await page.locator('section[aria-labelledby="resolved-title"] tr', { hasText: 'Billing delays' }).count() === 1, 'B is not open any more');
    await page.goto(`${stack.base}/dashboard#/incidents/${bId}`);
    await page.locator('.notice.merged', { hasText: 'Merged into API Gateway errors' }).waitFor();

    // Split B's source back out of A: A has one source again, and a new incident follows BILL-7.
    await page.goto(`${stack.base}/dashboard#/incidents/${aId}`);
    await page.click('tr[data-source="generic:BILL-7"] button.split');
    await page.locator('.sources-section .flash', { hasText: 'split out into its own incident' }).waitFor();
    await page.waitForFunction(() => document.querySelector('#sources-title')?.textContent === 'Source', undefined, { timeout: VISIBLE_WITHIN });
    await page.goto(`${stack.base}/dashboard#/incidents`);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('section[aria-labelledby="open-title"] tr[data-incident-id]'))
      .some((r) => r.textContent?.includes('Billing delays')), undefined, { timeout: VISIBLE_WITHIN });
    assert.deepEqual(errors, []);
  });
});
