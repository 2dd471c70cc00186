import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { slackSignature, verifySlackRequest } from '../../../api/slack/verify';

// The worked example of "Verifying requests from Slack" (see test/fixtures/slack/README.md).
const DOC = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body: readFileSync(path.join(__dirname, '../../fixtures/slack/slash-command-signed-example.txt'), 'utf8'),
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const at = (offsetSeconds: number) => (Number(DOC.timestamp) + offsetSeconds) * 1000;
const verify = (over: Partial<Parameters<typeof verifySlackRequest>[0]> = {}) => verifySlackRequest({
  signingSecret: DOC.secret, timestamp: DOC.timestamp, signature: DOC.signature, rawBody: DOC.body, nowMs: at(30), ...over,
});

describe('Slack request verification', () => {
  test("Slack's documented example produces Slack's documented signature and verifies", () => {
    assert.equal(slackSignature(DOC.secret, DOC.timestamp, DOC.body), DOC.signature);
    assert.deepEqual(verify(), { ok: true });
  });

  test('a request older or newer than 5 minutes is refused even when correctly signed', () => {
    assert.deepEqual(verify({ nowMs: at(299) }), { ok: true });
    for (const offset of [301, -301, 86_400]) {
      const r = verify({ nowMs: at(offset) });
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, /5 minutes/);
    }
  });

  test('wrong secret, altered body, altered signature and missing headers are refused with the reason', () => {
    const reasons = [
      verify({ signingSecret: 'another-secret' }),
      verify({ rawBody: DOC.body.replace('text=', 'text=status') }),
      verify({ signature: DOC.signature.replace(/.$/, '0') }),
      verify({ signature: 'v0=short' }),
      verify({ signature: undefined }),
      verify({ timestamp: undefined }),
      verify({ timestamp: 'yesterday' }),
      verify({ signingSecret: undefined }),
    ].map((r) => (r.ok ? 'ok' : r.reason));
    assert.deepEqual(reasons.map((r) => r.split(' ')[0]), [
      'X-Slack-Signature', 'X-Slack-Signature', 'X-Slack-Signature', 'X-Slack-Signature', 'X-Slack-Signature',
      'X-Slack-Request-Timestamp', 'X-Slack-Request-Timestamp', 'Slack',
    ]);
    assert.match(reasons[7], /SLACK_SIGNING_SECRET/);
  });
});
