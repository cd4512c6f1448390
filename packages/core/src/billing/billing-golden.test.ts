import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StreamBillingConfig, StreamBillingRecord } from '../protocol/billing';
import type { BillingContext, MeteredUsage } from './bill-types';
import { finalizeBillingRecord, openBillingRecord } from './billing-record';
import { calculateBill } from './calculate-bill';
import { DEFAULT_PRICING } from './default-pricing';
import { testBillingConfig } from './test-billing-config';
import { buildUsageReport } from './usage-report';

/*
 * Golden outputs of the exact pipeline, recorded from the implementation before the issue #19
 * speed-ups (the `main` of 2026-12-07, 95d5f35) by running this file with BILLING_GOLDEN_RECORD=1.
 * The speed-ups (cached small amount strings, one-division rounding, the lines' written amounts
 * in one field) must not change one character of a bill, a record or a report: 4,000 deterministic
 * records over the shipped tables and tables in every rounding mode at 0 to 12 places, amounts from
 * zero to past 2^53 units, compared as JSON (key order included), and the first 50 also
 * structurally. One deliberate change since: the `taxes` of a report group whose bills have no tax
 * lines is "0" (what the same report over stored records, and the server's SQL report, give),
 * where the fixture had the bills' places ("0.000000").
 */
const FIXTURE = new URL('./billing-golden.fixture.json', import.meta.url);
const CASES = 4_000;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296;
}

function tables(): StreamBillingConfig[] {
  const rnd = rng(7);
  const price = () => (rnd() < 0.2 ? '0' : (Math.floor(rnd() * rnd() * 100_000_000) / 1e6).toFixed(6));
  const modes = ['half-up', 'half-even', 'down', 'up'] as const;
  const places = [0, 2, 3, 6, 8, 9, 10, 12];
  const out: StreamBillingConfig[] = [...DEFAULT_PRICING];
  for (let i = 0; i < 24; i++) {
    out.push(
      testBillingConfig({
        model: `m${i}`,
        rounding: { mode: modes[i % 4]!, minorUnits: places[i % places.length]! },
        tokens: { inputPer1K: price(), cachedInputReadPer1K: price(), cachedInputWritePer1K: price(), outputPer1K: price(), reasoningPer1K: price() },
        streaming: { perSecond: price(), perMB: price() },
        bandwidthPremium: i % 3 === 0 ? { thresholdKB: '10.5', perKB: price() } : undefined,
        infrastructure: { perConnection: price(), perHour: price() },
        volumeDiscount: { mode: i % 2 ? 'graduated' : 'volume', tiers: [{ thresholdTokens: 1_000, ratePercent: '7.5' }, { thresholdTokens: 50_000, ratePercent: '20' }] },
        sla: {
          uptime: { minPercent: '99', penaltyPercent: '12.5' },
          latency: { maxMs: 500, percentile: 'p95', penaltyPercent: '8' },
          bandwidth: { minMBps: '1', penaltyPercent: '5' },
          maxPenaltyPercent: '15',
        },
        taxes: i % 4 === 1 ? [{ jurisdiction: 'DE', name: 'VAT', ratePercent: '19' }, { jurisdiction: '*', name: 'Levy', ratePercent: '0.35' }] : [],
      }),
    );
  }
  return out;
}

function records(): StreamBillingRecord[] {
  const configs = tables();
  const rnd = rng(20_261_207);
  // Mostly small streams (amounts in the cached range), some very large ones (past 2^53 units).
  const n = (max: number) => Math.floor((rnd() < 0.05 ? rnd() * 1_000 : 1) * rnd() * max);
  const out: StreamBillingRecord[] = [];
  for (let i = 0; i < CASES; i++) {
    const config = configs[i % configs.length]!;
    const cacheRead = rnd() < 0.3 ? n(2_000) : 0;
    const cacheWrite = rnd() < 0.1 ? n(1_000) : 0;
    const reasoning = rnd() < 0.2 ? n(1_000) : 0;
    const metered: MeteredUsage = {
      usage: { inputTokens: cacheRead + cacheWrite + n(4_000), cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, outputTokens: reasoning + n(1_500), reasoningTokens: reasoning },
      durationMs: n(120_000),
      bytes: n(400_000),
      connections: rnd() < 0.1 ? 3 : 1,
    };
    if (i % 97 === 0) metered.usage = undefined;
    const context: BillingContext = {
      periodTokensBefore: Math.floor(rnd() * 60_000),
      sla: { uptimePercent: rnd() < 0.1 ? '98.5' : '99.9', latencyMs: 150 + Math.floor(rnd() * 600), bandwidthMBps: rnd() < 0.1 ? '0.5' : '4' },
      jurisdiction: rnd() < 0.5 ? 'DE' : undefined,
      exchangeRate: i % 11 === 0 ? { to: 'EUR', rate: '0.9215' } : undefined,
    };
    const bill = calculateBill(metered, config, context);
    const open = openBillingRecord({ streamId: `s${i}`, tenantId: 't', userId: `u${i % 7}`, provider: config.provider, model: config.model, startedAt: Date.UTC(2025, 5, 2), currency: config.currency });
    out.push(finalizeBillingRecord(open, { endReason: 'complete', endedAt: Date.UTC(2025, 5, 2, 0, 1), metered, bill }));
  }
  return out;
}

const period = { from: '2025-06-01', to: '2025-07-01', now: '2025-06-11T00:00:00Z' };

function outputs() {
  const all = records();
  const usd = all.filter((r) => r.currency === 'USD');
  const lines = all.map((r) => JSON.stringify(r)).join('\n');
  return {
    recordsSha256: createHash('sha256').update(lines).digest('hex'),
    first: all.slice(0, 50),
    report: buildUsageReport(usd, { ...period, groupBy: ['provider', 'model'] }),
    reportByUser: buildUsageReport(usd, { ...period, groupBy: ['user'], rounding: 'half-up' }),
    // The same report over the records as storage gives them back (plain objects, lines parsed).
    storedReport: buildUsageReport(usd.map((r) => JSON.parse(JSON.stringify(r)) as StreamBillingRecord), { ...period, groupBy: ['provider', 'model'] }),
  };
}

interface Fixture {
  recordsSha256: string;
  first: unknown[];
  report: unknown;
  reportByUser: unknown;
}

describe('golden bills, records and reports (recorded before the issue #19 speed-ups)', () => {
  if (process.env.BILLING_GOLDEN_RECORD) {
    it('records the fixture', () => {
      const o = outputs();
      const fixture: Fixture = { recordsSha256: o.recordsSha256, first: o.first, report: o.report, reportByUser: o.reportByUser };
      writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 1)}\n`);
    });
    return;
  }
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;
  const o = outputs();

  it('every record serialises to the same JSON, character for character', () => {
    expect(o.recordsSha256).toBe(fixture.recordsSha256);
    expect(o.first.map((r) => JSON.stringify(r))).toEqual(fixture.first.map((r) => JSON.stringify(r)));
  });

  it('the first records are structurally equal, with the lines as plain own data properties', () => {
    expect(o.first).toEqual(fixture.first);
    for (const r of o.first) {
      const lines = r.lines!;
      expect(Object.keys(lines)).toEqual(Object.keys((fixture.first[0] as StreamBillingRecord).lines!));
      for (const d of Object.values(Object.getOwnPropertyDescriptors(lines))) {
        expect(d).toMatchObject({ writable: true, enumerable: true, configurable: true });
        expect(d.get).toBeUndefined();
      }
      expect({ ...lines }).toEqual(JSON.parse(JSON.stringify(lines)));
      expect(structuredClone(lines)).toEqual({ ...lines });
    }
  });

  it('the reports are the same, exactly', () => {
    expect(JSON.stringify(o.report)).toBe(JSON.stringify(fixture.report));
    expect(o.report).toStrictEqual(fixture.report);
    expect(JSON.stringify(o.reportByUser)).toBe(JSON.stringify(fixture.reportByUser));
    expect(o.reportByUser).toStrictEqual(fixture.reportByUser);
  });

  it('a report over the stored copies of the records is the same (a group without tax lines sums its taxes to "0" either way)', () => {
    expect(JSON.stringify(o.storedReport)).toBe(JSON.stringify(fixture.report));
  });
});
