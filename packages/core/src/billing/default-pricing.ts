import { streamBillingConfigSchema, type StreamBillingConfig, type StreamBillingConfigInput } from '../protocol/billing';

/**
 * The price tables Twin ships (values from the project specification; see `docs/billing.md` for the
 * mapping and the choices made inside the spec's ranges). They are a starting point: load your own
 * tables with {@link parsePricingConfigs} and they win by effective date and specificity.
 *
 * Amounts are billed to 6 decimal places (micro-dollars): one stream usually costs a fraction of a
 * cent, and rounding each stream to cents would bill most of them at $0.00.
 */
const DEFAULTS: StreamBillingConfigInput[] = [
  {
    id: 'openai/gpt-3.5-turbo@2024-01-01',
    provider: 'openai',
    model: 'gpt-3.5-turbo',
    effectiveFrom: '2024-01-01T00:00:00Z',
    currency: 'USD',
    rounding: { mode: 'half-up', minorUnits: 6 },
    tokens: { inputPer1K: '0.0015', cachedInputReadPer1K: '0.00075', outputPer1K: '0.002' },
    streaming: { perSecond: '0.0001', perMB: '0.01' },
    infrastructure: { perConnection: '0.001', perHour: '0.008' },
    volumeDiscount: { mode: 'volume', tiers: [{ thresholdTokens: 1_000_000, ratePercent: '10' }, { thresholdTokens: 10_000_000, ratePercent: '20' }] },
    sla: {
      uptime: { minPercent: '99.5', penaltyPercent: '10' },
      latency: { maxMs: 500, percentile: 'p95', penaltyPercent: '8' },
      bandwidth: { minMBps: '1', penaltyPercent: '8' },
      maxPenaltyPercent: '20',
    },
  },
  {
    id: 'openai/gpt-4@2024-01-01',
    provider: 'openai',
    model: 'gpt-4',
    effectiveFrom: '2024-01-01T00:00:00Z',
    currency: 'USD',
    rounding: { mode: 'half-up', minorUnits: 6 },
    tokens: { inputPer1K: '0.03', cachedInputReadPer1K: '0.015', outputPer1K: '0.06' },
    streaming: { perSecond: '0.0002', perMB: '0.02' },
    infrastructure: { perConnection: '0.002', perHour: '0.02' },
    volumeDiscount: { mode: 'volume', tiers: [{ thresholdTokens: 1_000_000, ratePercent: '10' }, { thresholdTokens: 10_000_000, ratePercent: '20' }] },
    sla: {
      uptime: { minPercent: '99.5', penaltyPercent: '15' },
      latency: { maxMs: 600, percentile: 'p95', penaltyPercent: '10' },
      bandwidth: { minMBps: '2', penaltyPercent: '10' },
      maxPenaltyPercent: '25',
    },
  },
  {
    id: 'anthropic/claude-3-sonnet@2024-03-04',
    provider: 'anthropic',
    model: 'claude-3-sonnet',
    effectiveFrom: '2024-03-04T00:00:00Z',
    currency: 'USD',
    rounding: { mode: 'half-up', minorUnits: 6 },
    // Anthropic prices cache reads at 10% and cache writes at 125% of the input price.
    tokens: { inputPer1K: '0.003', cachedInputReadPer1K: '0.0003', cachedInputWritePer1K: '0.00375', outputPer1K: '0.015' },
    streaming: { perSecond: '0.00015', perMB: '0.015' },
    infrastructure: { perConnection: '0.0015', perHour: '0.015' },
    volumeDiscount: { mode: 'volume', tiers: [{ thresholdTokens: 800_000, ratePercent: '8' }, { thresholdTokens: 8_000_000, ratePercent: '18' }] },
    sla: {
      uptime: { minPercent: '99', penaltyPercent: '12' },
      latency: { maxMs: 400, percentile: 'p95', penaltyPercent: '10' },
      bandwidth: { minMBps: '1.5', penaltyPercent: '8' },
      maxPenaltyPercent: '20',
    },
  },
  {
    id: 'google/gemini-pro@2024-01-01',
    provider: 'google',
    model: 'gemini-pro',
    effectiveFrom: '2024-01-01T00:00:00Z',
    currency: 'USD',
    rounding: { mode: 'half-up', minorUnits: 6 },
    // Gemini's list price is below the spec's range; the range floor is used.
    tokens: { inputPer1K: '0.001', outputPer1K: '0.0015' },
    streaming: { perSecond: '0.00008', perMB: '0.008' },
    infrastructure: { perConnection: '0.001', perHour: '0.01' },
    volumeDiscount: { mode: 'volume', tiers: [{ thresholdTokens: 2_000_000, ratePercent: '12' }, { thresholdTokens: 20_000_000, ratePercent: '25' }] },
    sla: {
      uptime: { minPercent: '98', penaltyPercent: '8' },
      latency: { maxMs: 300, percentile: 'p95', penaltyPercent: '8' },
      bandwidth: { minMBps: '1', penaltyPercent: '8' },
      maxPenaltyPercent: '15',
    },
  },
  {
    // The reference server's offline provider: real, non-zero bills that exercise every line.
    id: 'simulated/*@2024-01-01',
    provider: 'simulated',
    model: '*',
    effectiveFrom: '2024-01-01T00:00:00Z',
    currency: 'USD',
    rounding: { mode: 'half-up', minorUnits: 6 },
    tokens: { inputPer1K: '0.001', cachedInputReadPer1K: '0.0005', outputPer1K: '0.002' },
    streaming: { perSecond: '0.0001', perMB: '0.01' },
    bandwidthPremium: { thresholdKB: '100', perKB: '0.00001' },
    infrastructure: { perConnection: '0.001', perHour: '0.01' },
    volumeDiscount: { mode: 'graduated', tiers: [{ thresholdTokens: 1_000_000, ratePercent: '10' }, { thresholdTokens: 10_000_000, ratePercent: '20' }] },
    sla: {
      uptime: { minPercent: '99.5', penaltyPercent: '10' },
      latency: { maxMs: 500, percentile: 'p95', penaltyPercent: '8' },
      bandwidth: { minMBps: '1', penaltyPercent: '8' },
      maxPenaltyPercent: '20',
    },
  },
];

/** Shipped price tables: openai gpt-3.5-turbo and gpt-4, anthropic claude-3-sonnet, google gemini-pro, simulated "*". */
export const DEFAULT_PRICING: readonly StreamBillingConfig[] = Object.freeze(DEFAULTS.map((c) => Object.freeze(streamBillingConfigSchema.parse(c))));
