import { describe, expect, it } from 'vitest';
import { isTwinError } from '../../errors/twin-error';
import { finalizeBillingRecord, openBillingRecord, costReceiptFromBill } from '../billing-record';
import { calculateBill } from '../calculate-bill';
import { DEFAULT_PRICING } from '../default-pricing';
import { resolvePricing, unpricedModels, type PriceBook } from '../resolve-pricing';
import { StreamMeter } from '../stream-meter';
import { buildUsageReport } from '../usage-report';
import { PRICE_CATALOGUE } from './catalogue-pricing';
import { cataloguePriceAt, findCatalogueModel, type CatalogueTokenPrices } from './price-catalogue';

const AT = '2026-11-15T12:00:00Z';
const book: PriceBook = { tables: DEFAULT_PRICING, catalogue: PRICE_CATALOGUE };

/** Model names as a user writes them (dated snapshots included): 17 OpenAI, 10 Anthropic, 10 Gemini. */
const MODELS: [provider: string, model: string][] = [
  ...['gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-5.1', 'gpt-5.2', 'gpt-5.4', 'gpt-5.5', 'o1', 'o3', 'o3-mini', 'o4-mini'].map((m) => ['openai', m] as [string, string]),
  ...['claude-opus-4-1-20250805', 'claude-opus-4-5', 'claude-opus-4-6', 'claude-opus-4-7', 'claude-sonnet-4-20250514', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-3-7-sonnet-latest', 'claude-3-5-haiku-20241022'].map((m) => ['anthropic', m] as [string, string]),
  ...['gemini-3.1-pro-preview', 'gemini-3-pro-preview', 'gemini-3-flash-preview', 'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.0-flash', 'gemini-2.0-flash-lite', 'gemini-1.5-pro', 'gemini-1.5-flash'].map((m) => ['google', m] as [string, string]),
];

/** A stream on a model, through the meter as the server feeds it. */
function stream(usage: { inputTokens: number; cacheReadTokens?: number; cacheWriteTokens?: number; outputTokens: number; reasoningTokens?: number }) {
  const meter = new StreamMeter({ startedAt: 0 });
  meter.recordPart({ type: 'text-delta', text: 'hello' });
  meter.recordPart({ type: 'usage', usage });
  return meter.finish(2_000);
}

/**
 * The catalogue's own figures, priced by a separate route (scaled bigints at 10^-15, no rationals,
 * none of the calculator's code): Σ count × price per 1K / 1,000, rounded half-up to 6 places.
 */
function expectedTokenCost(p: CatalogueTokenPrices, u: { inputTokens: number; cacheReadTokens?: number; cacheWriteTokens?: number; outputTokens: number; reasoningTokens?: number }): string {
  const scaled = (d: string) => {
    const [i = '0', f = ''] = d.split('.');
    return BigInt(i + f.padEnd(12, '0'));
  };
  const read = u.cacheReadTokens ?? 0;
  const write = u.cacheWriteTokens ?? 0;
  const reasoning = u.reasoningTokens ?? 0;
  const sum =
    BigInt(u.inputTokens - read - write) * scaled(p.inputPer1K) +
    BigInt(read) * scaled(p.cachedInputReadPer1K ?? p.inputPer1K) +
    BigInt(write) * scaled(p.cachedInputWritePer1K ?? p.inputPer1K) +
    BigInt(u.outputTokens - reasoning) * scaled(p.outputPer1K) +
    BigInt(reasoning) * scaled(p.reasoningPer1K ?? p.outputPer1K);
  // sum is in 10^-12 per 1K tokens = 10^-15 per token; to 10^-6 units, half-up.
  const micro = (sum + 500_000_000n) / 1_000_000_000n;
  return `${micro / 1_000_000n}.${String(micro % 1_000_000n).padStart(6, '0')}`;
}

describe('the price catalogue prices today’s models', () => {
  it('covers at least 30 current OpenAI, Anthropic and Gemini models', () => {
    expect(MODELS.length).toBeGreaterThanOrEqual(30);
    expect(unpricedModels(book, MODELS.map(([provider, model]) => ({ provider, model })), AT)).toEqual([]);
  });

  it.each(MODELS)('a stream on %s/%s bills exactly the catalogue’s prices', (provider, model) => {
    const usage = { inputTokens: 12_345, cacheReadTokens: 2_000, cacheWriteTokens: provider === 'anthropic' ? 500 : 0, outputTokens: 678, reasoningTokens: 100 };
    const { config, priced } = resolvePricing(book, provider, model, AT);
    expect(priced).toBe(true);
    const bill = calculateBill(stream(usage), config);
    const entry = findCatalogueModel(PRICE_CATALOGUE, provider, model)!;
    expect(bill.lines.tokenCost).toBe(expectedTokenCost(cataloguePriceAt(entry, AT)!, usage));
    expect(bill.lines.total).toBe(bill.lines.tokenCost); // no platform charges, discount, SLA or tax by default
    expect(bill.pricingConfigId).toMatch(new RegExp(`^catalogue:${provider}/`));
  });

  // Hand-derived from the providers' published per-million prices.
  it.each([
    // gpt-4o $2.50 in, $1.25 cached, $10 out per 1M: 10,345 × 2.5 + 2,000 × 1.25 + 678 × 10 = 35,142.5 µ$ → 0.035143
    ['openai', 'gpt-4o-2024-08-06', { inputTokens: 12_345, cacheReadTokens: 2_000, outputTokens: 678 }, '0.035143'],
    // claude-sonnet-4-5 $3 in, $0.30 read, $3.75 write, $15 out: 9,845 × 3 + 2,000 × 0.3 + 500 × 3.75 + 678 × 15 = 42,180 µ$
    ['anthropic', 'claude-sonnet-4-5-20250929', { inputTokens: 12_345, cacheReadTokens: 2_000, cacheWriteTokens: 500, outputTokens: 678 }, '0.042180'],
    // gemini-2.5-pro above 200K input: $2.50 in, $0.25 cached, $15 out: 240,000 × 2.5 + 10,000 × 0.25 + 1,000 × 15 = 617,500 µ$
    ['google', 'gemini-2.5-pro', { inputTokens: 250_000, cacheReadTokens: 10_000, outputTokens: 1_000 }, '0.617500'],
    // gemini-2.5-pro at exactly 200K: base prices $1.25 / $10: 200,000 × 1.25 + 1,000 × 10 = 260,000 µ$
    ['google', 'gemini-2.5-pro', { inputTokens: 200_000, outputTokens: 1_000 }, '0.260000'],
    // o3 $2 in, $8 out (reasoning is output): 1,000 × 2 + 2,000 × 8 = 18,000 µ$
    ['openai', 'o3', { inputTokens: 1_000, outputTokens: 2_000, reasoningTokens: 1_500 }, '0.018000'],
  ] as const)('%s/%s: hand-derived %j → %s', (provider, model, usage, total) => {
    const bill = calculateBill(stream(usage), resolvePricing(book, provider, model, AT).config);
    expect(bill.lines.total).toBe(total);
  });

  it('uses the prices in effect when the stream started, and a record keeps the table it was billed with', () => {
    // claude-opus-4-6 had a >200K tier until 2026-03-13, then one price for every size.
    const usage = { inputTokens: 300_000, outputTokens: 1_000 };
    const before = calculateBill(stream(usage), resolvePricing(book, 'anthropic', 'claude-opus-4-6', '2026-03-01T00:00:00Z').config);
    const after = calculateBill(stream(usage), resolvePricing(book, 'anthropic', 'claude-opus-4-6', '2026-03-14T00:00:00Z').config);
    expect(before.lines.total).toBe('3.037500'); // 300,000 × $10 + 1,000 × $37.50 per 1M
    expect(after.lines.total).toBe('1.525000'); // 300,000 × $5 + 1,000 × $25 per 1M
    expect(before.pricingConfigId).toBe('catalogue:anthropic/claude-opus-4-6@1970-01-01');
    expect(after.pricingConfigId).toBe('catalogue:anthropic/claude-opus-4-6@2026-03-13');
  });

  it('keeps the seed’s example tables ahead of the catalogue', () => {
    expect(resolvePricing(book, 'openai', 'gpt-4', AT).config.id).toBe('openai/gpt-4@2024-01-01');
  });
});

describe('unpriced models: never a silent zero', () => {
  it('refuses a model nobody prices by default, naming provider and model (HTTP 422)', () => {
    let error: unknown;
    try {
      resolvePricing(book, 'openai', 'gpt-99-imaginary', AT);
    } catch (e) {
      error = e;
    }
    expect(isTwinError(error) && error.code).toBe('model_unpriced');
    expect(isTwinError(error) && error.status).toBe(422);
    expect(String((error as Error).message)).toContain('openai/gpt-99-imaginary');
  });

  it('under "allow", bills the stream flagged unpriced in the bill, record, receipt and report', () => {
    const { priced, config } = resolvePricing({ ...book, unpriced: 'allow' }, 'openai', 'gpt-99-imaginary', AT);
    expect(priced).toBe(false);
    const bill = calculateBill(stream({ inputTokens: 10, outputTokens: 10 }), config);
    expect(bill.unpriced).toBe(true);
    expect(costReceiptFromBill(bill).unpriced).toBe(true);
    const open = openBillingRecord({ streamId: 's1', tenantId: 't', provider: 'openai', model: 'gpt-99-imaginary', startedAt: AT, currency: 'USD' });
    const record = finalizeBillingRecord(open, { endReason: 'complete', endedAt: '2026-11-15T12:00:02.000Z', metered: stream({ inputTokens: 10, outputTokens: 10 }), bill });
    expect(record.unpriced).toBe(true);
    expect(buildUsageReport([record], { from: '2026-11-01', to: '2026-12-01', groupBy: [] }).totals.unpriced).toBe(1);
  });
});
