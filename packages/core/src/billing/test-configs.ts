import { streamBillingConfigSchema, type StreamBillingConfig, type StreamBillingConfigInput } from '../protocol/billing';

/** A price table for tests: every price zero unless the test sets it, so each golden value is easy to follow. */
export function testConfig(overrides: Partial<StreamBillingConfigInput> = {}): StreamBillingConfig {
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
