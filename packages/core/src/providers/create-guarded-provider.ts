import { TwinError } from '../errors/twin-error';
import type { StreamPart } from '../protocol/stream-part';
import type { TokenCounter } from './estimate-usage';
import { guardProviderParts, guardProviderStream, type GuardProviderStreamOptions } from './guard-provider-stream';
import type { Provider, ProviderRequest, ProviderStreamOptions } from './provider';

/** What {@link createGuardedProvider} takes from an adapter's options. */
export interface GuardedProviderOptions {
  /** Model used when a request names none. */
  defaultModel?: string;
  /** Tokenizer for estimated usage (see {@link guardProviderStream}). */
  countTokens?: TokenCounter;
}

/**
 * An adapter's raw stream: batches of parts (one per network read) for a request whose model is
 * resolved. It may throw; {@link guardProviderStream} turns every throw into an `error` part.
 */
export type RawProviderStream = (request: ProviderRequest, model: string, signal: AbortSignal | undefined) => AsyncIterable<StreamPart[]>;

/**
 * The {@link Provider} shell every HTTP adapter shares: resolves the model (request, else the
 * default; neither is an `invalid_request` error part, never a throw from `stream()`) and runs the
 * adapter's raw batches through {@link guardProviderStream} (or, pushed, {@link guardProviderParts}),
 * which enforces the Provider contract.
 */
export function createGuardedProvider(name: string, options: GuardedProviderOptions, raw: RawProviderStream): Provider {
  const source = (request: ProviderRequest, streamOptions: ProviderStreamOptions) => {
    const model = request.model ?? options.defaultModel;
    return model ? raw(request, model, streamOptions.signal) : missingModel(name);
  };
  const guardOptions = (request: ProviderRequest, streamOptions: ProviderStreamOptions): GuardProviderStreamOptions => ({
    provider: name,
    request,
    signal: streamOptions.signal,
    countTokens: options.countTokens,
  });
  return {
    name,
    ...(options.defaultModel ? { defaultModel: options.defaultModel } : {}),
    stream(request: ProviderRequest, streamOptions: ProviderStreamOptions = {}) {
      return guardProviderStream(source(request, streamOptions), guardOptions(request, streamOptions));
    },
    streamParts(request, streamOptions, onParts) {
      return guardProviderParts(source(request, streamOptions), guardOptions(request, streamOptions), onParts);
    },
  };
}

// A generator, so the error surfaces while the stream is read, as an `error` part, like any other failure.
// eslint-disable-next-line require-yield -- it only fails
async function* missingModel(provider: string): AsyncGenerator<StreamPart[]> {
  throw new TwinError('invalid_request', `No model given for ${provider} and it has no default model.`, { provider });
}
