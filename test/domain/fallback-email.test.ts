import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plainFromSlack, renderFallbackEmail } from '../../domain/messages/fallback-email';
import { renderCsmMessage, type CsmMessageInput } from '../../domain/messages';
import { exampleIncident } from '../helpers/incident';

test('Slack markup becomes plain text: emoji codes dropped, links spelled out, bold markers and entities undone', () => {
  assert.equal(plainFromSlack(':rotating_light: P1 INCIDENT: *API* down\n…and 3 more: <https://fw.test/d|see the dashboard>\nA &amp; B &lt;ok&gt;'),
    'P1 INCIDENT: API down\n…and 3 more: see the dashboard (https://fw.test/d)\nA & B <ok>');
  // Times like 2:30 are not emoji codes.
  assert.equal(plainFromSlack('Started: 2:30 PM EST'), 'Started: 2:30 PM EST');
});

test('the fallback email carries the alert, why it came by email, and where to act', () => {
  const incident = exampleIncident();
  const input: CsmMessageInput = {
    incident, recipient: { name: 'Ana Ruiz', email: 'ana@corp.example' }, customers: [], totals: { customers: 0, arrAtRisk: 0, businessImpact: 0, highImpact: 0 },
    dashboardUrl: 'https://fw.test/dashboard', approved: { text: 'We are investigating.', templateKey: null, version: null, fallback: true }, customerLimit: 10, now: incident.startedAt,
  };
  const email = renderFallbackEmail({
    kind: 'alert', incident, recipientName: 'Ana Ruiz', message: renderCsmMessage('alert', input), slackError: 'account_inactive',
    incidentUrl: 'https://fw.test/dashboard#/incidents/x?csm=ana%40corp.example',
  });
  assert.equal(email.subject, '[Forewarn] Incident alert: P1 API Latency Issues');
  assert.match(email.text, /^Hi Ana Ruiz,\n\nForewarn could not reach you on Slack \(account_inactive\), so this alert comes by email\.\n\nP1 INCIDENT: API Latency Issues/);
  assert.match(email.text, /https:\/\/fw\.test\/dashboard#\/incidents\/x\?csm=ana%40corp\.example/);
  assert.doesNotMatch(email.text, /:rotating_light:/);
});
