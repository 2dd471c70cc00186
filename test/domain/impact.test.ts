import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyzeCandidates, businessImpactEstimate, compareAffected, compareCodePoints, impactTotals, incidentHours, scoreCandidate,
} from '../../domain/impact';
import type { ImpactCandidate, Segment, UsageLevel } from '../../domain/types';

let seq = 0;
function candidate(over: Partial<ImpactCandidate> & {
  uses?: [name: string, usage: UsageLevel, integrationDependent?: boolean][];
} = {}): ImpactCandidate {
  seq += 1;
  const { uses = [['API Gateway', 'moderate']], ...rest } = over;
  return {
    id: `c${seq}`,
    externalId: `acct-${seq}`,
    name: `Customer ${seq}`,
    arr: 100_000,
    segment: 'mid-market',
    region: 'us-east',
    csmEmail: 'ana@corp.example',
    components: uses.map(([name, usage, integrationDependent = false]) => ({
      key: name.toLowerCase().replace(/ /g, '-'), name, usage, integrationDependent,
    })),
    windowRequests: null,
    ...rest,
  };
}

describe('scoreCandidate', () => {
  test('usage level maps heavy → high, moderate → medium, light → low, with the product reasons', () => {
    assert.deepEqual(scoreCandidate(candidate({ uses: [['API Gateway', 'heavy']] })),
      { level: 'high', reason: 'Heavy API Gateway user', componentNames: ['API Gateway'] });
    assert.deepEqual(scoreCandidate(candidate({ uses: [['API Gateway', 'moderate']] })),
      { level: 'medium', reason: 'Moderate impact', componentNames: ['API Gateway'] });
    assert.deepEqual(scoreCandidate(candidate({ uses: [['API Gateway', 'light']] })),
      { level: 'low', reason: 'Low impact', componentNames: ['API Gateway'] });
  });

  test('integration dependency raises one level, never above high', () => {
    const moderate = scoreCandidate(candidate({ uses: [['Webhooks', 'moderate', true]] }));
    assert.equal(moderate.level, 'high');
    assert.equal(moderate.reason, 'Integration-dependent');
    const light = scoreCandidate(candidate({ uses: [['Webhooks', 'light', true]] }));
    assert.equal(light.level, 'medium');
    assert.equal(light.reason, 'Integration-dependent');
    const heavy = scoreCandidate(candidate({ uses: [['Webhooks', 'heavy', true]] }));
    assert.equal(heavy.level, 'high');
    assert.equal(heavy.reason, 'Heavy Webhooks user');
  });

  test('the most-used affected component decides, and is the one named', () => {
    const score = scoreCandidate(candidate({ uses: [['Data Pipeline', 'light'], ['API Gateway', 'heavy'], ['Auth', 'moderate']] }));
    assert.equal(score.level, 'high');
    assert.equal(score.reason, 'Heavy API Gateway user');
    assert.deepEqual(score.componentNames, ['API Gateway', 'Auth', 'Data Pipeline']);
  });

  test('tracked usage with no traffic during the incident drops one level; low drops out entirely', () => {
    const heavyIdle = scoreCandidate(candidate({ uses: [['API Gateway', 'heavy']], windowRequests: 0 }));
    assert.equal(heavyIdle.level, 'medium');
    assert.equal(heavyIdle.reason, 'Moderate impact (no traffic during the incident)');
    const integrationIdle = scoreCandidate(candidate({ uses: [['API Gateway', 'light', true]], windowRequests: 0 }));
    assert.equal(integrationIdle.level, 'low');
    assert.equal(integrationIdle.reason, 'Low impact (no traffic during the incident)');
    assert.equal(scoreCandidate(candidate({ uses: [['API Gateway', 'light']], windowRequests: 0 })).level, 'none');
  });

  test('traffic during the window, or no usage data at all, keeps the level', () => {
    assert.equal(scoreCandidate(candidate({ uses: [['API Gateway', 'heavy']], windowRequests: 12 })).level, 'high');
    assert.equal(scoreCandidate(candidate({ uses: [['API Gateway', 'light']], windowRequests: null })).level, 'low');
  });
});

describe('ordering', () => {
  const row = (name: string, impactLevel: 'high' | 'medium' | 'low', arr: number, segment: Segment) => ({ name, impactLevel, arr, segment });

  test('impact level first, then ARR descending, then enterprise > mid-market > smb, then name', () => {
    const sorted = [
      row('Zeta', 'medium', 900_000, 'enterprise'),
      row('Beta', 'high', 200_000, 'smb'),
      row('Alpha', 'high', 200_000, 'smb'),
      row('Gamma', 'high', 200_000, 'enterprise'),
      row('Delta', 'high', 500_000, 'smb'),
      row('Eta', 'low', 1_000_000, 'enterprise'),
      row('Iota', 'high', 200_000, 'mid-market'),
    ].sort(compareAffected).map((r) => r.name);
    assert.deepEqual(sorted, ['Delta', 'Gamma', 'Iota', 'Alpha', 'Beta', 'Zeta', 'Eta']);
  });
});

describe('code-point order (the order of collate "C" in Postgres)', () => {
  test('upper case before lower case, accents after ASCII, characters above U+FFFF last', () => {
    assert.deepEqual(['beta', 'Éclair', 'Alpha', 'alpha', 'Zeta', '😀', '\uff01', 'eclair'].sort(compareCodePoints),
      ['Alpha', 'Zeta', 'alpha', 'beta', 'eclair', 'Éclair', '\uff01', '😀']);
    assert.equal(compareCodePoints('ab', 'ab'), 0);
    assert.ok(compareCodePoints('ab', 'abc') < 0);
  });

  test('ties on level, ARR and segment go by name, then by id', () => {
    const base = { impactLevel: 'high' as const, arr: 1, segment: 'smb' as const };
    assert.ok(compareAffected({ ...base, name: 'Zeta' }, { ...base, name: 'alpha' }) < 0);
    assert.ok(compareAffected({ ...base, name: 'Dup', id: 'b' }, { ...base, name: 'Dup', id: 'a' }) > 0);
  });
});

describe('business impact estimate', () => {
  test('ARR / 8760 × hours × impact weight × severity weight, to the cent', () => {
    // 876,000 ARR is 100 per hour; 3 hours of a P1 at high impact = 300.
    assert.equal(businessImpactEstimate({ arr: 876_000, level: 'high', severity: 'P1', hours: 3 }), 300);
    // medium (0.5) in a P2 (0.6): 100 × 2 × 0.3 = 60.
    assert.equal(businessImpactEstimate({ arr: 876_000, level: 'medium', severity: 'P2', hours: 2 }), 60);
    // low (0.2) in a P4 (0.1) for half an hour at 50,000 ARR: 5.7077 × 0.5 × 0.02 = 0.057 → 0.06.
    assert.equal(businessImpactEstimate({ arr: 50_000, level: 'low', severity: 'P4', hours: 0.5 }), 0.06);
    assert.equal(businessImpactEstimate({ arr: 876_000, level: 'none', severity: 'P1', hours: 5 }), 0);
  });

  test('duration runs to resolution or to now, counting at least one hour', () => {
    assert.equal(incidentHours('2026-01-29T14:30:00Z', '2026-01-29T16:45:00Z'), 2.25);
    assert.equal(incidentHours('2026-01-29T14:30:00Z', '2026-01-29T14:32:00Z'), 1);
  });
});

describe('analyzeCandidates', () => {
  test('the product example: five customers in priority order with ranks and totals', () => {
    const incident = { severity: 'P1' as const, startedAt: '2026-01-29T14:30:00Z' };
    const result = analyzeCandidates([
      candidate({ name: 'SmallBiz', arr: 25_000, segment: 'smb', uses: [['API Gateway', 'light']] }),
      candidate({ name: 'DataFlow', arr: 200_000, segment: 'mid-market', uses: [['Data Pipeline', 'moderate']] }),
      candidate({ name: 'GlobalInc', arr: 350_000, segment: 'enterprise', uses: [['API Gateway', 'moderate', true]] }),
      candidate({ name: 'StartupXYZ', arr: 50_000, segment: 'smb', uses: [['API Gateway', 'moderate']] }),
      candidate({ name: 'TechCorp', arr: 500_000, segment: 'enterprise', uses: [['API Gateway', 'heavy', true]] }),
      candidate({ name: 'IdleCo', arr: 900_000, segment: 'enterprise', uses: [['API Gateway', 'light']], windowRequests: 0 }),
    ], incident, '2026-01-29T16:45:00Z');

    assert.deepEqual(result.customers.map((c) => [c.priorityRank, c.name, c.impactLevel, c.reason]), [
      [1, 'TechCorp', 'high', 'Heavy API Gateway user'],
      [2, 'GlobalInc', 'high', 'Integration-dependent'],
      [3, 'DataFlow', 'medium', 'Moderate impact'],
      [4, 'StartupXYZ', 'medium', 'Moderate impact'],
      [5, 'SmallBiz', 'low', 'Low impact'],
    ]);
    assert.deepEqual(result.unaffected.map((u) => u.reason), ['No traffic on the affected components during the incident']);
    // 2.25 hours of a P1: TechCorp 500,000 / 8760 × 2.25 × 1 = 128.42.
    assert.equal(result.customers[0].businessImpact, 128.42);
    assert.equal(result.totals.customers, 5);
    assert.equal(result.totals.arrAtRisk, 1_125_000);
    assert.equal(result.totals.highImpact, 2);
    const sum = result.customers.reduce((s, c) => s + c.businessImpact, 0);
    assert.equal(result.totals.businessImpact, Math.round(sum * 100) / 100);
    assert.ok(!('components' in result.customers[0]) && !('windowRequests' in result.customers[0]));
  });

  test('totals ignore customers no longer affected', () => {
    assert.deepEqual(impactTotals([
      { arr: 100, businessImpact: 1, impactLevel: 'high' },
      { arr: 50, businessImpact: 0, impactLevel: 'none' },
      { arr: 30, businessImpact: 0.5, impactLevel: 'low' },
    ]), { customers: 2, arrAtRisk: 130, businessImpact: 1.5, highImpact: 1 });
  });
});
