/**
 * Linking a post-mortem: PUT /api/incidents/:id/post-mortem and `/forewarn postmortem` put the link
 * on the incident at once (the REST view shows it, with who and when), send it to the incident's
 * workflow as a person's event, and audit it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncidentEvent } from '../../../domain/types';
import { receivedEventsQuery } from '../support/fake-incident.workflow';
import { auth, slackHeaders, startHarness, type Harness } from '../support/harness';
import { waitThroughErrors } from '../../helpers/wait-for';
import { seedBase, seedIncident } from '../support/seed';

const RESOLVED = '22222222-2222-4222-8222-222222222222';
const OTHER = '44444444-4444-4444-8444-444444444444';
const UNKNOWN = '99999999-9999-4999-8999-999999999999';

describe('post-mortem links', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ temporal: 'dev' });
    await seedBase(h.db);
    await seedIncident(h.db, { id: RESOLVED, externalId: 'PD-PM-1', status: 'resolved', resolvedAt: '2026-01-29T21:00:00Z' });
    await seedIncident(h.db, { id: OTHER, externalId: 'API-2026-0129-001', status: 'resolved', resolvedAt: '2026-01-29T21:45:00Z' });
  });
  after(async () => { await h?.close(); });

  const put = (id: string, payload: unknown, headers: Record<string, string> = auth) =>
    h.app.inject({ method: 'PUT', url: `/api/incidents/${id}/post-mortem`, headers, payload: payload as object });
  const incident = async (id: string) => (await h.app.inject({ method: 'GET', url: `/api/incidents/${id}`, headers: auth })).json();
  const eventsOf = (workflowId: string) => waitThroughErrors(`the post-mortem link delivered to ${workflowId}`, async () => {
    const got: IncidentEvent[] = await h.temporal.workflow.getHandle(workflowId).query(receivedEventsQuery);
    return got.some((e) => e.postMortemUrl) ? got : undefined;
  }, 10_000);

  test('refuses what is not a link, an unknown incident and a missing token', async () => {
    assert.equal((await put(RESOLVED, { url: 'https://wiki.example.com/pm/1' }, {})).statusCode, 401);
    assert.equal((await put(RESOLVED, { url: 'not a link' })).statusCode, 400);
    const ftp = await put(RESOLVED, { url: 'ftp://files.example.com/pm' });
    assert.equal(ftp.statusCode, 400);
    assert.match(ftp.json().detail, /http or https/);
    assert.equal((await put(RESOLVED, {})).statusCode, 400);
    assert.equal((await put(UNKNOWN, { url: 'https://wiki.example.com/pm/1' })).statusCode, 404);
    assert.equal((await incident(RESOLVED)).postMortem, null, 'nothing was set');
  });

  test('a link is on the incident at once, reaches its workflow as a person\'s event, and is audited', async () => {
    const res = await put(RESOLVED, { url: 'https://wiki.example.com/pm/1', actor: 'ana@corp.example' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.postMortem.url, 'https://wiki.example.com/pm/1');
    assert.equal(body.postMortem.setBy, 'ana@corp.example (via API_TOKENS bootstrap token)');
    assert.equal(body.forwarded, true);
    const view = await incident(RESOLVED);
    assert.deepEqual(view.postMortem, body.postMortem);

    const events = await eventsOf('incident:pagerduty:PD-PM-1');
    const e = events.find((x) => x.postMortemUrl)!;
    assert.deepEqual([e.source, e.externalId, e.postMortemUrl, e.byPerson], ['pagerduty', 'PD-PM-1', 'https://wiki.example.com/pm/1', true]);
    assert.match(e.note!, /^Post-mortem linked by ana@corp\.example \(via API_TOKENS bootstrap token\): https:\/\/wiki\.example\.com\/pm\/1$/);

    const audit = (await h.app.inject({ method: 'GET', url: '/api/audit?action=incident.post_mortem_set', headers: auth })).json();
    assert.deepEqual([audit.items[0].incidentId, audit.items[0].detail.url], [RESOLVED, 'https://wiki.example.com/pm/1']);

    const again = await put(RESOLVED, { url: 'https://wiki.example.com/pm/1-final' });
    assert.equal(again.statusCode, 200);
    assert.equal((await incident(RESOLVED)).postMortem.url, 'https://wiki.example.com/pm/1-final', 'setting it again replaces it');
  });

  test('/forewarn postmortem <incident> <link> links it as the Slack user, naming the incident by its id at the source', async () => {
    const command = async (text: string, user = 'UA8RXUSPL') => {
      const body = new URLSearchParams({ command: '/forewarn', text, user_id: user }).toString();
      const res = await h.app.inject({ method: 'POST', url: '/api/slack/commands', payload: body, headers: slackHeaders(body) });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().text as string;
    };
    assert.match(await command('postmortem API-2026-0129-001'), /^Usage: `\/forewarn postmortem <incident> <link>`/);
    assert.match(await command('postmortem NOPE-1 https://wiki.example.com/pm/2'), /No incident "NOPE-1"/);
    assert.match(await command('postmortem API-2026-0129-001 https://wiki.example.com/pm/2', 'UNOBODY1'), /not linked to a CSM/);
    assert.match(await command('postmortem API-2026-0129-001 not-a-link'), /:warning: "not-a-link" is not a URL/);

    const done = await command('postmortem API-2026-0129-001 <https://wiki.example.com/pm/2>');
    assert.equal(done, ':memo: Post-mortem of *API Latency Issues* linked: https://wiki.example.com/pm/2');
    const view = await incident(OTHER);
    assert.deepEqual([view.postMortem.url, view.postMortem.setBy], ['https://wiki.example.com/pm/2', 'slack:Ana Ruiz']);
    const events = await eventsOf('incident:pagerduty:API-2026-0129-001');
    assert.equal(events.find((x) => x.postMortemUrl)!.postMortemUrl, 'https://wiki.example.com/pm/2');
    assert.match(await command('help'), /\/forewarn postmortem <incident> <link>/);
  });
});
