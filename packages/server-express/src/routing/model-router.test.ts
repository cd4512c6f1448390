import { createSimulatedProvider, type Provider, type ProviderAttempt, type StreamPart } from '@twin/core';
import { describe, expect, it } from 'vitest';
import { createModelRouter } from './model-router';
import { parseRoutingConfig } from './routing-config';

const instant = { sleep: async () => undefined };

function base(...providers: Provider[]): Map<string, Provider> {
  return new Map(providers.map((p) => [p.name, p]));
}

async function collect(provider: Provider, model: string, attempts: ProviderAttempt[] = []): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of provider.stream({ model, messages: [{ role: 'user', content: 'hi' }] }, { onAttempt: (a) => attempts.push(a) })) parts.push(part);
  return parts;
}

describe('parseRoutingConfig', () => {
  it('names the path in the file of an invalid value, never the value', () => {
    expect(() => parseRoutingConfig({ models: { fast: { fallback: ['openai/gpt-4o', 'no-slash'] } } }, 'twin.yaml')).toThrow(/twin\.yaml: models\.fast\.fallback\.1: must be "provider\/model"/);
    expect(() => parseRoutingConfig({ providers: { x: { type: 'openai', apiKey: 'sk-secret' } } })).toThrow(/providers\.x: Unrecognized key/);
    expect(() => parseRoutingConfig({ providers: { x: { type: 'openai', apiKey: 'sk-secret' } } })).not.toThrow(/sk-secret/);
  });
});

describe('createModelRouter', () => {
  const primary = createSimulatedProvider({ name: 'primary', tokensPerSecond: 0, env: instant, failure: { kind: 'error-before-first-token', code: 'provider_unavailable' } });
  const backup = createSimulatedProvider({ name: 'backup', tokensPerSecond: 0, env: instant, text: 'from backup' });

  it('resolves an alias to a fallback chain that reports the skipped provider and serves from the next', async () => {
    const router = createModelRouter({ base: base(primary, backup), config: parseRoutingConfig({ models: { fast: ['primary/m1', 'backup/m2'] } }) });
    const resolved = router.resolve({ model: 'fast' });
    expect(resolved).toMatchObject({ alias: 'fast', model: 'm1', chain: ['primary/m1', 'backup/m2'] });
    const attempts: ProviderAttempt[] = [];
    const parts = await collect(resolved.provider, resolved.model, attempts);
    expect(attempts.map((a) => [a.provider, a.model, a.outcome, a.error?.code])).toEqual([
      ['primary', 'm1', 'skipped', 'provider_unavailable'],
      ['backup', 'm2', 'served', undefined],
    ]);
    expect(parts.find((p) => p.type === 'response-metadata')).toMatchObject({ provider: 'backup' });
    expect(parts.at(-1)!.type).toBe('finish');
  });

  it('resolves provider/model, a bare model on the default provider, and an explicit provider', () => {
    const router = createModelRouter({ base: base(primary, backup), config: parseRoutingConfig({ defaultProvider: 'backup' }) });
    expect(router.resolve({ model: 'primary/gpt-x' })).toMatchObject({ model: 'gpt-x', chain: ['primary/gpt-x'] });
    expect(router.resolve({ model: 'primary/gpt-x' }).provider.name).toBe('primary');
    expect(router.resolve({ model: 'meta/llama' })).toMatchObject({ model: 'meta/llama', chain: ['backup/meta/llama'] });
    expect(router.resolve({ provider: 'primary', model: 'backup/x' })).toMatchObject({ model: 'backup/x' });
    expect(router.resolve({}).model).toBe('sim-1');
    expect(() => router.resolve({ provider: 'nope' })).toThrow(/Unknown provider "nope"/);
  });

  it('fails on an alias naming an unknown provider, naming the path', () => {
    expect(() => createModelRouter({ base: base(primary), config: parseRoutingConfig({ models: { fast: { fallback: ['primary/a', 'ghost/b'] } } }) })).toThrow(
      /models\.fast\.fallback\.1: "ghost" is not a configured provider/,
    );
  });

  it('builds a provider declared in the file, its key read from the named variable only', () => {
    const config = parseRoutingConfig({ providers: { local: { type: 'openai', baseURL: 'http://127.0.0.1:1/v1', apiKeyEnv: 'LOCAL_KEY' } } });
    expect(() => createModelRouter({ base: base(primary), config })).toThrow(/providers\.local\.apiKeyEnv: the environment variable LOCAL_KEY is not set/);
    const router = createModelRouter({ base: base(primary), config, secrets: { LOCAL_KEY: 'k' } });
    expect(router.providerNames).toEqual(['primary', 'local']);
  });

  it("has the file's HTTP providers estimate usage their upstream does not report with the counter it is given (the server's, not a second table)", async () => {
    const body = ['data: {"choices":[{"index":0,"delta":{"content":"hello there"}}]}', 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}', 'data: [DONE]'].map((l) => `${l}\n\n`).join('');
    const fetch = async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    const counted: string[] = [];
    const config = parseRoutingConfig({ providers: { local: { type: 'openai', baseURL: 'http://upstream.invalid/v1' } } });
    const router = createModelRouter({ base: base(backup), config, env: { fetch }, countTokens: (text) => (counted.push(text), 1_000) });
    const parts = await collect(router.provider('local'), 'gpt-4o-mini');
    expect(parts.find((p) => p.type === 'usage')).toMatchObject({ usage: { outputTokens: 1_000, estimated: true } });
    expect(counted).toContain('hello there');
  });

  it('keeps a provider whose config did not change across a reload (its breaker state survives)', () => {
    const config = parseRoutingConfig({ defaults: { circuitBreaker: { failureThreshold: 1 } } });
    const first = createModelRouter({ base: base(primary, backup), config });
    const second = createModelRouter({ base: base(primary, backup), config: parseRoutingConfig({ defaults: { circuitBreaker: { failureThreshold: 1 } }, models: { x: ['backup/m'] } }), previous: first });
    expect(second.provider('primary')).toBe(first.provider('primary'));
    const third = createModelRouter({ base: base(primary, backup), config: parseRoutingConfig({ defaults: { circuitBreaker: { failureThreshold: 2 } } }), previous: second });
    expect(third.provider('primary')).not.toBe(second.provider('primary'));
    expect(third.circuits()).toEqual({ primary: 'closed', backup: 'closed' });
  });
});
