import { streamBillingConfigSchema, type StreamBillingConfig, type StreamBillingConfigInput } from '../protocol/billing';

type Prices = Pick<StreamBillingConfigInput, 'tokens' | 'streaming' | 'bandwidthPremium' | 'infrastructure'>;
type Tier = [thresholdTokens: number, ratePercent: string];
type SlaTerm<T> = [limit: T, penaltyPercent: string];

/**
 * One shipped table: what all of them share (USD, billed to 6 decimal places half-up, an id of
 * `provider/model@day`) written once. Amounts go to micro-dollars because one stream usually costs
 * a fraction of a cent, and rounding each stream to cents would bill most of them at $0.00.
 */
function shippedTable(
  provider: string,
  model: string,
  day: string,
  prices: Prices,
  discount: { mode: 'volume' | 'graduated'; tiers: Tier[] },
  sla: { uptime: SlaTerm<string>; latencyP95: SlaTerm<number>; bandwidth: SlaTerm<string>; maxPenaltyPercent: string },
): StreamBillingConfigInput {
  return {
    id: `${provider}/${model}@${day}`,
    provider,
    model,
    effectiveFrom: `${day}T00:00:00Z`,
    currency: 'USD',
    rounding: { mode: 'half-up', minorUnits: 6 },
    ...prices,
    volumeDiscount: { mode: discount.mode, tiers: discount.tiers.map(([thresholdTokens, ratePercent]) => ({ thresholdTokens, ratePercent })) },
    sla: {
      uptime: { minPercent: sla.uptime[0], penaltyPercent: sla.uptime[1] },
      latency: { maxMs: sla.latencyP95[0], percentile: 'p95', penaltyPercent: sla.latencyP95[1] },
      bandwidth: { minMBps: sla.bandwidth[0], penaltyPercent: sla.bandwidth[1] },
      maxPenaltyPercent: sla.maxPenaltyPercent,
    },
  };
}

/**
 * The price tables Twin ships (values from the project specification; see `docs/billing.md` for the
 * mapping and the choices made inside the spec's ranges). They are a starting point: load your own
 * tables with {@link parsePricingConfigs} and they win by effective date and specificity.
 */
const DEFAULTS: StreamBillingConfigInput[] = [
  shippedTable(
    'openai', 'gpt-3.5-turbo', '2024-01-01',
    { tokens: { inputPer1K: '0.0015', cachedInputReadPer1K: '0.00075', outputPer1K: '0.002' }, streaming: { perSecond: '0.0001', perMB: '0.01' }, infrastructure: { perConnection: '0.001', perHour: '0.008' } },
    { mode: 'volume', tiers: [[1_000_000, '10'], [10_000_000, '20']] },
    { uptime: ['99.5', '10'], latencyP95: [500, '8'], bandwidth: ['1', '8'], maxPenaltyPercent: '20' },
  ),
  shippedTable(
    'openai', 'gpt-4', '2024-01-01',
    { tokens: { inputPer1K: '0.03', cachedInputReadPer1K: '0.015', outputPer1K: '0.06' }, streaming: { perSecond: '0.0002', perMB: '0.02' }, infrastructure: { perConnection: '0.002', perHour: '0.02' } },
    { mode: 'volume', tiers: [[1_000_000, '10'], [10_000_000, '20']] },
    { uptime: ['99.5', '15'], latencyP95: [600, '10'], bandwidth: ['2', '10'], maxPenaltyPercent: '25' },
  ),
  // Anthropic prices cache reads at 10% and cache writes at 125% of the input price.
  shippedTable(
    'anthropic', 'claude-3-sonnet', '2024-03-04',
    {
      tokens: { inputPer1K: '0.003', cachedInputReadPer1K: '0.0003', cachedInputWritePer1K: '0.00375', outputPer1K: '0.015' },
      streaming: { perSecond: '0.00015', perMB: '0.015' },
      infrastructure: { perConnection: '0.0015', perHour: '0.015' },
    },
    { mode: 'volume', tiers: [[800_000, '8'], [8_000_000, '18']] },
    { uptime: ['99', '12'], latencyP95: [400, '10'], bandwidth: ['1.5', '8'], maxPenaltyPercent: '20' },
  ),
  // Gemini's list price is below the spec's range; the range floor is used.
  shippedTable(
    'google', 'gemini-pro', '2024-01-01',
    { tokens: { inputPer1K: '0.001', outputPer1K: '0.0015' }, streaming: { perSecond: '0.00008', perMB: '0.008' }, infrastructure: { perConnection: '0.001', perHour: '0.01' } },
    { mode: 'volume', tiers: [[2_000_000, '12'], [20_000_000, '25']] },
    { uptime: ['98', '8'], latencyP95: [300, '8'], bandwidth: ['1', '8'], maxPenaltyPercent: '15' },
  ),
  // The reference server's offline provider: real, non-zero bills that exercise every line.
  shippedTable(
    'simulated', '*', '2024-01-01',
    {
      tokens: { inputPer1K: '0.001', cachedInputReadPer1K: '0.0005', outputPer1K: '0.002' },
      streaming: { perSecond: '0.0001', perMB: '0.01' },
      bandwidthPremium: { thresholdKB: '100', perKB: '0.00001' },
      infrastructure: { perConnection: '0.001', perHour: '0.01' },
    },
    { mode: 'graduated', tiers: [[1_000_000, '10'], [10_000_000, '20']] },
    { uptime: ['99.5', '10'], latencyP95: [500, '8'], bandwidth: ['1', '8'], maxPenaltyPercent: '20' },
  ),
];

/** Shipped price tables: openai gpt-3.5-turbo and gpt-4, anthropic claude-3-sonnet, google gemini-pro, simulated "*". */
export const DEFAULT_PRICING: readonly StreamBillingConfig[] = Object.freeze(DEFAULTS.map((c) => Object.freeze(streamBillingConfigSchema.parse(c))));
