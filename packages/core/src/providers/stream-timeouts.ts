import { TwinError } from '../errors/twin-error';
import { isContentPart, type StreamPart } from '../protocol/stream-part';
import { resolveEnvironment, type ProviderEnvironment } from './environment';
import { linkedAbortController } from './link-abort-signal';
import type { Provider, ProviderRequest, ProviderStreamOptions } from './provider';

export interface StreamTimeoutOptions {
  /** No content part within this many ms of the request → `provider_timeout` (retryable). */
  firstTokenTimeoutMs?: number;
  /** No part at all for this many ms once content flows → `stream_stalled` (retryable). */
  idleTimeoutMs?: number;
  env?: Partial<ProviderEnvironment>;
}

/**
 * Time limits for a provider stream. When one is exceeded the upstream request is aborted (its
 * connection closed) and the stream ends with a typed error carrying the usage so far (estimated
 * when the provider sent none). One watchdog timer per stream, re-armed only when it fires, so
 * the limits cost nothing per part.
 */
export function withTimeouts(provider: Provider, options: StreamTimeoutOptions): Provider {
  const env = resolveEnvironment(options.env);

  async function* stream(request: ProviderRequest, streamOptions: ProviderStreamOptions = {}): AsyncGenerator<StreamPart> {
    const { controller, dispose } = linkedAbortController(streamOptions.signal);
    const stopWatchdog = new AbortController();
    let lastPartAt = env.now();
    let contentSeen = false;
    let expired: TwinError | undefined;

    const limit = () => (contentSeen ? options.idleTimeoutMs : options.firstTokenTimeoutMs);
    const watchdog = (async () => {
      for (;;) {
        const ms = limit();
        if (ms === undefined) {
          // Only the other limit applies; wait for the phase to change (checked again after a while).
          if (options.idleTimeoutMs === undefined && contentSeen) return;
          await env.sleep(options.firstTokenTimeoutMs ?? options.idleTimeoutMs ?? 1_000, stopWatchdog.signal);
        } else {
          const remaining = lastPartAt + ms - env.now();
          if (remaining > 0) await env.sleep(remaining, stopWatchdog.signal);
        }
        if (stopWatchdog.signal.aborted) return;
        const current = limit();
        if (current !== undefined && env.now() - lastPartAt >= current) {
          expired = contentSeen
            ? new TwinError('stream_stalled', `${provider.name} sent nothing for ${current} ms.`, { provider: provider.name })
            : new TwinError('provider_timeout', `${provider.name} sent no content within ${current} ms.`, { provider: provider.name });
          controller.abort(expired);
          return;
        }
      }
    })();

    try {
      for await (const part of provider.stream(request, { ...streamOptions, signal: controller.signal })) {
        lastPartAt = env.now();
        if (!contentSeen && isContentPart(part)) contentSeen = true;
        if (part.type === 'error' && expired && part.error.code === 'aborted') {
          // The abort was ours: report why, keeping the usage the inner stream settled.
          yield { type: 'error', error: expired.toPayload(), ...(part.usage ? { usage: part.usage } : {}) };
          return;
        }
        yield part;
      }
    } finally {
      stopWatchdog.abort();
      await watchdog;
      dispose();
    }
  }

  return { name: provider.name, ...(provider.defaultModel ? { defaultModel: provider.defaultModel } : {}), stream };
}
