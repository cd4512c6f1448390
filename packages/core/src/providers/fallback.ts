import type { TwinErrorPayload } from '../errors/twin-error';
import type { ErrorPart, StreamPart } from '../protocol/stream-part';
import { resolveEnvironment, type ProviderEnvironment } from './environment';
import { linkedAbortController } from './link-abort-signal';
import type { Provider, ProviderAttempt, ProviderRequest, ProviderStreamOptions } from './provider';
import { readStreamHead } from './stream-head';

/** One link of a fallback chain. */
export interface FallbackEntry {
  provider: Provider;
  /**
   * Model to ask this provider for. The first entry defaults to the request's model; later entries
   * default to their provider's `defaultModel` (a model name rarely means anything to another provider).
   */
  model?: string;
}

export interface FallbackOptions {
  /** Name of the chain as a provider. Default `fallback`. */
  name?: string;
  /** Give up on a provider that sends no content part within this many ms (and try the next). */
  firstTokenTimeoutMs?: number;
  /**
   * Whether an error before the first content part moves on to the next provider. Default: the
   * error is retryable (rate limit, overload, 5xx, timeout, network, open circuit, cut stream).
   * Caller mistakes (invalid request, auth, content filter) do not switch: another provider would
   * most likely refuse them too, and a quiet switch would hide a configuration error.
   */
  shouldFallback?: (error: TwinErrorPayload) => boolean;
  env?: Partial<ProviderEnvironment>;
}

/**
 * A provider that tries an ordered list of providers. It switches only while nothing has been
 * sent: once a provider has produced a content part it is committed to, and a later failure is an
 * `error` part with the usage so far (switching then would repeat text).
 *
 * The provider that served is named in the `response-metadata` part (`provider`), and every
 * provider tried is reported through `options.onAttempt` (`served` or `skipped` with its error).
 */
export function createFallbackProvider(entries: FallbackEntry[], options: FallbackOptions = {}): Provider {
  if (entries.length === 0) throw new TypeError('createFallbackProvider needs at least one provider.');
  const env = resolveEnvironment(options.env);
  const shouldFallback = options.shouldFallback ?? ((error: TwinErrorPayload) => error.retryable);
  const first = entries[0]!;

  async function* stream(request: ProviderRequest, streamOptions: ProviderStreamOptions = {}): AsyncGenerator<StreamPart> {
    const skipped: Array<{ provider: string; error: TwinErrorPayload }> = [];
    let lastError: ErrorPart | undefined;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const name = entry.provider.name;
      const model = entry.model ?? (i === 0 ? request.model : undefined);
      const { controller, dispose } = linkedAbortController(streamOptions.signal);
      let rest: AsyncIterator<StreamPart> | undefined;
      let finished = false;
      try {
        const attemptRequest: ProviderRequest = { ...request, model };
        const head = await readStreamHead(entry.provider.stream(attemptRequest, { signal: controller.signal }), {
          provider: name,
          firstTokenTimeoutMs: options.firstTokenTimeoutMs,
          env,
          onTimeout: () => controller.abort(),
        });
        rest = head.rest;
        const deciding = head.head[head.head.length - 1]!;
        if (head.outcome === 'error' && deciding.type === 'error') {
          lastError = deciding;
          const canSwitch = !streamOptions.signal?.aborted && i < entries.length - 1 && shouldFallback(deciding.error);
          if (canSwitch) {
            skipped.push({ provider: name, error: deciding.error });
            streamOptions.onAttempt?.({ provider: name, model: model ?? entry.provider.defaultModel, outcome: 'skipped', error: deciding.error });
            continue;
          }
        }
        // Committed to this provider: report it, name it in the metadata, pass everything through.
        const attempt: ProviderAttempt = { provider: name, model: model ?? entry.provider.defaultModel, outcome: 'served' };
        if (head.outcome === 'error' && deciding.type === 'error') attempt.error = deciding.error;
        streamOptions.onAttempt?.(attempt);
        let metadataSent = false;
        for (const part of head.head) {
          if (part.type === 'response-metadata') {
            metadataSent = true;
            yield { ...part, provider: name };
          } else {
            if (!metadataSent) {
              metadataSent = true;
              yield { type: 'response-metadata', provider: name, ...(attempt.model ? { model: attempt.model } : {}) };
            }
            if (part.type === 'error' && skipped.length) yield withSkipped(part, skipped);
            else yield part;
          }
        }
        if (head.outcome !== 'content') return;
        for (;;) {
          const next = await head.rest.next();
          if (next.done) {
            finished = true;
            return;
          }
          yield next.value;
        }
      } finally {
        // A consumer that stops early (break, abort) must close the upstream request too.
        if (rest && !finished) await rest.return?.();
        dispose();
      }
    }
    // Only reachable when the loop ran out while switching, which the last entry never does.
    if (lastError) yield lastError;
  }

  return {
    name: options.name ?? 'fallback',
    ...(first.provider.defaultModel || first.model ? { defaultModel: first.model ?? first.provider.defaultModel } : {}),
    stream,
  };
}

/** The final error names what was tried before, so "all providers failed" is diagnosable. */
function withSkipped(part: ErrorPart, skipped: Array<{ provider: string; error: TwinErrorPayload }>): ErrorPart {
  const tried = skipped.map((s) => `${s.provider}: ${s.error.code}`).join(', ');
  return { ...part, error: { ...part.error, message: `${part.error.message} (after falling back from ${tried})` } };
}
