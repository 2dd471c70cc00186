/**
 * The dashboard's HTTP surface without a browser: the shell and assets, token protection of its
 * JSON, ETags for cheap polling, bad input, and agreement with the REST API's metrics summary.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createTestDb, type TestDb } from '../helpers/db';
import { seedDashboard, type Seeded } from './seed';

const TOKEN = 'dashboard-api-test-token-000000';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('dashboard HTTP routes', () => {
  let testDb: TestDb;
  let app: FastifyInstance;
  let seeded: Seeded;

  before(async () => {
    testDb = await createTestDb();
    seeded = await seedDashboard(testDb.db);
    const config = loadConfig({ NODE_ENV: 'test', API_TOKENS: TOKEN, PUBLIC_BASE_URL: 'https://forewarn.example.test' });
    app = await buildApp({ config, db: testDb.db, temporal: new Client() });
  });

  after(async () => {
    await app?.close();
    await testDb?.close();
  });

  test('the page is served at / and /dashboard with its own assets only, and holds no data', async () => {
    for (const url of ['/', '/dashboard']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] as string, /text\/html/);
      assert.match(res.headers['content-security-policy'] as string, /script-src 'self'/);
      assert.match(res.body, /Sign in to Forewarn/);
      assert.doesNotMatch(res.body, /API Latency Issues/);
      // Every script, stylesheet and icon comes from this server.
      const refs = [...res.body.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => m[1]!);
      assert.ok(refs.length >= 3);
      for (const ref of refs) {
        assert.ok(ref.startsWith('/dashboard/assets/'), `${ref} is served by the API`);
        const asset = await app.inject({ url: ref });
        assert.equal(asset.statusCode, 200, ref);
      }
    }
  });

  test('every module the page imports exists, and nothing outside the assets folder is reachable', async () => {
    const seen = new Set<string>();
    const queue = ['app.js'];
    while (queue.length) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const res = await app.inject({ url: `/dashboard/assets/${name}` });
      assert.equal(res.statusCode, 200, `${name} is served`);
      assert.match(res.headers['content-type'] as string, /text\/javascript/);
      const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/') + 1) : '';
      for (const m of res.body.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        queue.push(new URL(m[1]!, `http://x/${dir}`).pathname.slice(1));
      }
    }
    assert.ok(seen.size >= 8, `followed ${seen.size} modules`);
    for (const url of ['/dashboard/assets/../index.ts', '/dashboard/assets/%2e%2e/index.ts', '/dashboard/assets/nope.js']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
    }
    const css = await app.inject({ url: '/dashboard/assets/app.css' });
    const again = await app.inject({ url: '/dashboard/assets/app.css', headers: { 'if-none-match': css.headers.etag as string } });
    assert.equal(again.statusCode, 304);
  });

  test('every JSON endpoint refuses a missing or wrong token with problem+json', async () => {
    for (const url of ['/api/dashboard/session', '/api/dashboard/incidents', `/api/dashboard/incidents/${seeded.p1.id}`,
      '/api/dashboard/team', '/api/dashboard/outcomes', '/api/dashboard/outbox']) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }]) {
        const res = await app.inject({ url, headers });
        assert.equal(res.statusCode, 401, url);
        assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
        assert.match(res.json().detail, /Authorization: Bearer/);
      }
    }
  });

  test('the session tells the page where webhooks go and how often to poll', async () => {
    const res = await app.inject({ url: '/api/dashboard/session', headers: auth });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.webhookUrls.pagerduty, 'https://forewarn.example.test/api/webhooks/pagerduty');
    assert.ok(body.pollSeconds > 0 && body.pollSeconds <= 5);
    assert.equal(body.slackDryRun, true);
  });

  test('an unchanged view answers 304 to its ETag; a change gives a new body', async () => {
    const first = await app.inject({ url: '/api/dashboard/incidents', headers: auth });
    assert.equal(first.statusCode, 200);
    const etag = first.headers.etag as string;
    assert.ok(etag);
    const same = await app.inject({ url: '/api/dashboard/incidents', headers: { ...auth, 'if-none-match': etag } });
    assert.equal(same.statusCode, 304);
    assert.equal(same.body, '');
    await testDb.db.updateTable('incident_customer_impact').set({ outreach_status: 'drafted' })
      .where('incident_id', '=', seeded.p1.id).where('customer_id', '=', seeded.customers.smallbiz).execute();
    const changed = await app.inject({ url: '/api/dashboard/incidents', headers: { ...auth, 'if-none-match': etag } });
    assert.equal(changed.statusCode, 200);
    const p1 = changed.json().incidents.find((i: { id: string }) => i.id === seeded.p1.id);
    assert.equal(p1.outreach.drafted, 2);
    assert.equal(p1.outreach.pending, 1); // StartupXYZ
  });

  test('incident detail by id or workflow id; an unknown one is a 404', async () => {
    const byId = await app.inject({ url: `/api/dashboard/incidents/${seeded.p1.id}`, headers: auth });
    const byWorkflow = await app.inject({ url: `/api/dashboard/incidents/${encodeURIComponent(seeded.p1.workflowId)}`, headers: auth });
    assert.equal(byId.statusCode, 200);
    assert.deepEqual(byWorkflow.json(), byId.json());
    const detail = byId.json();
    assert.equal(detail.customers.length, 5);
    assert.equal(detail.customers.reduce((s: number, c: { arr: number }) => s + c.arr, 0), detail.incident.arrAtRisk);
    assert.equal(detail.byCsm.find((m: { email: string }) => m.email === 'alice.chen@forewarn.test').acknowledgedAt !== null, true);
    // Large incidents are paged and sorted by the server; ties fall back to priority.
    const page = (await app.inject({ url: `/api/dashboard/incidents/${seeded.p1.id}?sort=arr&dir=desc&limit=2&offset=2`, headers: auth })).json();
    assert.equal(page.customersTotal, 5);
    assert.deepEqual(page.customers.map((c: { name: string }) => c.name), ['DataFlow', 'StartupXYZ']);
    // The link in a CSM's alert ("…and N more") shows only that CSM's customers.
    const alice = (await app.inject({ url: `/api/dashboard/incidents/${seeded.p1.id}?csm=${encodeURIComponent('Alice.Chen@forewarn.test')}`, headers: auth })).json();
    const hers = detail.customers.filter((c: { csm: { email: string } | null }) => c.csm?.email === 'alice.chen@forewarn.test');
    assert.ok(hers.length > 0 && hers.length < detail.customers.length);
    assert.equal(alice.customersTotal, hers.length);
    assert.deepEqual(alice.customers.map((c: { name: string }) => c.name), hers.map((c: { name: string }) => c.name));
    const bad = await app.inject({ url: `/api/dashboard/incidents/${seeded.p1.id}?sort=mood`, headers: auth });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail, /querystring\/sort/);
    const missing = await app.inject({ url: '/api/dashboard/incidents/00000000-0000-4000-8000-000000000000', headers: auth });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().detail, /No incident with id/);
  });

  test('incident detail carries the last part of the incident Forewarn could not process (null when none)', async () => {
    const url = `/api/dashboard/incidents/${seeded.p1.id}`;
    const before = (await app.inject({ url, headers: auth })).json();
    assert.equal(before.incident.lastProblem, null);
    // As the workflow's recordIncidentProblem leaves it (db/incident-problems.ts).
    const message = 'recordTimeline: Postgres refused the incident\'s data (SQLSTATE 22021): invalid byte sequence for encoding "UTF8": 0x00';
    await testDb.db.updateTable('product_incidents')
      .set({ last_problem: message, last_problem_step: 'event delivery-3', last_problem_at: '2026-01-29T19:41:00.000Z', problem_count: 1 })
      .where('id', '=', seeded.p1.id).execute();
    try {
      const res = await app.inject({ url, headers: auth });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json().incident.lastProblem, { at: '2026-01-29T19:41:00.000Z', step: 'event delivery-3', message, count: 1 });
    } finally {
      await testDb.db.updateTable('product_incidents')
        .set({ last_problem: null, last_problem_step: null, last_problem_at: null, problem_count: 0 })
        .where('id', '=', seeded.p1.id).execute();
    }
  });

  test('incident detail carries its own outcomes, the same as GET /api/metrics/summary for that incident', async () => {
    for (const id of [seeded.p1.id, seeded.resolved.id]) {
      const { outcomes } = (await app.inject({ url: `/api/dashboard/incidents/${id}`, headers: auth })).json();
      const summary = (await app.inject({ url: `/api/metrics/summary?incidentId=${id}`, headers: auth })).json();
      const { tickets, beforeContact, afterContact, customers } = summary.escalations;
      assert.deepEqual(outcomes.escalations, { tickets, beforeContact, afterContact, customers });
      assert.deepEqual(outcomes.csat, summary.csat);
    }
    const p1 = (await app.inject({ url: `/api/dashboard/incidents/${seeded.p1.id}`, headers: auth })).json().outcomes;
    assert.deepEqual(p1.escalations, { tickets: 3, beforeContact: 2, afterContact: 1, customers: 3 });
    assert.equal(p1.csat.ratings, 0);
    const resolved = (await app.inject({ url: `/api/dashboard/incidents/${seeded.resolved.id}`, headers: auth })).json().outcomes;
    assert.deepEqual([resolved.csat.ratings, resolved.csat.average, resolved.escalations.tickets], [2, 4.5, 0]);
  });

  test('outcomes agree with GET /api/metrics/summary for the same period, and the series adds up', async () => {
    const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const outcomes = (await app.inject({ url: `/api/dashboard/outcomes?${q}`, headers: auth })).json();
    const summary = await app.inject({ url: `/api/metrics/summary?${q}`, headers: auth });
    assert.equal(summary.statusCode, 200);
    const s = summary.json();
    assert.equal(outcomes.incidents, s.incidents);
    assert.equal(outcomes.alert.samples, s.timeToAlert.alerts);
    // Delivered alerts only (Alice's dry-run one is counted apart): 20, 30, 45, 50 s.
    assert.equal(outcomes.alert.p50Seconds, 37.5);
    assert.equal(outcomes.alert.p90Seconds, 48.5);
    assert.equal(s.timeToAlert.p90Seconds, 48.5);
    assert.equal(outcomes.alert.dryRunExcluded, 1);
    assert.deepEqual(outcomes.alert.fromStart, { p50Seconds: 80, p90Seconds: 97.5 });
    assert.deepEqual(outcomes.escalations, s.escalations);
    assert.deepEqual([outcomes.escalations.tickets, outcomes.escalations.beforeContact, outcomes.escalations.afterContact], [3, 2, 1]);
    assert.deepEqual(outcomes.csat, s.csat);
    assert.equal(outcomes.csat.average, 4.5);
    assert.equal(outcomes.reach.reached, s.outreach.reached);
    assert.equal(outcomes.resolutionNotices.notified, s.resolutionNotice.notified);
    assert.equal(outcomes.followUps.done, s.followUps.done);
    assert.equal(outcomes.bucket, 'day');
    assert.equal(outcomes.series.length, 8);
    const sum = (k: 'incidents' | 'affected' | 'reached') => outcomes.series.reduce((n: number, b: Record<string, number>) => n + b[k]!, 0);
    assert.equal(sum('incidents'), outcomes.incidents);
    assert.equal(sum('affected'), outcomes.reach.affected);
    assert.equal(sum('reached'), outcomes.reach.reached);
    assert.equal(outcomes.series.reduce((n: number, b: { tickets: number }) => n + b.tickets, 0), 3);
    assert.equal(outcomes.series.reduce((n: number, b: { csatRatings: number }) => n + b.csatRatings, 0), 2);
  });

  test('a bad period or filter is a 400 that names the field', async () => {
    const cases: [string, RegExp][] = [
      ['/api/dashboard/outcomes?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', /from must be before/],
      ['/api/dashboard/outcomes?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', /at most 366 days/],
      ['/api/dashboard/outcomes?from=yesterday', /querystring\/from/],
      ['/api/dashboard/outcomes?days=0', /querystring\/days/],
      ['/api/dashboard/outbox?channel=fax', /querystring\/channel/],
      ['/api/dashboard/outbox?before=not-a-uuid', /querystring\/before/],
      ['/api/dashboard/incidents?limit=100000', /querystring\/limit/],
    ];
    for (const [url, detail] of cases) {
      const res = await app.inject({ url, headers: auth });
      assert.equal(res.statusCode, 400, url);
      assert.match(res.json().detail, detail, url);
    }
  });

  test('the outbox pages newest first without skipping or repeating a message', async () => {
    const all = (await app.inject({ url: '/api/dashboard/outbox?limit=200', headers: auth })).json();
    assert.equal(all.items.length, 7);
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const url: string = `/api/dashboard/outbox?limit=3${before ? `&before=${before}` : ''}`;
      const page = (await app.inject({ url, headers: auth })).json();
      seen.push(...page.items.map((i: { id: string }) => i.id));
      before = page.nextBefore;
    } while (before);
    assert.deepEqual(seen, all.items.map((i: { id: string }) => i.id));
    assert.equal(all.counts.dry_run, 1);
    assert.equal(all.counts.sent, 4);
    assert.equal(all.counts.failed, 1);
    const emails = (await app.inject({ url: '/api/dashboard/outbox?channel=email', headers: auth })).json();
    assert.deepEqual(emails.items.map((i: { recipient: string }) => i.recipient), ['ops@techcorp.test']);
  });
});
