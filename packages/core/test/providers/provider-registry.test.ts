import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry, createSimulatedProvider, providerConfigFromEnv, TwinError } from '@twin/core';
import { collect, last, textOf } from './collect';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const request = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('provider registry', () => {
  it('defaults to the simulated provider when no key is configured', async () => {
    const registry = createProviderRegistry({ simulated: { text: 'offline', tokensPerSecond: Infinity } });
    expect(registry.defaultName).toBe('simulated');
    expect(registry.usingSimulated).toBe(true);
    expect(registry.names).toEqual(['simulated']);
    expect(textOf(await collect(registry.resolveProvider().stream(request)))).toBe('offline');
  });

  it('registers configured providers, defaults to the first real one, and streams from it', async () => {
    const registry = createProviderRegistry({
      openai: { apiKey: 'sk-test', baseURL: `${server.url}/v1` },
      ollama: { baseURL: server.url },
    });
    expect(registry.names).toEqual(['openai', 'ollama', 'simulated']);
    expect(registry.defaultName).toBe('openai');
    expect(registry.usingSimulated).toBe(false);
    server.script({ body: fixture('openai-chat/text.sse') });
    const parts = await collect(registry.resolveProvider().stream(request));
    expect(last(parts)).toMatchObject({ type: 'finish' });
    expect(server.requests.at(-1)!.body).toMatchObject({ model: 'gpt-4o-mini' });
  });

  it('has its HTTP adapters estimate usage their upstream does not report with the counter it is given', async () => {
    // An OpenAI-compatible server that streams text and no usage.
    const body = ['data: {"choices":[{"index":0,"delta":{"content":"hello there"}}]}', 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}', 'data: [DONE]'].map((l) => `${l}\n\n`).join('');
    const fetch = async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    const counted: string[] = [];
    const countTokens = (text: string) => (counted.push(text), 1_000);
    const registry = createProviderRegistry({ openai: { baseURL: 'http://upstream.invalid/v1', defaultModel: 'gpt-4o-mini' }, env: { fetch }, countTokens });
    const parts = await collect(registry.resolveProvider('openai').stream(request));
    expect(parts.find((p) => p.type === 'usage')).toMatchObject({ usage: { outputTokens: 1_000, estimated: true } });
    expect(counted).toContain('hello there');
  });

  it('uses a given SDK client, the Responses API on request, and custom providers', async () => {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const registry = createProviderRegistry({
      openai: { client, api: 'responses', defaultModel: 'gpt-4.1' },
      providers: [createSimulatedProvider({ name: 'mine', text: 'custom', tokensPerSecond: Infinity })],
      default: 'mine',
    });
    expect(textOf(await collect(registry.resolveProvider().stream(request)))).toBe('custom');
    server.script({ body: fixture('openai-responses/text.sse') });
    await collect(registry.resolveProvider('openai').stream(request));
    expect(server.requests.at(-1)!.url).toBe('/v1/responses');
  });

  it('an unknown provider name is an invalid_request error naming the configured ones', () => {
    const registry = createProviderRegistry();
    expect(() => registry.resolveProvider('nope')).toThrow(TwinError);
    expect(() => registry.resolveProvider('nope')).toThrow(/Configured providers: simulated/);
    expect(() => createProviderRegistry({ default: 'anthropic' })).toThrow(/not configured/);
  });

  it('reads config from environment variables and rejects a malformed URL without echoing secrets', () => {
    const config = providerConfigFromEnv({ ANTHROPIC_API_KEY: 'sk-ant-secret', OLLAMA_BASE_URL: 'http://127.0.0.1:11434', TWIN_DEFAULT_PROVIDER: 'ollama' });
    expect(config).toEqual({ anthropic: { apiKey: 'sk-ant-secret' }, ollama: { baseURL: 'http://127.0.0.1:11434' }, default: 'ollama' });
    expect(createProviderRegistry(config).defaultName).toBe('ollama');
    let message = '';
    try {
      providerConfigFromEnv({ OPENAI_API_KEY: 'sk-secret', OPENAI_BASE_URL: 'not a url' });
    } catch (error) {
      message = (error as Error).message;
      expect(error).toMatchObject({ code: 'config_invalid' });
    }
    expect(message).toContain('openai.baseURL');
    expect(message).not.toContain('sk-secret');
  });
});
