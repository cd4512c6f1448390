import { safeParseJSON } from '../util/safe-parse-json';
import type { ProviderEnvironment } from './environment';
import { providerHttpError } from './provider-error';

export interface PostStreamInput {
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal?: AbortSignal;
  env: ProviderEnvironment;
}

/**
 * POSTs a JSON body and returns the streaming response body, or throws a typed error for a non-2xx
 * answer (status, `Retry-After` and the provider's error body are kept).
 */
export async function postForStream(input: PostStreamInput): Promise<ReadableStream<Uint8Array>> {
  const response = await input.env.fetch(input.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...input.headers },
    body: JSON.stringify(input.body),
    signal: input.signal,
  });
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    const parsed = safeParseJSON(text);
    throw providerHttpError({
      provider: input.provider,
      status: response.status,
      headers: response.headers,
      body: parsed.success ? parsed.value : text.slice(0, 500),
      now: input.env.now(),
    });
  }
  if (!response.body) throw providerHttpError({ provider: input.provider, status: response.status, body: 'empty response body' });
  return response.body;
}

/** Joins a base URL and a path without doubling or dropping the slash. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '');
}
