import { describe, expect, it } from 'vitest';
import { TwinError } from '../errors/twin-error';
import type { StreamPart } from '../protocol/stream-part';
import { guardProviderParts, guardProviderStream, type GuardProviderStreamOptions } from './guard-provider-stream';

const request = { messages: [{ role: 'user' as const, content: 'hello there' }] };
const countTokens = (text: string) => Math.ceil(text.length / 4);
const usage = { inputTokens: 3, outputTokens: 2 };

/** A raw source of batches; `fail` throws after them, `abort` fires the signal after them. */
function source(batches: StreamPart[][], end: { fail?: unknown; abort?: AbortController } = {}): AsyncIterable<readonly StreamPart[]> {
  return (async function* () {
    for (const batch of batches) yield batch;
    end.abort?.abort();
    if (end.fail !== undefined) throw end.fail;
  })();
}

const text = (t: string): StreamPart => ({ type: 'text-delta', text: t });

/** Raw streams covering every way the contract steps in. */
const cases: Array<{ name: string; batches: StreamPart[][]; fail?: unknown; abort?: true }> = [
  { name: 'finish with usage', batches: [[text('a'), text('b')], [{ type: 'usage', usage }, { type: 'finish', reason: 'stop' }]] },
  { name: 'finish without usage (estimated)', batches: [[text('abcdef')], [{ type: 'finish', reason: 'stop' }], [text('after the end')]] },
  { name: 'the last usage wins', batches: [[{ type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } }, text('x')], [{ type: 'usage', usage }], [{ type: 'finish', reason: 'stop' }]] },
  { name: 'an error part gets usage', batches: [[text('partial')], [{ type: 'error', error: { code: 'provider_overloaded', message: 'busy', retryable: true } }]] },
  { name: 'truncated', batches: [[text('cut')]] },
  { name: 'a throw after content', batches: [[text('cut')]], fail: new TwinError('network_error', 'socket hang up') },
  { name: 'aborted', batches: [[text('stop')]], abort: true },
  { name: 'an empty batch', batches: [[], [text('a')], [{ type: 'finish', reason: 'stop' }]] },
];

async function pulled(c: (typeof cases)[number]): Promise<StreamPart[]> {
  const abort = c.abort ? new AbortController() : undefined;
  const options: GuardProviderStreamOptions = { provider: 'p', request, countTokens, ...(abort ? { signal: abort.signal } : {}) };
  const out: StreamPart[] = [];
  for await (const part of guardProviderStream(source(c.batches, { fail: c.fail, ...(abort ? { abort } : {}) }), options)) out.push(part);
  return out;
}

async function pushed(c: (typeof cases)[number]): Promise<StreamPart[][]> {
  const abort = c.abort ? new AbortController() : undefined;
  const options: GuardProviderStreamOptions = { provider: 'p', request, countTokens, ...(abort ? { signal: abort.signal } : {}) };
  const calls: StreamPart[][] = [];
  await guardProviderParts(source(c.batches, { fail: c.fail, ...(abort ? { abort } : {}) }), options, (parts) => calls.push([...parts]));
  return calls;
}

describe('guardProviderParts', () => {
  it.each(cases)('pushes exactly the parts guardProviderStream yields: $name', async (c) => {
    expect((await pushed(c)).flat()).toEqual(await pulled(c));
  });

  it('hands over each raw batch in one call, the held usage and the finish together', async () => {
    const calls = await pushed(cases[0]!);
    expect(calls).toEqual([[text('a'), text('b')], [{ type: 'usage', usage }, { type: 'finish', reason: 'stop' }]]);
  });

  it('passes a throw of the consumer on instead of turning it into an error part', async () => {
    const options: GuardProviderStreamOptions = { provider: 'p', request, countTokens };
    const calls: StreamPart[][] = [];
    const run = guardProviderParts(source([[text('a')], [text('b')]]), options, (parts) => {
      calls.push([...parts]);
      throw new Error('consumer bug');
    });
    await expect(run).rejects.toThrow('consumer bug');
    expect(calls).toEqual([[text('a')]]);
  });
});

describe('countTokensOfLength', () => {
  const reasoning = (t: string): StreamPart => ({ type: 'reasoning-delta', text: t });
  const more: Array<{ name: string; batches: StreamPart[][] }> = [
    { name: 'reasoning, text and a tool call, no usage', batches: [[reasoning('think hard'), text('answer ')], [{ type: 'tool-call-start', toolCallId: 'c', index: 0, toolName: 'get_time' }, { type: 'tool-call-delta', toolCallId: 'c', index: 0, argsTextDelta: '{"zone":"UTC"}' }], [{ type: 'finish', reason: 'tool-calls' }]] },
    { name: 'reasoning alone, cut off', batches: [[reasoning('r')]] },
    { name: 'provisional usage before content, then an error', batches: [[{ type: 'usage', usage: { inputTokens: 9, outputTokens: 1, reasoningTokens: 1 } }, reasoning('ab'), text('cdefg')], [{ type: 'error', error: { code: 'provider_error', message: 'x', retryable: false } }]] },
    { name: 'input reported, output not', batches: [[{ type: 'usage', usage: { inputTokens: 9 } }, text('abcde')], [{ type: 'finish', reason: 'stop' }]] },
  ];
  it.each([...cases, ...more])('estimates exactly what counting the kept text does: $name', async (c) => {
    const run = async (options: Omit<GuardProviderStreamOptions, 'provider' | 'request'>) => {
      const abort = 'abort' in c && c.abort ? new AbortController() : undefined;
      const out: StreamPart[] = [];
      const fail = 'fail' in c ? c.fail : undefined;
      for await (const part of guardProviderStream(source(c.batches, { fail, ...(abort ? { abort } : {}) }), { provider: 'p', request, ...options, ...(abort ? { signal: abort.signal } : {}) })) out.push(part);
      return out;
    };
    const byText = await run({ countTokens });
    expect(await run({ countTokensOfLength: (n) => Math.ceil(n / 4) })).toEqual(byText);
    // The estimate is the counter's: a different one changes it (the option is not ignored).
    const usageOf = (parts: StreamPart[]) => parts.map((p) => (p.type === 'usage' ? p.usage : p.type === 'error' ? p.usage : undefined)).find(Boolean);
    if (usageOf(byText)?.estimated) expect(usageOf(await run({ countTokens, countTokensOfLength: (n) => n * 10 }))).not.toEqual(usageOf(byText));
  });
});
