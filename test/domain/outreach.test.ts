import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canTransition, checkOutreachTransition, isContacted, needsFollowUp, OUTREACH_TRANSITIONS,
} from '../../domain/outreach';
import { OUTREACH_STATUSES, type OutreachStatus } from '../../domain/types';

describe('outreach state machine', () => {
  test('the happy path pending → drafted → sent → responded → followed_up is allowed step by step', () => {
    const path: OutreachStatus[] = ['pending', 'drafted', 'sent', 'responded', 'followed_up'];
    for (let i = 1; i < path.length; i++) assert.ok(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} → ${path[i]}`);
  });

  test('exactly these moves are allowed', () => {
    const allowed = OUTREACH_STATUSES.flatMap((from) => OUTREACH_STATUSES.filter((to) => to !== from && canTransition(from, to)).map((to) => `${from}→${to}`));
    assert.deepEqual(allowed.sort(), [
      'drafted→resolution_sent', 'drafted→sent',
      'pending→drafted', 'pending→sent',
      'resolution_sent→followed_up', 'resolution_sent→responded',
      'responded→followed_up', 'responded→resolution_sent',
      'sent→followed_up', 'sent→resolution_sent', 'sent→responded',
    ].sort());
  });

  test('nothing ever leads back to pending or drafted', () => {
    for (const from of OUTREACH_STATUSES) {
      for (const to of ['pending', 'drafted'] as const) {
        if (from === to || (from === 'pending' && to === 'drafted')) continue;
        assert.equal(canTransition(from, to), false, `${from} → ${to}`);
      }
    }
  });

  test('setting the current status again is a no-op, not an error', () => {
    for (const s of OUTREACH_STATUSES) assert.deepEqual(checkOutreachTransition(s, s), { ok: true, noop: true });
  });

  test('a backwards move is refused with the reason and the possible next statuses', () => {
    const r = checkOutreachTransition('sent', 'drafted', 'TechCorp');
    assert.equal(r.ok, false);
    assert.equal(r.ok ? '' : r.reason,
      'Outreach to TechCorp is "sent" and cannot become "drafted": outreach never moves backwards. From "sent" it can become "responded", "resolution sent" or "followed up".');
  });

  test('responded without a sent email is refused and says why', () => {
    const r = checkOutreachTransition('pending', 'responded', 'GlobalInc');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /GlobalInc is "pending" and cannot become "responded": a customer can only respond once an email was sent\. From "pending" it can become "drafted" or "sent"\./);
  });

  test('skipping ahead is refused as skipping a step', () => {
    const r = checkOutreachTransition('pending', 'followed_up', 'SmallBiz');
    assert.match(r.ok ? '' : r.reason, /that would skip a step/);
  });

  test('followed_up is final', () => {
    assert.deepEqual(OUTREACH_TRANSITIONS.followed_up, []);
    const r = checkOutreachTransition('followed_up', 'responded', 'DataFlow');
    assert.match(r.ok ? '' : r.reason, /the follow-up is done and outreach is closed/);
  });

  test('an unknown status is refused with the list of statuses', () => {
    const r = checkOutreachTransition('pending', 'called' as OutreachStatus);
    assert.match(r.ok ? '' : r.reason, /"called" is not an outreach status; use one of "pending", "drafted", .* or "followed up"/);
  });

  test('contacted customers are those drafted, sent or responded', () => {
    assert.deepEqual(OUTREACH_STATUSES.filter(isContacted), ['drafted', 'sent', 'responded']);
  });

  test('a follow-up is owed until the customer responded or was followed up', () => {
    assert.deepEqual(OUTREACH_STATUSES.filter(needsFollowUp), ['pending', 'drafted', 'sent', 'resolution_sent']);
  });
});
