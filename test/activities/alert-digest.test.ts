import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../config';
import { createSlackActivities } from '../../activities/slack';
import { NOTIFICATION_EVENT } from '../../activities/slack-post';
import type { IncidentActivities, NotifyResult } from '../../activities/types';
import type { Incident } from '../../domain/types';
import { createTestDb, stopTestPostgres, type TestDb } from '../helpers/db';
import { FakeSlack, type FakeMessage } from '../fakes/slack';
import { seedCustomerBase } from '../helpers/impact-seed';
import { exampleIncident } from '../helpers/incident';

const ANA = 'ana@corp.example';
const BO = 'bo@corp.example';
const DASHBOARD = 'http://127.0.0.1:3000/dashboard';
const totals = { customers: 2, arrAtRisk: 850_000, businessImpact: 10, highImpact: 1 };
const STORM = 12;
const K = 3;

function stormIncident(i: number): Incident {
  return exampleIncident({
    id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`, workflowId: `incident:generic:storm-${i}`, source: 'generic',
    externalId: `storm-${i}`, title: `Storm incident #${String(i).padStart(2, '0')}`, severity: i % 4 === 0 ? 'P2' : 'P3', components: ['api-gateway'],
    statusPageUrl: undefined,
  });
}

describe('storm digest: a CSM hit by many incidents at once', () => {
  let slack: FakeSlack;
  let testDb: TestDb;
  let activities: Pick<IncidentActivities, 'sendCsmMessage'>;
  const incidents = Array.from({ length: STORM }, (_, i) => stormIncident(i));

  before(async () => {
    slack = await FakeSlack.start({
      users: [{ id: 'UANA', email: ANA, name: 'Ana Ruiz', tz: 'UTC' }, { id: 'UBO', email: BO, name: 'Bo Chen', tz: 'UTC' }],
    });
  });
  after(async () => {
    await testDb?.close();
    await slack.close();
    await stopTestPostgres();
  });

  beforeEach(async () => {
    await testDb?.close();
    testDb = await createTestDb();
    const { db } = testDb;
    const seeded = await seedCustomerBase(db, {
      csms: [{ email: ANA, name: 'Ana Ruiz', slackUserId: 'UANA', timeZone: 'UTC' }, { email: BO, name: 'Bo Chen', slackUserId: 'UBO', timeZone: 'UTC' }],
      components: [{ key: 'api-gateway', name: 'API Gateway' }],
      customers: [
        { name: 'TechCorp', arr: 500_000, segment: 'enterprise', region: 'us-east', csm: ANA, uses: [{ key: 'api-gateway', usage: 'heavy' }] },
        { name: 'GlobalInc', arr: 350_000, segment: 'enterprise', region: 'us-east', csm: ANA, uses: [{ key: 'api-gateway', usage: 'moderate' }] },
        { name: 'Acme', arr: 90_000, segment: 'smb', region: 'eu-west', csm: BO, uses: [{ key: 'api-gateway', usage: 'light' }] },
      ],
    });
    for (const [i, incident] of incidents.entries()) {
      await db.insertInto('product_incidents').values({
        id: incident.id, source: incident.source, external_id: incident.externalId, workflow_id: incident.workflowId, title: incident.title,
        severity: incident.severity, status: incident.status, affected_components: incident.components, started_at: incident.startedAt,
      }).execute();
      // Every incident hits TechCorp; every other one GlobalInc too; the first one also hits Bo's Acme.
      const hit = [['TechCorp', 'high'], ...(i % 2 === 0 ? [['GlobalInc', 'medium']] : []), ...(i === 0 ? [['Acme', 'low']] : [])];
      await db.insertInto('incident_customer_impact').values(hit.map(([name, level], rank) => ({
        incident_id: incident.id, customer_id: seeded.customerIds[name!]!, impact_level: level as 'high', reason: 'Heavy API Gateway user',
        priority_rank: rank + 1, affected_revision: 0,
      }))).execute();
    }
    slack.reset();
    activities = createSlackActivities({
      config: loadConfig({ NODE_ENV: 'test', SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, ALERT_DIGEST_THRESHOLD: String(K) }),
      db,
    });
  });

  const alert = (incident: Incident, csmEmail = ANA) => activities.sendCsmMessage({
    idempotencyKey: `${incident.workflowId}:alert:${csmEmail}:1`, kind: 'alert', incident, csmEmail, totals, dashboardUrl: DASHBOARD,
  });
  const isDigest = (m: FakeMessage) => /incidents? affects? your customers/.test(m.text);
  const stormTitle = (i: number) => `Storm incident #${String(i).padStart(2, '0')}`;

  test('at most K alerts and one digest reach the CSM; every incident is in the digest or an alert, its detail in the thread', async () => {
    // The incidents' alert activities run at the same time, as in a storm.
    const results = await Promise.all(incidents.map((incident) => alert(incident)));
    assert.ok(results.every((r) => r.status === 'sent'), JSON.stringify(results.map((r) => r.status)));

    const top = slack.dmsTo('UANA');
    assert.equal(top.length, K + 1, top.map((m) => m.text.split('\n')[0]).join(' | '));
    const digests = top.filter(isDigest);
    assert.equal(digests.length, 1);
    const digest = digests[0]!;
    const direct = top.filter((m) => !isDigest(m));
    for (let i = 0; i < STORM; i++) {
      const inDigest = digest.text.includes(stormTitle(i));
      const alone = direct.filter((m) => m.text.includes(stormTitle(i))).length;
      assert.equal(Number(inDigest) + alone, 1, `incident ${i}: in the digest or in one alert of its own, not both`);
    }
    // Kept current by chat.update (the first post listed only the incident that opened it).
    assert.match(digest.text, new RegExp(`^:warning: ${STORM - K} incidents affect your customers`));
    assert.ok(slack.calls('chat.update').length >= 1);
    // The CSM's customers and ARR per incident: TechCorp alone, or TechCorp and GlobalInc.
    const folded = incidents.map((_, i) => i).filter((i) => digest.text.includes(stormTitle(i)));
    for (const i of folded) {
      const expected = i % 2 === 0 ? '2 customers, $850K ARR' : '1 customer, $500K ARR';
      assert.match(digest.text, new RegExp(`${stormTitle(i)} — Investigating — ${expected.replace('$', '\\$')}`));
    }

    // Each folded incident's full alert is in the digest's thread, once, with its key; the workflow
    // records the digest as the incident's thread, so its later messages go there too.
    const replies = slack.repliesTo(digest.channel, digest.ts);
    const digestKeys = new Set<string | null>();
    assert.equal(replies.length, STORM - K);
    for (const i of folded) {
      const key = `${incidents[i]!.workflowId}:alert:${ANA}:1`;
      const detail = replies.filter((m) => m.metadata?.event_payload.idempotency_key === key);
      assert.equal(detail.length, 1, `incident ${i}'s alert in the digest thread`);
      assert.match(detail[0]!.text, new RegExp(`INCIDENT: ${stormTitle(i)}`));
      assert.match(detail[0]!.text, /TechCorp - \$500K ARR/);
      assert.deepEqual({ channel: results[i]!.channel, ts: results[i]!.ts }, { channel: digest.channel, ts: digest.ts });
      const row = await testDb.db.selectFrom('notifications').select(['status', 'digest_key']).where('idempotency_key', '=', key).executeTakeFirstOrThrow();
      assert.equal(row.status, 'sent');
      digestKeys.add(row.digest_key);
    }
    assert.equal(digestKeys.size, 1);
    assert.match([...digestKeys][0] ?? '', /^digest:incident:generic:storm-\d+:alert:ana@corp\.example:1$/);
    // Bo's one alert in the same storm is his own business.
    const bo = await alert(incidents[0]!, BO);
    assert.equal(bo.status, 'sent');
    assert.equal(slack.dmsTo('UBO').length, 1);
    assert.ok(!isDigest(slack.dmsTo('UBO')[0]!));
  });

  test('exactly once: a repeated alert answers the digest thread and sends nothing; a lost answer is found by its metadata', async () => {
    for (const incident of incidents.slice(0, K + 1)) await alert(incident);
    const digest = slack.dmsTo('UANA').find(isDigest)!;
    const posts = slack.calls('chat.postMessage').length;
    const again = await alert(incidents[K]!);
    assert.deepEqual({ status: again.status, channel: again.channel, ts: again.ts }, { status: 'duplicate', channel: digest.channel, ts: digest.ts });
    assert.equal(slack.calls('chat.postMessage').length, posts);

    // Slack posts the next incident's detail but the answer is lost: the retry finds it, posts nothing twice.
    slack.loseAnswers('chat.postMessage', 1);
    await assert.rejects(alert(incidents[K + 1]!));
    const retried: NotifyResult = await alert(incidents[K + 1]!);
    assert.equal(retried.status, 'sent');
    assert.equal(retried.ts, digest.ts);
    const key = `${incidents[K + 1]!.workflowId}:alert:${ANA}:1`;
    assert.equal(slack.messages.filter((m) => m.metadata?.event_type === NOTIFICATION_EVENT && m.metadata.event_payload.idempotency_key === key).length, 1);
    assert.equal(slack.dmsTo('UANA').length, K + 1);
    assert.match(slack.dmsTo('UANA').find(isDigest)!.text, /^:warning: 2 incidents affect your customers/);
  });

  test('an incident\'s later messages go to the digest thread, and its resolution shows in the digest', async () => {
    for (const incident of incidents.slice(0, K + 2)) await alert(incident);
    const folded = incidents[K + 1]!;
    const first = await alert(folded);
    const thread = { channel: first.channel!, ts: first.ts! };
    await testDb.db.updateTable('product_incidents').set({ status: 'resolved', resolved_at: new Date() }).where('id', '=', folded.id).execute();
    const resolution = await activities.sendCsmMessage({
      idempotencyKey: `${folded.workflowId}:resolution:${ANA}:1`, kind: 'resolution', incident: { ...folded, status: 'resolved', resolvedAt: new Date().toISOString() },
      csmEmail: ANA, totals, dashboardUrl: DASHBOARD, thread,
    });
    assert.equal(resolution.status, 'sent');
    assert.equal(slack.dmsTo('UANA').length, K + 1);
    assert.ok(slack.repliesTo(thread.channel, thread.ts).some((m) => m.metadata?.event_payload.idempotency_key === `${folded.workflowId}:resolution:${ANA}:1`));
    assert.match(slack.dmsTo('UANA').find(isDigest)!.text, new RegExp(`~P2 ${stormTitle(K + 1)}~ — Resolved`));
  });

  test('with digests off (threshold 0) every incident is its own DM', async () => {
    activities = createSlackActivities({
      config: loadConfig({ NODE_ENV: 'test', SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, ALERT_DIGEST_THRESHOLD: '0' }),
      db: testDb.db,
    });
    await Promise.all(incidents.slice(0, 6).map((incident) => alert(incident)));
    assert.equal(slack.dmsTo('UANA').length, 6);
    assert.ok(!slack.dmsTo('UANA').some(isDigest));
  });
});
