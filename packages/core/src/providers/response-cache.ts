import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { TwinError } from '../errors/twin-error';
import type { StreamPart } from '../protocol/stream-part';
import { resolveEnvironment, type ProviderEnvironment } from './environment';
import type { Provider, ProviderRequest, ProviderStreamOptions } from './provider';

/** Where cached streams live. Async so a shared store (Redis, Postgres) fits. */
export interface ResponseCacheStore {
  get(key: string): Promise<StreamPart[] | undefined> | StreamPart[] | undefined;
  set(key: string, parts: StreamPart[], ttlMs: number): Promise<void> | void;
}

/** JSON with object keys sorted at every level, so equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** sha256 (hex) of the normalised request and the provider it goes to. */
export function responseCacheKey(providerName: string, request: ProviderRequest): string {
  const normalised = {
    provider: providerName,
    model: request.model,
    messages: request.messages,
    tools: request.tools,
    maxTokens: request.maxTokens,
    temperature: request.temperature,
    stop: request.stop,
    providerOptions: request.providerOptions,
  };
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(normalised))));
}

/** An in-memory store: least recently used entries are dropped past `maxEntries`, expired ones on read. */
export function createMemoryResponseCacheStore(options: { maxEntries?: number; now?: () => number } = {}): ResponseCacheStore {
  const maxEntries = options.maxEntries ?? 1_000;
  const now = options.now ?? (() => Date.now());
  const entries = new Map<string, { parts: StreamPart[]; expiresAt: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (entry.expiresAt <= now()) return undefined;
      entries.set(key, entry);
      return entry.parts;
    },
    set(key, parts, ttlMs) {
      entries.delete(key);
      entries.set(key, { parts, expiresAt: now() + ttlMs });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}

export interface ResponseCacheOptions {
  /** Default: an in-memory LRU of 1,000 streams. */
  store?: ResponseCacheStore;
  /** Default 1 hour. */
  ttlMs?: number;
  /** Called with the key when a stream is replayed instead of calling the provider. */
  onHit?: (key: string) => void;
  env?: Partial<ProviderEnvironment>;
}

/**
 * Opt-in response cache: a request at temperature 0 identical to an earlier one (same provider,
 * model, messages, tools, limits, stop, provider options) replays the stored stream instead of
 * calling the provider. Only streams that finished are stored, never failed or aborted ones. Other
 * temperatures are never cached: sampling is the point of them.
 *
 * A replay carries the original usage (what the answer cost when it was generated); use `onHit`
 * to bill replays differently.
 */
export function withResponseCache(provider: Provider, options: ResponseCacheOptions = {}): Provider {
  const env = resolveEnvironment(options.env);
  const store = options.store ?? createMemoryResponseCacheStore({ now: env.now });
  const ttlMs = options.ttlMs ?? 3_600_000;

  async function* stream(request: ProviderRequest, streamOptions: ProviderStreamOptions = {}): AsyncGenerator<StreamPart> {
    if (request.temperature !== 0) {
      yield* provider.stream(request, streamOptions);
      return;
    }
    const key = responseCacheKey(provider.name, { ...request, model: request.model ?? provider.defaultModel });
    const cached = await store.get(key);
    if (cached) {
      options.onHit?.(key);
      for (const part of cached) {
        if (streamOptions.signal?.aborted) {
          const aborted = new TwinError('aborted', `The replay of a cached ${provider.name} stream was aborted.`, { provider: provider.name, retryable: false });
          yield { type: 'error', error: aborted.toPayload() };
          return;
        }
        yield part;
      }
      return;
    }
    const parts: StreamPart[] = [];
    for await (const part of provider.stream(request, streamOptions)) {
      parts.push(part);
      yield part;
      if (part.type === 'finish') await store.set(key, parts, ttlMs);
    }
  }

  return { name: provider.name, ...(provider.defaultModel ? { defaultModel: provider.defaultModel } : {}), stream };
}
