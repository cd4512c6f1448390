import { describe, expect, it } from 'vitest';
import { calculateBill } from './calculate-bill';
import { DEFAULT_PRICING } from './default-pricing';
import { findPricing } from './find-pricing';
import { equals, formatFraction } from './rational';
import { testBillingConfig } from './test-billing-config';

// Golden values below are computed by hand in the comments next to them (docs/design.md "Money" order and units).

describe('calculateBill — every line of one stream', () => {
  const config = testBillingConfig({
    tokens: { inputPer1K: '0.002', cachedInputReadPer1K: '0.001', cachedInputWritePer1K: '0.0025', outputPer1K: '0.004' },
    streaming: { perSecond: '0.0001', perMB: '0.01' },
    bandwidthPremium: { thresholdKB: '100', perKB: '0.00001' },
    infrastructure: { perConnection: '0.001', perHour: '0.01' },
  });
  const metered = {
    usage: { inputTokens: 1000, cacheReadTokens: 200, cacheWriteTokens: 100, outputTokens: 500, reasoningTokens: 100 },
    durationMs: 4_500,
    bytes: 250_000,
  };

  it('prices tokens, streaming, premium and infrastructure in the pinned units', () => {
    const bill = calculateBill(metered, config);
    // tokens: 700 × 0.002/1K + 200 × 0.001/1K + 100 × 0.0025/1K + 500 × 0.004/1K (reasoning is output)
    //       = 0.0014 + 0.0002 + 0.00025 + 0.002 = 0.00385
    expect(formatFraction(bill.exact.tokenCost)).toBe('77/20000'); // 0.00385
    // streaming: 4.5 s × 0.0001 + 0.25 MB × 0.01 = 0.00045 + 0.0025 = 0.00295
    expect(bill.lines.streaming).toBe('0.002950');
    // premium: 250 KB − 100 KB = 150 KB × 0.00001 = 0.0015
    expect(bill.lines.bandwidthPremium).toBe('0.001500');
    // infrastructure: 0.001 + (4,500 / 3,600,000 h) × 0.01 = 0.0010125 exactly
    expect(formatFraction(bill.exact.infrastructure)).toBe('81/80000');
    // subtotal 0.0093125 → half-up at 6 places: 0.009313; the infrastructure line absorbs the rounding
    expect(bill.lines.tokenCost).toBe('0.003850');
    expect(bill.lines.subtotal).toBe('0.009313');
    expect(bill.lines.infrastructure).toBe('0.001013');
    expect(bill.lines.total).toBe('0.009313');
    expect(bill.billableTokens).toBe(1500);
    expect(bill.usageMissing).toBe(false);
    expect(bill.usageEstimated).toBe(false);
  });

  it('rounds the same exact subtotal half-even to the even neighbour', () => {
    const bill = calculateBill(metered, { ...config, rounding: { mode: 'half-even', minorUnits: 6 } });
    // 0.0093125: the digit kept is 2 (even), so the tie goes down
    expect(bill.lines.subtotal).toBe('0.009312');
  });

  it('charges reasoning tokens at the reasoning price when one is set, as a part of output', () => {
    const bill = calculateBill(metered, { ...config, tokens: { ...config.tokens, reasoningPer1K: '0.01' } });
    // output: 400 × 0.004/1K + 100 × 0.01/1K = 0.0016 + 0.001 = 0.0026; tokens = 0.0014+0.0002+0.00025+0.0026
    expect(bill.lines.tokenCost).toBe('0.004450');
  });

  it('counts each started connection and the exact hours = ms / 3,600,000', () => {
    const c = testBillingConfig({ infrastructure: { perConnection: '0.002', perHour: '3.6' } });
    const bill = calculateBill({ durationMs: 1, bytes: 0, connections: 3 }, c);
    // 3 × 0.002 + (1 / 3,600,000) h × 3.6 = 0.006 + 0.000001 (exact: 1/3600000 × 36/10 = 1/1000000)
    expect(formatFraction(bill.exact.infrastructure)).toBe('6001/1000000');
    expect(bill.lines.infrastructure).toBe('0.006001');
  });

  it('charges no premium at or below the threshold, and only the KB above it', () => {
    const c = testBillingConfig({ bandwidthPremium: { thresholdKB: '1', perKB: '1' }, rounding: { mode: 'half-up', minorUnits: 3 } });
    expect(calculateBill({ durationMs: 0, bytes: 1000 }, c).lines.bandwidthPremium).toBe('0.000');
    expect(calculateBill({ durationMs: 0, bytes: 999 }, c).lines.bandwidthPremium).toBe('0.000');
    expect(calculateBill({ durationMs: 0, bytes: 1001 }, c).lines.bandwidthPremium).toBe('0.001');
  });
});

describe('calculateBill — cached tokens by provider convention (never counted twice)', () => {
  it('OpenAI: prompt_tokens already include cached_tokens', () => {
    // OpenAI reports prompt_tokens 1000 with prompt_tokens_details.cached_tokens 400 → input 1000, cacheRead 400.
    const gpt4 = findPricing(DEFAULT_PRICING, 'openai', 'gpt-4', '2025-01-01')!;
    const bill = calculateBill({ usage: { inputTokens: 1000, cacheReadTokens: 400, outputTokens: 200 }, durationMs: 0, bytes: 0, connections: 1 }, gpt4);
    // 600 × 0.03/1K + 400 × 0.015/1K + 200 × 0.06/1K = 0.018 + 0.006 + 0.012 = 0.036
    expect(bill.lines.tokenCost).toBe('0.036000');
    expect(bill.billableTokens).toBe(1200);
  });

  it('Anthropic: input_tokens exclude cache reads/writes, which the adapter adds into inputTokens', () => {
    // Anthropic reports input_tokens 600, cache_read_input_tokens 300, cache_creation_input_tokens 100
    // → input 1000 (600 + 300 + 100), cacheRead 300, cacheWrite 100.
    const sonnet = findPricing(DEFAULT_PRICING, 'anthropic', 'claude-3-sonnet', '2025-01-01')!;
    const bill = calculateBill({ usage: { inputTokens: 1000, cacheReadTokens: 300, cacheWriteTokens: 100, outputTokens: 200 }, durationMs: 0, bytes: 0 }, sonnet);
    // 600 × 0.003/1K + 300 × 0.0003/1K + 100 × 0.00375/1K + 200 × 0.015/1K = 0.0018 + 0.00009 + 0.000375 + 0.003 = 0.005265
    expect(bill.lines.tokenCost).toBe('0.005265');
  });

  it('refuses a raw, unparsed price table instead of pricing with missing defaults', () => {
    const raw = { provider: 'p', model: 'm', tokens: { inputPer1K: '1', outputPer1K: '1' } };
    expect(() => calculateBill({ durationMs: 0, bytes: 0 }, raw as never)).toThrow(/streamBillingConfigSchema/);
  });

  it('rejects usage whose input does not include its cache tokens, instead of billing a negative count', () => {
    const c = testBillingConfig();
    expect(() => calculateBill({ usage: { inputTokens: 10, cacheReadTokens: 20, outputTokens: 0 }, durationMs: 0, bytes: 0 }, c)).toThrow(/must include cacheReadTokens/);
  });
});

describe('calculateBill — volume discount tiers', () => {
  const tiers = [
    { thresholdTokens: 1_000_000, ratePercent: '10' },
    { thresholdTokens: 10_000_000, ratePercent: '20' },
  ];
  const volume = testBillingConfig({ tokens: { inputPer1K: '0.01', outputPer1K: '0' }, volumeDiscount: { mode: 'volume', tiers } });
  const graduated = testBillingConfig({ tokens: { inputPer1K: '0.01', outputPer1K: '0' }, volumeDiscount: { mode: 'graduated', tiers } });
  // 1,000 input tokens at 0.01/1K → token cost 0.01.
  const thousand = { usage: { inputTokens: 1000, outputTokens: 0 }, durationMs: 0, bytes: 0 };

  it.each([
    // [tokens before, volume discount, graduated discount]
    [998_999, '0.000000', '0.000000'], // period total 999,999: one below the threshold
    [999_000, '0.001000', '0.000000'], // exactly 1,000,000: volume tier reached; graduated: no token above 1M
    [999_001, '0.001000', '0.000001'], // 1,000,001: graduated discounts only the 1,000,001st token: 0.01 × (1 × 10% / 1000)
    [999_500, '0.001000', '0.000500'], // half the tokens above 1M: mean rate 5%
    [1_000_000, '0.001000', '0.001000'], // every token inside the 10% band: its rate, as the mean gives
    [9_999_000, '0.002000', '0.001000'], // the last token is the 10,000,000th: still all in the 10% band
    [10_000_000, '0.002000', '0.002000'], // every token inside the last (20%) band
  ])('at %i tokens before: volume %s, graduated %s', (before, vol, grad) => {
    expect(calculateBill(thousand, volume, { periodTokensBefore: before }).lines.discount).toBe(vol);
    expect(calculateBill(thousand, graduated, { periodTokensBefore: before }).lines.discount).toBe(grad);
  });

  it('straddles two tiers: volume applies the higher rate to all, graduated the token-weighted mean', () => {
    const twoThousand = { usage: { inputTokens: 2000, outputTokens: 0 }, durationMs: 0, bytes: 0 };
    // tokens 9,999,001 … 10,001,000: 1,000 at 10% and 1,000 at 20% → mean 15%; token cost 0.02
    const v = calculateBill(twoThousand, volume, { periodTokensBefore: 9_999_000 });
    const g = calculateBill(twoThousand, graduated, { periodTokensBefore: 9_999_000 });
    expect(v.lines.discount).toBe('0.004000');
    expect(v.lines.discountPercent).toBe('20');
    expect(g.lines.discount).toBe('0.003000');
    expect(g.lines.discountPercent).toBe('15');
  });

  it('keeps the graduated mean rate exact when it is not a finite decimal', () => {
    const three = { usage: { inputTokens: 3, outputTokens: 0 }, durationMs: 0, bytes: 0 };
    // positions 1,000,000 (base), 1,000,001 and 1,000,002 (10%) → mean 2/30; cost 0.00003 × 2/30 = 0.000002 exactly
    const g = calculateBill(three, graduated, { periodTokensBefore: 999_999 });
    expect(equals(g.exact.discount, { n: 2n, d: 1_000_000n })).toBe(true);
    expect(g.lines.discountPercent).toBe('6.666667');
  });
});

describe('calculateBill — SLA penalties', () => {
  const config = testBillingConfig({
    rounding: { mode: 'half-up', minorUnits: 2 },
    infrastructure: { perConnection: '10', perHour: '0' },
    sla: {
      uptime: { minPercent: '99.5', penaltyPercent: '10' },
      latency: { maxMs: 500, percentile: 'p95', penaltyPercent: '8' },
      bandwidth: { minMBps: '1', penaltyPercent: '8' },
      maxPenaltyPercent: '20',
    },
  });
  const stream = { durationMs: 0, bytes: 0 }; // subtotal 10.00

  it('does not breach a guarantee met exactly', () => {
    const bill = calculateBill(stream, config, { sla: { uptimePercent: '99.5', latencyMs: 500, bandwidthMBps: 1 } });
    expect(bill.lines.slaBreaches).toEqual([]);
    expect(bill.lines.slaPenalty).toBe('0.00');
  });

  it('breaches one step past each guarantee', () => {
    expect(calculateBill(stream, config, { sla: { uptimePercent: '99.49' } }).lines.slaPenalty).toBe('1.00');
    expect(calculateBill(stream, config, { sla: { latencyMs: 501 } }).lines.slaPenalty).toBe('0.80');
    expect(calculateBill(stream, config, { sla: { bandwidthMBps: '0.999' } }).lines.slaBreaches).toEqual(['bandwidth']);
    // Better than promised is no breach either.
    expect(calculateBill(stream, config, { sla: { uptimePercent: 100, latencyMs: 120, bandwidthMBps: 5 } }).lines.slaBreaches).toEqual([]);
  });

  it('judges each bill by its own figures, alternating or repeated, on one table or several', () => {
    const other = { ...config, id: 'other', sla: { ...config.sla!, uptime: { minPercent: '98', penaltyPercent: '10' } } };
    const figures: [typeof config, string | number, string[]][] = [
      [config, '99.4', ['uptime']],
      [config, '99.4', ['uptime']],
      [config, '99.6', []],
      [other, '99.4', []],
      [config, '99.4', ['uptime']],
      [other, 97, ['uptime']],
      [config, 97, ['uptime']],
      [config, '99.6', []],
      [config, 99.6, []],
    ];
    for (const [table, uptimePercent, expected] of figures) expect(calculateBill(stream, table, { sla: { uptimePercent } }).lines.slaBreaches).toEqual(expected);
  });

  it('prices with the table it is given, whichever tables were used before (more than are kept compiled at hand)', () => {
    const tables = Array.from({ length: 12 }, (_, i) => testBillingConfig({ id: `t${i}`, tokens: { inputPer1K: `${i + 1}`, outputPer1K: '0' } }));
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < tables.length; i++) {
        const k = round === 1 ? tables.length - 1 - i : i;
        expect(calculateBill({ usage: { inputTokens: 1000, outputTokens: 0 }, durationMs: 0, bytes: 0 }, tables[k]!).lines.tokenCost).toBe(`${k + 1}.000000`);
      }
    }
  });

  it('caps the summed penalty percentages', () => {
    // 10% + 8% + 8% = 26% capped at 20% → 2.00 off 10.00
    const bill = calculateBill(stream, config, { sla: { uptimePercent: 90, latencyMs: 900, bandwidthMBps: '0.5' } });
    expect(bill.lines.slaBreaches).toEqual(['uptime', 'latency', 'bandwidth']);
    expect(bill.lines.slaPenaltyPercent).toBe('20');
    expect(bill.lines.slaPenalty).toBe('2.00');
    expect(bill.lines.total).toBe('8.00');
  });
});

describe('calculateBill — taxes', () => {
  const config = testBillingConfig({
    rounding: { mode: 'half-up', minorUnits: 2 },
    infrastructure: { perConnection: '10', perHour: '0' },
    sla: { uptime: { minPercent: '99', penaltyPercent: '10' }, maxPenaltyPercent: '100' },
    taxes: [
      { jurisdiction: 'CA', name: 'GST', ratePercent: '5' },
      { jurisdiction: 'CA-BC', name: 'PST', ratePercent: '7' },
      { jurisdiction: 'DE', name: 'USt', ratePercent: '19', reverseCharge: true },
    ],
  });

  it('applies two rates to (subtotal − penalty) without compounding', () => {
    const bill = calculateBill({ durationMs: 0, bytes: 0 }, config, { jurisdiction: 'CA-BC', sla: { uptimePercent: 98 } });
    // subtotal 10.00, penalty 10% = 1.00, base 9.00: GST 5% = 0.45, PST 7% = 0.63 (not 7% of 9.45 = 0.66)
    expect(bill.lines.taxes.map((t) => [t.name, t.amount])).toEqual([
      ['GST', '0.45'],
      ['PST', '0.63'],
    ]);
    expect(bill.lines.total).toBe('10.08');
  });

  it('applies only the rates of the customer jurisdiction and its parent regions', () => {
    const bill = calculateBill({ durationMs: 0, bytes: 0 }, config, { jurisdiction: 'CA-ON' });
    expect(bill.lines.taxes.map((t) => t.name)).toEqual(['GST']);
    expect(calculateBill({ durationMs: 0, bytes: 0 }, config).lines.taxes).toEqual([]);
  });

  it('records a reverse-charge rate with amount 0', () => {
    const bill = calculateBill({ durationMs: 0, bytes: 0 }, config, { jurisdiction: 'DE' });
    expect(bill.lines.taxes).toEqual([{ jurisdiction: 'DE', name: 'USt', ratePercent: '19', amount: '0.00', reverseCharge: true }]);
    expect(bill.lines.total).toBe('10.00');
  });
});

describe('calculateBill — rounding once, at the end', () => {
  it.each([
    ['0.125', '0.13', '0.12'],
    ['0.135', '0.14', '0.14'],
    ['0.145', '0.15', '0.14'],
    ['0.1251', '0.13', '0.13'],
    ['0.1249', '0.12', '0.12'],
  ])('a %s total rounds half-up to %s and half-even to %s', (amount, halfUp, halfEven) => {
    const c = (mode: 'half-up' | 'half-even') => testBillingConfig({ rounding: { mode, minorUnits: 2 }, infrastructure: { perConnection: amount, perHour: '0' } });
    expect(calculateBill({ durationMs: 0, bytes: 0 }, c('half-up')).lines.total).toBe(halfUp);
    expect(calculateBill({ durationMs: 0, bytes: 0 }, c('half-even')).lines.total).toBe(halfEven);
  });

  it('rounds the exact total, not the sum of rounded lines, and still makes the lines add up', () => {
    // tokens 0.004 + streaming 0.004 + infrastructure 0.004 = 0.012 → 0.01; each line alone would round to 0.00
    const c = testBillingConfig({
      rounding: { mode: 'half-up', minorUnits: 2 },
      tokens: { inputPer1K: '0.004', outputPer1K: '0' },
      streaming: { perSecond: '0.004', perMB: '0' },
      infrastructure: { perConnection: '0.004', perHour: '0' },
    });
    const bill = calculateBill({ usage: { inputTokens: 1000, outputTokens: 0 }, durationMs: 1000, bytes: 0 }, c);
    expect(bill.lines.total).toBe('0.01');
    expect([bill.lines.tokenCost, bill.lines.streaming, bill.lines.infrastructure]).toEqual(['0.00', '0.01', '0.00']);
  });
});

describe('calculateBill — unknown usage and currency', () => {
  const c = testBillingConfig({ tokens: { inputPer1K: '1', outputPer1K: '1' }, infrastructure: { perConnection: '0.001', perHour: '0' } });

  it('flags missing usage and still bills the stream itself (an aborted stream is not $0)', () => {
    const bill = calculateBill({ durationMs: 2000, bytes: 100 }, c);
    expect(bill.usageMissing).toBe(true);
    expect(bill.lines.tokenCost).toBe('0.000000');
    expect(bill.lines.total).toBe('0.001000');
  });

  it('prices the known half of partial usage and flags the rest as missing', () => {
    const bill = calculateBill({ usage: { inputTokens: 1000 }, durationMs: 0, bytes: 0 }, c);
    expect(bill.usageMissing).toBe(true);
    expect(bill.lines.tokenCost).toBe('1.000000');
  });

  it('carries the estimated flag from tokenizer-counted usage', () => {
    const bill = calculateBill({ usage: { inputTokens: 10, outputTokens: 5, estimated: true }, durationMs: 0, bytes: 0 }, c);
    expect(bill.usageEstimated).toBe(true);
    expect(bill.usageMissing).toBe(false);
  });

  it('issues the bill in another currency and records the rate used', () => {
    const bill = calculateBill({ usage: { inputTokens: 1000, outputTokens: 0 }, durationMs: 0, bytes: 0 }, c, { exchangeRate: { to: 'EUR', rate: '0.9215' } });
    // (1.000 + 0.001) × 0.9215 = 0.9224215
    expect(bill.currency).toBe('EUR');
    expect(bill.exchangeRate).toEqual({ from: 'USD', to: 'EUR', rate: '0.9215' });
    expect(bill.lines.total).toBe('0.922422');
  });
});

describe('shipped default pricing', () => {
  it('has the spec streaming prices per model and a simulated table for any model', () => {
    const rows = [
      ['openai', 'gpt-3.5-turbo', '0.0001', '0.01'],
      ['openai', 'gpt-4', '0.0002', '0.02'],
      ['anthropic', 'claude-3-sonnet', '0.00015', '0.015'],
      ['google', 'gemini-pro', '0.00008', '0.008'],
      ['simulated', 'anything', '0.0001', '0.01'],
    ] as const;
    for (const [provider, model, perSecond, perMB] of rows) {
      const config = findPricing(DEFAULT_PRICING, provider, model, '2025-06-01')!;
      expect(config.streaming).toEqual({ perSecond, perMB });
    }
  });

  it('gives the simulated provider a real, non-zero bill for a short stream', () => {
    const sim = findPricing(DEFAULT_PRICING, 'simulated', 'sim-1', Date.UTC(2025, 0, 1))!;
    const bill = calculateBill({ usage: { inputTokens: 12, outputTokens: 40 }, durationMs: 800, bytes: 2_000 }, sim);
    // tokens 12 × 0.001/1K + 40 × 0.002/1K = 0.000092; streaming 0.8 × 0.0001 + 0.002 × 0.01 = 0.0001;
    // infrastructure 0.001 + 800/3,600,000 × 0.01 = 0.0010022…; total 0.0011942… → 0.001194
    expect(bill.lines.total).toBe('0.001194');
  });
});
