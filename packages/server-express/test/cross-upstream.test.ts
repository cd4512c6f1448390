import Anthropic from '@anthropic-ai/sdk';
import { createAnthropicProvider, createGeminiProvider, createOpenAIChatProvider } from '@twin/core';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, startTranscriptServer, type TranscriptServer } from '../../core/test/providers/transcript-server';
import type { OpenedDatabase } from '../src/index';
import { finalRecord } from './compat-test-server';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

// Real upstream adapters against a local server replaying the providers' recorded wire transcripts:
// whatever the upstream speaks, each door answers in its own format through Twin's normalised parts.
let db: OpenedDatabase;
let upstream: TranscriptServer;
let t: TestServer;
beforeAll(async () => {
  db = await openTestDatabase();
  upstream = await startTranscriptServer();
  t = await startTestServer(db, {
    providers: [
      createAnthropicProvider({ baseURL: upstream.url, apiKey: 'k' }),
      createOpenAIChatProvider({ baseURL: `${upstream.url}/v1`, apiKey: 'k' }),
      createGeminiProvider({ baseURL: upstream.url, apiKey: 'k' }),
    ],
  });
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
  await db?.close();
});

const openai = () => new OpenAI({ baseURL: `${t.url}/v1`, apiKey: t.keys.t1, maxRetries: 0 });
const anthropic = () => new Anthropic({ baseURL: t.url, apiKey: t.keys.t1, maxRetries: 0 });
const user = [{ role: 'user' as const, content: 'hi' }];

describe('any upstream through either door', () => {
  it('an Anthropic upstream with tool use answers the OpenAI SDK as OpenAI tool calls', async () => {
    upstream.script({ body: fixture('anthropic/tool-use.sse'), maxChunk: 7 });
    const completion = await openai().chat.completions.stream({ model: 'anthropic/claude-sonnet-4-5', messages: user }).finalChatCompletion();
    const message = completion.choices[0]!.message;
    expect(message.content).toBe('Let me check.');
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls!.map((c) => c.type === 'function' && [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['get_weather', { location: 'München', unit: 'c' }],
      ['get_time', { tz: 'Europe/Berlin' }],
      ['list_cities', {}],
    ]);
    // The upstream got Anthropic's own request, built by Twin's adapter from the OpenAI body.
    expect(upstream.requests.at(-1)!.url).toBe('/v1/messages');
  });

  it('an OpenAI upstream with parallel tool calls answers the Anthropic SDK as tool_use blocks', async () => {
    upstream.script({ body: fixture('openai-chat/tool-calls.sse') });
    const message = await anthropic().messages.stream({ model: 'openai/gpt-4o', max_tokens: 100, messages: user }).finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.map((b) => b.type === 'tool_use' && [b.name, b.input])).toEqual([
      ['get_weather', { location: 'Zürich' }],
      ['get_time', { tz: 'Europe/Zurich' }],
    ]);
    expect(message.usage).toMatchObject({ input_tokens: 82, output_tokens: 47 });
    expect((upstream.requests.at(-1)!.body as { max_completion_tokens: number }).max_completion_tokens).toBe(100);
  });

  it('a Gemini upstream answers a streamed OpenAI call; its usage and bill are the upstream-reported ones', async () => {
    upstream.script({ body: fixture('gemini/text.sse') });
    const stream = await openai().chat.completions.create({ model: 'google/gemini-2.5-flash', messages: user, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let last;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      last = chunk;
    }
    expect(text).toBe('Olá, mundo — 你好世界 🌍!');
    expect(last!.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 11, total_tokens: 20 });
    const record = await finalRecord(t, t.keys.t1, (last as unknown as { twin: { stream_id: string } }).twin.stream_id);
    expect(record).toMatchObject({ provider: 'google', inputTokens: 9, outputTokens: 11, usageEstimated: false });
  });

  it("an upstream's mid-stream error reaches each SDK as its own error type", async () => {
    upstream.script({ body: fixture('anthropic/mid-stream-error.sse') });
    const viaOpenAI = await (async () => {
      const stream = await openai().chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: user, stream: true });
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(viaOpenAI).toBeInstanceOf(OpenAI.APIError);
    expect((viaOpenAI as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'provider_overloaded', type: 'server_error' });

    upstream.script({ body: fixture('anthropic/mid-stream-error.sse') });
    const viaAnthropic = await anthropic().messages.stream({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 10, messages: user }).finalMessage().catch((e: unknown) => e);
    expect(viaAnthropic).toBeInstanceOf(Anthropic.APIError);
    expect((viaAnthropic as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'overloaded_error' } });

    // Not streamed: nothing was sent yet, so the HTTP status says it (503 → the SDK's InternalServerError).
    upstream.script({ body: fixture('anthropic/mid-stream-error.sse') });
    const whole = await openai().chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: user }).catch((e: unknown) => e);
    expect(whole).toBeInstanceOf(OpenAI.InternalServerError);
    expect((whole as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
  });
});
