import { describe, expect, it } from 'vitest';
import { streamBillingRecordSchema, type BillingEndReason } from '../protocol/billing';
import { billingIdempotencyKey, costReceiptFromBill, finalizeBillingRecord, openBillingRecord } from './billing-record';
import { calculateBill } from './calculate-bill';
import { meterStream } from './stream-meter';
import { testBillingConfig } from './test-billing-config';

const config = testBillingConfig({ id: 'test@1', tokens: { inputPer1K: '0.01', outputPer1K: '0.02' }, infrastructure: { perConnection: '0.001', perHour: '0' } });
const open = () => openBillingRecord({ streamId: 's1', tenantId: 't1', userId: 'u1', provider: 'test', model: 'm', startedAt: Date.UTC(2025, 0, 1), currency: 'USD', pricingConfigId: 'test@1' });

describe('billing records', () => {
  it('derives one deterministic idempotency key per stream', () => {
    expect(open().idempotencyKey).toBe(billingIdempotencyKey('t1', 's1'));
    expect(billingIdempotencyKey('t1', 's1')).not.toBe(billingIdempotencyKey('t1', 's2'));
    expect(open()).toEqual(open());
  });

  it('opens a schema-valid record flagged missing usage until it is finalized', () => {
    const record = open();
    expect(streamBillingRecordSchema.parse(record)).toEqual(record);
    expect(record).toMatchObject({ state: 'open', usageMissing: true, startedAt: '2025-01-01T00:00:00.000Z' });
  });

  it.each<[BillingEndReason, boolean]>([
    ['complete', true],
    ['error', true],
    ['client_abort', false],
    ['budget_stop', true],
    ['interrupted', false],
  ])('finalizes a stream that ended with %s into exactly one billed record', (endReason, reported) => {
    const metered = meterStream({
      startedAt: Date.UTC(2025, 0, 1),
      endedAt: Date.UTC(2025, 0, 1) + 2_000,
      bytesWritten: 4_000,
      parts: reported ? [{ type: 'usage', usage: { inputTokens: 100, outputTokens: 50 } }] : [],
    });
    const bill = calculateBill(metered, config);
    const final = finalizeBillingRecord(open(), { endReason, endedAt: Date.UTC(2025, 0, 1) + 2_000, metered, bill });
    expect(streamBillingRecordSchema.parse(final)).toEqual(final);
    expect(final).toMatchObject({ state: 'final', endReason, usageMissing: !reported, durationMs: 2_000, bytes: 4_000, pricingConfigId: 'test@1' });
    // An aborted stream without usage is still billed for its connection, not $0.
    expect(final.lines?.total).toBe(reported ? '0.003000' : '0.001000');
  });

  it('ignores a retried finalization: the first end and amounts stand', () => {
    const metered = meterStream({ startedAt: 0, endedAt: 1, bytesWritten: 1 });
    const first = finalizeBillingRecord(open(), { endReason: 'client_abort', endedAt: 1, metered, bill: calculateBill(metered, config) });
    const again = finalizeBillingRecord(first, { endReason: 'complete', endedAt: 9, metered, bill: calculateBill({ ...metered, connections: 5 }, config) });
    expect(again).toBe(first);
  });

  it('turns a bill into the client receipt with every line as a decimal string', () => {
    const bill = calculateBill({ usage: { inputTokens: 1000, outputTokens: 0 }, durationMs: 0, bytes: 0 }, config);
    expect(costReceiptFromBill(bill, 'bill_s1')).toEqual({
      currency: 'USD',
      total: '0.011000',
      estimated: false,
      recordId: 'bill_s1',
      lines: { tokenCost: '0.010000', discount: '0.000000', streaming: '0.000000', bandwidthPremium: '0.000000', infrastructure: '0.001000', subtotal: '0.011000', slaPenalty: '0.000000' },
    });
  });

  it('keeps canonical ISO times as they are and normalises every other form', () => {
    const record = (startedAt: string | number) => openBillingRecord({ streamId: 's', tenantId: 't', provider: 'p', model: 'm', startedAt, currency: 'USD' });
    const canonical = '2025-06-10T12:00:30.000Z';
    expect(record(canonical).startedAt).toBe(canonical);
    expect(record('2025-06-10T12:00:30Z').startedAt).toBe(canonical);
    expect(record('2025-06-10T14:00:30.000+02:00').startedAt).toBe(canonical);
    expect(record('2025-06-10 12:00:30.000Z').startedAt).toBe(canonical);
    expect(record(Date.parse(canonical)).startedAt).toBe(canonical);
    expect(() => record('2025-06-1x')).toThrow(/valid dates/);
  });
});
