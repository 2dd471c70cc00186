import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../config';

describe('config', () => {
  test('defaults give a working local setup in dry-run', () => {
    const c = loadConfig({});
    assert.equal(c.api.port, 3000);
    assert.equal(c.temporal.taskQueue, 'forewarn-incidents');
    assert.equal(c.slack.dryRun, true);
    assert.equal(c.google.dryRun, true);
    assert.deepEqual(c.pagerduty.priorityMap.P5, 'P4');
    assert.equal(c.incidents.followUpHours, 24);
  });

  test('every bad variable is named at once', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ESCALATION_MINUTES: '-3', PAGERDUTY_PRIORITY_MAP: 'P1=P9', SEND_RESOLUTION_EMAILS: 'maybe', PUBLIC_BASE_URL: 'not a url' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const names = err.problems.map((p) => p.split(' ')[0]);
      assert.deepEqual(names.sort(), ['DATABASE_URL', 'ESCALATION_MINUTES', 'PAGERDUTY_PRIORITY_MAP', 'PORT', 'PUBLIC_BASE_URL', 'SEND_RESOLUTION_EMAILS']);
      assert.match(err.message, /PORT must be a whole number/);
    }
  });

  test('production requires API tokens of a safe length', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /API_TOKENS must list at least one token/);
    assert.throws(() => loadConfig({ API_TOKENS: 'short' }), /at least 16 characters/);
    assert.deepEqual(loadConfig({ NODE_ENV: 'production', API_TOKENS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb' }).api.tokens, ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
  });

  test('credentials switch dry-run off and maps parse', () => {
    const c = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_API_URL: 'http://127.0.0.1:9/api/', PAGERDUTY_URGENCY_MAP: 'high=P1,low=P4', PAGERDUTY_WEBHOOK_SECRETS: 'a, b' });
    assert.equal(c.slack.dryRun, false);
    assert.equal(c.slack.apiUrl, 'http://127.0.0.1:9/api');
    assert.deepEqual(c.pagerduty.urgencyMap, { high: 'P1', low: 'P4' });
    assert.deepEqual(c.pagerduty.webhookSecrets, ['a', 'b']);
  });

  test('.env.example documents every variable the config reads', () => {
    const example = readFileSync(path.resolve(__dirname, '../../.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    assert.deepEqual(CONFIG_VARIABLES.filter((v) => !documented.has(v)), []);
    assert.deepEqual([...documented].filter((v) => !(CONFIG_VARIABLES as readonly string[]).includes(v)), []);
  });
});
