/**
 * The poisoned requests: every webhook, the import and the Slack routes, each with one text field
 * carrying what Postgres or JSON cannot hold, signed or authenticated as the real sender would.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { API_TOKEN } from '../../test/deploy/stack';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures');
const fixture = (p: string) => JSON.parse(readFileSync(path.join(FIXTURES, p), 'utf8'));

const PD_SECRET = 'chaos-pagerduty-secret-0123456789';
const OPSGENIE_TOKEN = 'chaos-opsgenie-token-0123456789';
const STATUSPAGE_TOKEN = 'chaos-statuspage-token-0123';
const ZENDESK_SECRET = 'chaos-zendesk-secret-0123456789';
const SLACK_SECRET = 'chaos-slack-signing-secret-0123456789';

export interface PoisonRoute {
  route: string;
  /** The path of the field the 400 must name. */
  field: string;
  /** Form bodies cannot carry an unpaired surrogate (URL encoding makes it U+FFFD, which is valid). */
  nulOnly?: boolean;
  request: (text: string) => { path: string; body: string; headers: Record<string, string> };
}

const json = { 'content-type': 'application/json' };
const bearer = { authorization: `Bearer ${API_TOKEN}` };

function slackSigned(body: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`,
  };
}

export function poisonRoutes(): { env: Record<string, string>; routes: PoisonRoute[] } {
  const env = {
    PAGERDUTY_WEBHOOK_SECRETS: PD_SECRET, OPSGENIE_WEBHOOK_TOKEN: OPSGENIE_TOKEN, STATUSPAGE_WEBHOOK_TOKEN: STATUSPAGE_TOKEN,
    ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET, SLACK_SIGNING_SECRET: SLACK_SECRET,
  };
  const routes: PoisonRoute[] = [
    {
      route: 'generic webhook', field: 'body/title',
      request: (text) => ({
        path: '/api/webhooks/incidents', headers: { ...json, ...bearer },
        body: JSON.stringify({ id: 'POISON-1', title: text, status: 'investigating', severity: 'P2', affectedComponents: ['search'], startedAt: new Date().toISOString() }),
      }),
    },
    {
      route: 'PagerDuty webhook', field: 'body/event/data/title',
      request: (text) => {
        const envelope = fixture('pagerduty/incident.triggered.json');
        envelope.event.data.title = text;
        const body = JSON.stringify(envelope);
        return { path: '/api/webhooks/pagerduty', body, headers: { ...json, 'x-pagerduty-signature': `v1=${createHmac('sha256', PD_SECRET).update(body).digest('hex')}` } };
      },
    },
    {
      route: 'Opsgenie webhook', field: 'body/alert/message',
      request: (text) => {
        const body = fixture('opsgenie/create.json');
        body.alert.message = text;
        return { path: '/api/webhooks/opsgenie', body: JSON.stringify(body), headers: { ...json, authorization: `Bearer ${OPSGENIE_TOKEN}` } };
      },
    },
    {
      route: 'Statuspage webhook', field: 'body/incident/name',
      request: (text) => {
        const body = fixture('statuspage/webhook-incident-update.json');
        body.incident.name = text;
        return { path: `/api/webhooks/statuspage/${STATUSPAGE_TOKEN}`, body: JSON.stringify(body), headers: json };
      },
    },
    {
      route: 'support webhook (ticket)', field: 'body/subject',
      request: (text) => ({
        path: '/api/webhooks/support', headers: { ...json, ...bearer },
        body: JSON.stringify({ ticketId: 'T-POISON', customerExternalId: 'acct-1', subject: text, tags: [], createdAt: new Date().toISOString() }),
      }),
    },
    {
      route: 'support webhook (signed Zendesk event)', field: 'body/detail/subject',
      request: (text) => {
        const event = fixture('zendesk/ticket-created.json');
        event.detail.subject = text;
        const body = JSON.stringify(event);
        const timestamp = new Date().toISOString();
        const signature = createHmac('sha256', ZENDESK_SECRET).update(timestamp + body).digest('base64');
        return { path: '/api/webhooks/support', body, headers: { ...json, 'x-zendesk-webhook-signature': signature, 'x-zendesk-webhook-signature-timestamp': timestamp } };
      },
    },
    {
      route: 'import', field: 'body/customers/0/name',
      request: (text) => ({
        path: '/api/import', headers: { ...json, ...bearer },
        body: JSON.stringify({ customers: [{ externalId: 'poison-1', name: text, arr: 1000, segment: 'smb', region: 'us' }] }),
      }),
    },
    {
      route: 'Slack interaction', field: 'body/payload/user/username',
      request: (text) => {
        const body = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'UCSM00000', username: text }, actions: [] }) }).toString();
        return { path: '/api/slack/interactions', body, headers: slackSigned(body) };
      },
    },
    {
      route: 'Slack command', field: 'body/text', nulOnly: true,
      request: (text) => {
        const body = new URLSearchParams({ command: '/forewarn', text: `queue ${text}`, user_id: 'UCSM00000' }).toString();
        return { path: '/api/slack/commands', body, headers: slackSigned(body) };
      },
    },
  ];
  return { env, routes };
}
