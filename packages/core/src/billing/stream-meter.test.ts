import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../protocol/stream-part';
import { calculateBill } from './calculate-bill';
import { meterStream, mergeUsage, StreamMeter } from './stream-meter';
import { testBillingConfig } from './test-billing-config';

describe('meterStream', () => {
  it('turns times, bytes and split usage reports into the metered record', () => {
    // Anthropic-style: input at message_start, output at message_delta.
    const parts: StreamPart[] = [
      { type: 'usage', usage: { inputTokens: 120, cacheReadTokens: 100 } },
      { type: 'text-delta', text: 'Hello' },
      { type: 'usage', usage: { outputTokens: 7 } },
      { type: 'finish', reason: 'stop' },
    ];
    const metered = meterStream({ startedAt: 1_000, endedAt: 3_500, bytesWritten: 900, connections: 2, parts });
    expect(metered).toEqual({ durationMs: 2_500, bytes: 900, connections: 2, usage: { inputTokens: 120, cacheReadTokens: 100, outputTokens: 7 } });
  });

  it('keeps unreported usage unknown (never 0) so the bill is flagged missing', () => {
    const metered = meterStream({ startedAt: 0, endedAt: 10, bytesWritten: 5, parts: [{ type: 'text-delta', text: 'x' }] });
    expect(metered.usage).toBeUndefined();
    expect(calculateBill(metered, testBillingConfig()).usageMissing).toBe(true);
  });

  it('fills only the gaps from a tokenizer estimate and flags it estimated', () => {
    const metered = meterStream({
      startedAt: 0,
      endedAt: 10,
      bytesWritten: 5,
      parts: [{ type: 'error', error: { code: 'aborted', message: 'x', retryable: false }, usage: { inputTokens: 50 } }],
      fallbackUsage: { inputTokens: 48, outputTokens: 9, estimated: true },
    });
    expect(metered.usage).toEqual({ inputTokens: 50, outputTokens: 9, estimated: true });
  });

  it('never lets an unknown field erase a known one when merging reports', () => {
    expect(mergeUsage({ inputTokens: 3, outputTokens: 4 }, { outputTokens: 5, inputTokens: undefined })).toEqual({ inputTokens: 3, outputTokens: 5 });
  });
});

describe('StreamMeter', () => {
  it('prices a running stream from its text so far when the provider has not reported usage yet', () => {
    const meter = new StreamMeter({ startedAt: 100, inputTokensEstimate: 30 });
    meter.recordPart({ type: 'text-delta', text: 'abcdefghij' }); // 10 chars → 3 tokens (4 chars per token, rounded up)
    meter.recordBytes(64);
    expect(meter.snapshot(1_100)).toEqual({ usage: { inputTokens: 30, outputTokens: 3, estimated: true }, durationMs: 1_000, bytes: 64, connections: 1 });
  });

  it('uses the supplied token counter and the reported counts once they arrive', () => {
    const meter = new StreamMeter({ startedAt: 0, countTokens: (t) => t.split(' ').length });
    meter.recordPart({ type: 'text-delta', text: 'one two three' });
    expect(meter.snapshot(5).usage?.outputTokens).toBe(3);
    meter.recordPart({ type: 'usage', usage: { inputTokens: 11, outputTokens: 4 } });
    meter.recordConnection();
    expect(meter.snapshot(5)).toEqual({ usage: { inputTokens: 11, outputTokens: 4 }, durationMs: 5, bytes: 0, connections: 2 });
  });

  it('never reports a negative duration when the clock steps back', () => {
    expect(new StreamMeter({ startedAt: 1_000 }).finish(900).durationMs).toBe(0);
  });

  it('rejects non-integer byte counts', () => {
    expect(() => new StreamMeter({ startedAt: 0 }).recordBytes(1.5)).toThrow(/non-negative integer/);
  });
});
