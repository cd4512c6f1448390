import { streamRequestSchema } from '@twin/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findUnknownKeys, nearestKey } from './find-unknown-keys';

describe('findUnknownKeys', () => {
  it('finds unknown keys at any depth of the stream request, through unions and arrays', () => {
    const found = findUnknownKeys(streamRequestSchema, {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x', colour: 'red' }] }],
      max_tokens: 5,
      options: { codec: 'gzip', purpos: 'chat' },
      providerOptions: { anything: { goes: true } },
      metadata: { k: 'v' },
    });
    expect(found).toEqual([
      { at: 'messages.0.content.0', key: 'colour' },
      { at: '', key: 'max_tokens', suggestion: 'maxTokens' },
      { at: 'options', key: 'purpos', suggestion: 'purpose' },
    ]);
  });

  it('lets records and catch-all objects take any key', () => {
    expect(findUnknownKeys(z.object({ a: z.string() }).catchall(z.unknown()), { a: 'x', b: 1 })).toEqual([]);
    expect(findUnknownKeys(z.record(z.string(), z.number()), { anything: 1 })).toEqual([]);
  });

  it("reports keys named after Object.prototype's members as unknown instead of walking them", () => {
    const body = JSON.parse('{"toString":false,"constructor":1,"__proto__":{"x":1},"messages":[{"role":"user","content":"x","hasOwnProperty":2}]}');
    expect(findUnknownKeys(streamRequestSchema, body).map((k) => `${k.at}:${k.key}`).sort()).toEqual(
      [':__proto__', ':constructor', ':toString', 'messages.0:hasOwnProperty'].sort(),
    );
  });

  it('suggests only near misses', () => {
    expect(nearestKey('max_tokens', ['maxTokens', 'messages'])).toBe('maxTokens');
    expect(nearestKey('MaxTokens', ['maxTokens'])).toBe('maxTokens');
    expect(nearestKey('temprature', ['temperature'])).toBe('temperature');
    expect(nearestKey('foo', ['model', 'tools'])).toBeUndefined();
  });
});
