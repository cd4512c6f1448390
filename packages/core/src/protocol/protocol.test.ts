import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STREAM_CONFIG,
  chunkEventDataSchema,
  streamBillingConfigSchema,
  streamRequestSchema,
  usageSchema,
} from '../index';
import { testBillingConfig } from '../billing/test-billing-config';

describe('protocol schemas', () => {
  it('resolves a complete default stream config with 10,000 max connections', () => {
    expect(DEFAULT_STREAM_CONFIG.maxConnections).toBe(10_000);
    expect(DEFAULT_STREAM_CONFIG.flush.maxAgeMs).toBeGreaterThan(0);
    expect(DEFAULT_STREAM_CONFIG.buffer.replayWindowEvents).toBeGreaterThan(0);
  });

  it('keeps unknown usage apart from zero', () => {
    const parsed = usageSchema.parse({ inputTokens: 0 });
    expect(parsed.inputTokens).toBe(0);
    expect(parsed.outputTokens).toBeUndefined();
  });

  it('tells sealed chunks from plain ones by their codec field', () => {
    const sealed = chunkEventDataSchema.parse({ v: 1, seq: 3, codec: 'gzip', data: 'AAAA' });
    expect('data' in sealed && sealed.codec).toBe('gzip');
    const plain = chunkEventDataSchema.parse({ v: 1, seq: 4, text: 'hi' });
    expect('text' in plain && plain.text).toBe('hi');
  });

  it('rejects a request without messages, naming the field', () => {
    const result = streamRequestSchema.safeParse({ messages: [] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['messages']);
  });

  it('refuses float prices in billing configs', () => {
    const base = testBillingConfig({ tokens: { inputPer1K: '0.03', outputPer1K: '0.06' } });
    expect(streamBillingConfigSchema.safeParse(base).success).toBe(true);
    expect(streamBillingConfigSchema.safeParse({ ...base, tokens: { inputPer1K: 0.03, outputPer1K: '0.06' } }).success).toBe(false);
    expect(streamBillingConfigSchema.safeParse({ ...base, tokens: { inputPer1K: '3e-2', outputPer1K: '0.06' } }).success).toBe(false);
  });
});
