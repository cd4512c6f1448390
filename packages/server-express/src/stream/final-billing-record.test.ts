import { DEFAULT_PRICING, billingIdempotencyKey, calculateBill, finalizeBillingRecord, openBillingRecord } from '@twin/core';
import { describe, expect, it } from 'vitest';
import { finalBillingRecord, meteredUsage } from './final-billing-record';

const open = openBillingRecord({ id: 'bill_s1', streamId: 's1', tenantId: 't1', provider: 'openai', model: 'gpt-4o-mini', currency: 'USD', startedAt: new Date('2031-01-01T00:00:00.000Z') });
const endedAt = new Date('2031-01-01T00:00:02.000Z');
const usage = { inputTokens: 100, outputTokens: 20 };

describe('finalBillingRecord', () => {
  it("is core's finalizeBillingRecord of the open record when the stream was priced", () => {
    const metered = meteredUsage(usage, 1999.6, 512, 0);
    expect(metered).toEqual({ usage, durationMs: 2000, bytes: 512, connections: 1 });
    const bill = calculateBill(metered, DEFAULT_PRICING[0]!);
    const record = finalBillingRecord(open, { endReason: 'complete', endedAt, metered, bill, provider: 'openai', model: 'gpt-4o-mini' });
    expect(record).toEqual(finalizeBillingRecord(open, { endReason: 'complete', endedAt, metered, bill, provider: 'openai', model: 'gpt-4o-mini' }));
    expect(record.idempotencyKey).toBe(billingIdempotencyKey('t1', 's1'));
  });

  it('is final without lines when nothing priced the stream, with the measured usage and its flags', () => {
    const record = finalBillingRecord(open, { endReason: 'error', endedAt, metered: meteredUsage({ outputTokens: 3, estimated: true }, 10, 7, 2), bill: undefined, provider: 'x', model: 'y' });
    expect(record).toMatchObject({ state: 'final', endReason: 'error', endedAt: endedAt.toISOString(), provider: 'x', model: 'y', usageEstimated: true, usageMissing: true, outputTokens: 3, durationMs: 10, bytes: 7, connections: 2 });
    expect(record.lines).toBeUndefined();
  });

  it('leaves a final record as it is (a retried end changes nothing)', () => {
    const first = finalBillingRecord(open, { endReason: 'complete', endedAt, metered: meteredUsage(usage, 1, 1, 1), bill: undefined, provider: 'openai', model: 'gpt-4o-mini' });
    expect(finalBillingRecord(first, { endReason: 'error', endedAt: new Date(), metered: meteredUsage(undefined, 9, 9, 1), bill: undefined, provider: 'z', model: 'z' })).toBe(first);
  });
});
