import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEMO_DATA_FILE, demoDataJson } from '../../demo/generate';
import { validateImport } from '../../domain/import';
import { approvedMessage } from '../../domain/messages/templates';
import { EVENT_STATUSES, SEVERITIES } from '../../domain/types';

const demo = JSON.parse(readFileSync(DEMO_DATA_FILE, 'utf8'));

test('the checked-in demo data is exactly what the seeded generator writes', () => {
  assert.equal(readFileSync(DEMO_DATA_FILE, 'utf8'), demoDataJson(), 'run `npx tsx demo/generate.ts` after changing the generator');
});

test('the demo data is a valid, self-contained import', () => {
  const v = validateImport(demo);
  assert.deepEqual(v.errors, []);
  assert.deepEqual(v.unresolved, [], 'every CSM and component the customers name is in the file');
  assert.equal(v.data.csms.length, 10);
  assert.ok(v.data.customers.length >= 250 && v.data.customers.length <= 350);
  for (const c of v.data.components) {
    assert.deepEqual(new Set(c.aliases!.map((a) => a.source)), new Set(['pagerduty', 'opsgenie', 'statuspage']), c.key);
    assert.ok(c.ticketTags.length > 0 && c.ticketKeywords.length > 0, c.key);
  }
  assert.ok(v.data.csms.every((c) => c.slackUserId && c.managerEmail));
  assert.ok(v.data.usage.some((u) => u.requests === 0), 'some accounts show traffic that stopped');
});

test('an approved template renders for every severity and status', () => {
  const templates = validateImport(demo).data.templates;
  for (const severity of SEVERITIES) {
    for (const status of EVENT_STATUSES) {
      const incident = {
        id: 'i', workflowId: 'w', source: 'generic' as const, externalId: 'INC-1', title: 'elevated API latency',
        status, severity, components: ['api-gateway'], regions: [], startedAt: '2026-01-29T14:30:00Z',
      };
      const m = approvedMessage(templates, { incident });
      assert.equal(m.fallback, false, `${severity} ${status}`);
      assert.equal(m.templateKey, `${severity.toLowerCase()}-${status}`);
      assert.ok(m.text.includes('elevated API latency') && !m.text.includes('{{'), m.text);
    }
  }
});

test("Ana's book reproduces the product's example alert", () => {
  const affected = validateImport(demo).data.customers
    .filter((c) => c.csmEmail === 'ana@corp.example' && c.components!.some((u) => ['api-gateway', 'data-pipeline'].includes(u.key)));
  assert.deepEqual(affected.map((c) => [c.name, c.arr]), [
    ['TechCorp', 500000], ['GlobalInc', 350000], ['DataFlow', 200000], ['StartupXYZ', 50000], ['SmallBiz', 25000],
  ]);
});
