import { streamBillingConfigSchema, type StreamBillingConfig, type StreamBillingConfigInput } from '../protocol/billing';

/**
 * A price table for tests: every price zero unless the test sets it, so each expected amount is
 * easy to follow (provider `test`, model `m`, effective from 2024-01-01, USD, half-up to 6 places).
 * `overrides` replace whole fields: `tokens: { inputPer1K: '0', outputPer1K: '1' }` prices output
 * tokens only.
 */
export function testBillingConfig(overrides: Partial<StreamBillingConfigInput> = {}): StreamBillingConfig {
  return streamBillingConfigSchema.parse({
    provider: 'test',
    model: 'm',
    effectiveFrom: '2024-01-01T00:00:00Z',
    rounding: { mode: 'half-up', minorUnits: 6 },
    tokens: { inputPer1K: '0', outputPer1K: '0' },
    streaming: { perSecond: '0', perMB: '0' },
    infrastructure: { perConnection: '0', perHour: '0' },
    ...overrides,
  });
}
