import { describe, expect, it } from 'vitest';
import { evaluateAlertRules } from './alert-rules';

const quiet = { windowMs: 3_600_000, requests: 100, errors: 0, connectionDrops: 0 };
const rules = (m: Partial<typeof quiet> & Record<string, unknown>, t = {}) => evaluateAlertRules({ ...quiet, ...m }, t).map((a) => a.rule);

describe('evaluateAlertRules', () => {
  it('fires on an error rate above 5%, not at exactly 5%', () => {
    expect(rules({ errors: 5 })).toEqual([]);
    expect(rules({ errors: 6 })).toEqual(['error-rate']);
    expect(rules({ requests: 0, errors: 0 })).toEqual([]);
  });

  it('fires on an average latency above 5 s', () => {
    expect(rules({ averageLatencyMs: 5_000 })).toEqual([]);
    expect(rules({ averageLatencyMs: 5_000.5 })).toEqual(['latency']);
  });

  it('scales connection drops to a per-hour rate', () => {
    expect(rules({ connectionDrops: 100 })).toEqual([]);
    expect(rules({ connectionDrops: 101 })).toEqual(['connection-drops']);
    // 51 drops in 30 minutes is 102 per hour.
    expect(rules({ connectionDrops: 51, windowMs: 1_800_000 })).toEqual(['connection-drops']);
  });

  it('fires when the cost exceeds its limit', () => {
    expect(rules({ cost: '10.00', costLimit: '10' })).toEqual([]);
    expect(rules({ cost: '10.000001', costLimit: '10' })).toEqual(['cost-limit']);
  });

  it('takes configured thresholds', () => {
    expect(rules({ errors: 2 }, { errorRatePercent: '1.5' })).toEqual(['error-rate']);
    expect(rules({ averageLatencyMs: 900 }, { averageLatencyMs: 800 })).toEqual(['latency']);
    const [alert] = evaluateAlertRules({ ...quiet, errors: 7 });
    expect(alert).toEqual({ rule: 'error-rate', message: 'Error rate 7/100 is above 5%.', value: '7/100', threshold: '5%' });
  });
});
