import type { StreamBillingRecord } from '../../protocol/billing';
import { applyBillingProfile, billingContextFor, billingProfileSchema, type BillingProfile } from '../billing-profile';
import { finalizeBillingRecord, openBillingRecord } from '../billing-record';
import { calculateBill } from '../calculate-bill';
import { PRICE_CATALOGUE } from '../catalogue/catalogue-pricing';
import { DEFAULT_PRICING } from '../default-pricing';
import { resolvePricing } from '../resolve-pricing';

/**
 * Test and demo data: two tenants with different currencies, jurisdictions and plans, and a month
 * of mixed streams (catalogue models, cache hits, reasoning, long prompts, reconnects, SLA breaches)
 * billed the way the server bills them. Deterministic (a fixed LCG), so invoices are reproducible.
 */
export const DEMO_PROFILES: readonly BillingProfile[] = [
  billingProfileSchema.parse({
    tenantId: 'acme-gmbh',
    name: 'ACME GmbH',
    address: ['Invalidenstraße 1', '10115 Berlin', 'Germany'],
    currency: 'EUR',
    exchangeRate: '0.9215',
    jurisdiction: 'DE',
    taxes: [{ jurisdiction: 'DE', name: 'USt', ratePercent: '19' }],
    volumeDiscount: { mode: 'volume', tiers: [{ thresholdTokens: 2_000_000, ratePercent: '5' }, { thresholdTokens: 5_000_000, ratePercent: '12.5' }] },
    sla: { uptime: { minPercent: '99.9', penaltyPercent: '10' }, latency: { maxMs: 800, percentile: 'p95', penaltyPercent: '5' }, maxPenaltyPercent: '15' },
  }),
  billingProfileSchema.parse({
    tenantId: 'maple-labs',
    name: 'Maple Labs Inc.',
    address: ['1 Water St', 'Vancouver BC', 'Canada'],
    currency: 'CAD',
    exchangeRate: '1.3725',
    jurisdiction: 'CA-BC',
    taxes: [
      { jurisdiction: 'CA', name: 'GST', ratePercent: '5' },
      { jurisdiction: 'CA-BC', name: 'PST', ratePercent: '7' },
      { jurisdiction: 'DE', name: 'USt', ratePercent: '19' },
    ],
    volumeDiscount: { mode: 'graduated', tiers: [{ thresholdTokens: 1_000_000, ratePercent: '8' }, { thresholdTokens: 3_000_000, ratePercent: '15' }] },
  }),
];

const MODELS: [string, string][] = [
  ['openai', 'gpt-5-mini'], ['openai', 'gpt-4.1'], ['openai', 'o4-mini'], ['anthropic', 'claude-sonnet-4-5-20250929'],
  ['anthropic', 'claude-haiku-4-5'], ['google', 'gemini-2.5-pro'], ['google', 'gemini-2.5-flash'], ['simulated', 'sim-1'],
];

/** `perTenant` streams per tenant spread over November 2026, final records in billing order. */
export function monthOfStreams(perTenant = 400): StreamBillingRecord[] {
  let seed = 42;
  const rnd = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296;
  const book = { tables: DEFAULT_PRICING, catalogue: PRICE_CATALOGUE };
  const records: StreamBillingRecord[] = [];
  for (const profile of DEMO_PROFILES) {
    let periodTokens = 0;
    for (let i = 0; i < perTenant; i++) {
      const [provider, model] = MODELS[Math.floor(rnd() * MODELS.length)]!;
      const startedAt = Date.UTC(2026, 10, 1) + Math.floor((i / perTenant) * 29 * 86_400_000) + Math.floor(rnd() * 3_600_000);
      const longPrompt = rnd() < 0.05;
      const input = longPrompt ? 200_001 + Math.floor(rnd() * 50_000) : 50 + Math.floor(rnd() * 20_000);
      const cacheRead = rnd() < 0.4 ? Math.floor(input * rnd() * 0.7) : 0;
      const cacheWrite = provider === 'anthropic' && rnd() < 0.3 ? Math.floor((input - cacheRead) * rnd() * 0.5) : 0;
      const output = Math.floor(rnd() * 4_000);
      const reasoning = model.startsWith('o4') || model.startsWith('gpt-5') ? Math.floor(output * rnd()) : 0;
      const metered = {
        usage: { inputTokens: input, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, outputTokens: output, reasoningTokens: reasoning },
        durationMs: 500 + Math.floor(rnd() * 90_000),
        bytes: Math.floor(rnd() * 400_000),
        connections: rnd() < 0.05 ? 2 : 1,
      };
      const { config: prices } = resolvePricing(book, provider, model, startedAt);
      const config = applyBillingProfile(prices, profile);
      const context = billingContextFor(profile, config, { periodTokensBefore: periodTokens, sla: { uptimePercent: rnd() < 0.03 ? '99.5' : '99.95', latencyMs: 200 + Math.floor(rnd() * 700) } });
      const bill = calculateBill(metered, config, context);
      periodTokens += bill.billableTokens;
      const streamId = `${profile.tenantId}-s${i}`;
      const open = openBillingRecord({ streamId, tenantId: profile.tenantId, provider, model, startedAt, currency: bill.currency, ...(config.id ? { pricingConfigId: config.id } : {}) });
      records.push(finalizeBillingRecord(open, { endReason: 'complete', endedAt: startedAt + metered.durationMs, metered, bill }));
    }
  }
  return records;
}
