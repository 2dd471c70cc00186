import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { digestKeyFor, routeAlert, type AlertRouteInput } from '../../domain/alert-digest';
import { DIGEST_LISTED_MAX, renderDigest, type DigestEntry } from '../../domain/messages/digest';
import { limitProblems } from '../../domain/messages';

const now = new Date('2026-12-05T10:00:00Z');
const settings = { threshold: 3, windowSeconds: 120 };
const route = (over: Partial<AlertRouteInput>) => routeAlert({ alertKey: 'wf:alert:ana:1', recentDirect: 0, now, settings, ...over });
const secondsAgo = (s: number) => new Date(now.getTime() - s * 1000);

describe('storm rule: when an alert joins a digest', () => {
  test('the first K alerts within the window go on their own, the next opens a digest keyed after it', () => {
    assert.deepEqual(route({ recentDirect: 0 }), { kind: 'direct' });
    assert.deepEqual(route({ recentDirect: 2 }), { kind: 'direct' });
    assert.deepEqual(route({ recentDirect: 3 }), { kind: 'open', digestKey: digestKeyFor('wf:alert:ana:1') });
    assert.equal(digestKeyFor('wf:alert:ana:1'), 'digest:wf:alert:ana:1');
  });

  test('while a digest got an alert within the window, every alert joins it', () => {
    const latestDigest = { key: 'd1', lastJoinedAt: secondsAgo(119) };
    assert.deepEqual(route({ recentDirect: 0, latestDigest }), { kind: 'join', digestKey: 'd1' });
    assert.deepEqual(route({ recentDirect: 7, latestDigest }), { kind: 'join', digestKey: 'd1' });
  });

  test('a storm that has been quiet for a window is over: alerts go on their own again', () => {
    const latestDigest = { key: 'd1', lastJoinedAt: secondsAgo(120) };
    assert.deepEqual(route({ recentDirect: 0, latestDigest }), { kind: 'direct' });
    assert.deepEqual(route({ recentDirect: 3, latestDigest }), { kind: 'open', digestKey: 'digest:wf:alert:ana:1' });
  });

  test('threshold 0 turns digests off', () => {
    assert.deepEqual(routeAlert({ alertKey: 'k', recentDirect: 50, now, settings: { threshold: 0, windowSeconds: 120 },
      latestDigest: { key: 'd1', lastJoinedAt: now } }), { kind: 'direct' });
  });
});

const entry = (i: number, over: Partial<DigestEntry> = {}): DigestEntry => ({
  incidentId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, title: `Incident ${i}`, severity: 'P3', status: 'investigating',
  customers: 2, arr: 850_000, ...over,
});

describe('storm digest message', () => {
  test('lists each incident with the CSM\'s affected customers and ARR, open ones first by severity and ARR', () => {
    const message = renderDigest({
      dashboardUrl: 'https://fw.example/dashboard',
      entries: [
        entry(1, { title: 'Search slow', severity: 'P3', customers: 1, arr: 80_000 }),
        entry(2, { title: 'Checkout <errors>', severity: 'P1', customers: 5, arr: 1_200_000 }),
        entry(3, { title: 'Exports late', severity: 'P3', customers: 3, arr: 300_000 }),
        entry(4, { title: 'Login flaky', severity: 'P2', status: 'resolved', customers: 2, arr: 90_000 }),
      ],
    });
    assert.deepEqual(message.text.split('\n'), [
      ':rotating_light: 4 incidents affect your customers',
      'Forewarn is grouping alerts during this storm: each incident\'s full alert is in this thread.',
      '• :rotating_light: P1 Checkout <errors> — Investigating — 5 customers, $1.2M ARR',
      '• :large_yellow_circle: P3 Exports late — Investigating — 3 customers, $300K ARR',
      '• :large_yellow_circle: P3 Search slow — Investigating — 1 customer, $80K ARR',
      '• :white_check_mark: ~P2 Login flaky~ — Resolved — 2 customers, $90K ARR',
      '3 still open, $1.58M ARR at risk across them (a customer hit by several incidents counts in each).',
    ]);
    const blocks = JSON.stringify(message.blocks);
    // Titles are escaped and link to the incident's dashboard page.
    assert.match(blocks, /<https:\/\/fw\.example\/dashboard#\/incidents\/00000000-0000-4000-8000-000000000002\|Checkout &lt;errors&gt;>/);
    assert.deepEqual(limitProblems(message), []);
  });

  test('a huge storm stays within Slack\'s limits: the first incidents listed, the rest counted', () => {
    const entries = Array.from({ length: 300 }, (_, i) => entry(i, { title: `${'Very long incident title '.repeat(8)}${i}` }));
    const message = renderDigest({ dashboardUrl: 'https://fw.example/dashboard', entries });
    assert.deepEqual(limitProblems(message), []);
    assert.match(message.text, /^:large_yellow_circle: 300 incidents affect your customers/);
    assert.match(JSON.stringify(message.blocks), new RegExp(`…and ${300 - DIGEST_LISTED_MAX} more incidents`));
    const one = renderDigest({ dashboardUrl: 'x', entries: [entry(1)] });
    assert.match(one.text, /^:large_yellow_circle: 1 incident affects your customers/);
  });
});
