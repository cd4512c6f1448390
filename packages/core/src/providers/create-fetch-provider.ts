import type { StreamPart } from '../protocol/stream-part';
import { createGuardedProvider, type GuardedProviderOptions } from './create-guarded-provider';
import { resolveEnvironment, type ProviderEnvironment } from './environment';
import { joinUrl, postForStream } from './fetch-json-stream';
import type { Provider, ProviderRequest } from './provider';

/** The options every HTTP adapter takes; each adapter documents its own defaults. */
export interface FetchProviderOptions extends GuardedProviderOptions {
  /** Where the adapter sends its requests (each adapter has a default). */
  baseURL?: string;
  /** Extra request headers, sent after the adapter's own (so one of the same name replaces it). */
  headers?: Record<string, string>;
  /** The provider's name in records, metrics and errors (each adapter has a default). */
  name?: string;
  /** fetch, clock, sleep and randomness; what is left out comes from `globalThis`. */
  env?: Partial<ProviderEnvironment>;
}

/** What an adapter's raw stream gets from {@link createFetchProvider}. */
export interface FetchProviderContext {
  /** The provider's name: the option, else the adapter's default. */
  name: string;
  env: ProviderEnvironment;
  /**
   * POSTs `body` as JSON to `path` under the base URL, with `headers` and then the option's
   * headers; the streaming body, or a typed error for a non-2xx answer.
   */
  post(path: string, headers: Record<string, string>, body: unknown, signal: AbortSignal | undefined): Promise<ReadableStream<Uint8Array>>;
}

/** An HTTP adapter's raw stream (see {@link createGuardedProvider}), with its {@link FetchProviderContext}. */
export type RawFetchProviderStream = (
  request: ProviderRequest,
  model: string,
  signal: AbortSignal | undefined,
  context: FetchProviderContext,
) => AsyncIterable<StreamPart[]>;

/**
 * The shell every HTTP adapter shares: resolves the name, environment and base URL from the options
 * (else the adapter's defaults), gives the raw stream a POST to the provider, and guards it
 * ({@link createGuardedProvider}). The adapter keeps only what is its own: path, auth header, body
 * and event mapping.
 */
export function createFetchProvider(options: FetchProviderOptions, defaults: { name: string; baseURL: string }, raw: RawFetchProviderStream): Provider {
  const name = options.name ?? defaults.name;
  const env = resolveEnvironment(options.env);
  const baseURL = options.baseURL ?? defaults.baseURL;
  const context: FetchProviderContext = {
    name,
    env,
    post: (path, headers, body, signal) => postForStream({ provider: name, url: joinUrl(baseURL, path), headers: { ...headers, ...options.headers }, body, signal, env }),
  };
  return createGuardedProvider(name, options, (request, model, signal) => raw(request, model, signal, context));
}
