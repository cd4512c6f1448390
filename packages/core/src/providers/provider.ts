import type { TwinErrorPayload } from '../errors/twin-error';
import type { StreamPart } from '../protocol/stream-part';
import type { StreamRequest } from '../protocol/stream-request';

/**
 * The provider-neutral request every adapter takes: the fields of `streamRequestSchema` from `model`
 * to `providerOptions`. `model` may be omitted when the provider has a `defaultModel`.
 *
 * `providerOptions` is merged into the provider's own request body untouched (after Twin's fields),
 * so a caller can reach any provider feature Twin does not model (e.g. `{ reasoning_effort: 'low' }`
 * for OpenAI, `{ thinking: { type: 'enabled', budget_tokens: 1024 } }` for Anthropic).
 */
export type ProviderRequest = Pick<
  StreamRequest,
  'model' | 'messages' | 'tools' | 'maxTokens' | 'temperature' | 'stop' | 'providerOptions'
>;

/** One provider tried while serving a stream (reported by fallback chains, see {@link ProviderStreamOptions.onAttempt}). */
export interface ProviderAttempt {
  provider: string;
  model: string | undefined;
  /** `served`: this provider produced the stream; `skipped`: it failed before its first content part and the next one was tried. */
  outcome: 'served' | 'skipped';
  /** Why it was skipped (the typed error it failed with). */
  error?: TwinErrorPayload;
}

/** Per-call options of {@link Provider.stream}. */
export interface ProviderStreamOptions {
  /**
   * Cancels the upstream request: the adapter aborts its HTTP request (the provider's connection is
   * closed) and the stream ends with an `error` part of code `aborted`, carrying the usage so far
   * (estimated with a tokenizer when the provider reported none).
   */
  signal?: AbortSignal;
  /** Called once per provider tried by a fallback chain (and once by single providers wrapped in one). */
  onAttempt?: (attempt: ProviderAttempt) => void;
}

/**
 * A source of LLM output in Twin's normalised form.
 *
 * Contract every implementation keeps (the stream session, metering and billing rely on it):
 * - `stream()` never throws and never rejects: every failure, including a bad request, becomes an
 *   `error` part whose payload has a stable `code` and `retryable`.
 * - The sequence is `response-metadata`? → content parts → `usage`? → `finish`, or it ends with one
 *   `error` part instead of `finish`. Exactly one of `finish` / `error` comes last.
 * - Usage follows `protocol/usage.ts`: `inputTokens` includes cache reads and writes, `outputTokens`
 *   includes reasoning, unknown is `undefined`. When the provider reports no usage (abort, cut
 *   connection, a server that omits it) the counts are estimated with a tokenizer and flagged
 *   `estimated: true`, so every stream can be billed.
 * - A stream that ends without the provider's terminal event is reported as an `error` of code
 *   `stream_truncated` (retryable), never as a success.
 */
export interface Provider {
  /** Stable name (`openai`, `anthropic`, `google`, `ollama`, `simulated`, or your own). */
  readonly name: string;
  /** Model used when a request names none. */
  readonly defaultModel?: string;
  /** True for the offline simulated provider: streams and receipts then say the answer is simulated. */
  readonly simulated?: boolean;
  stream(request: ProviderRequest, options?: ProviderStreamOptions): AsyncIterable<StreamPart>;
  /**
   * Optional push form of {@link Provider.stream}: the same parts under the same contract, handed
   * to `onParts` a batch at a time (one call per network read or timer tick) instead of one promise
   * per part, for servers that run thousands of streams. Resolves once the terminal part (`finish`
   * or `error`) was handed over and never rejects (unless `onParts` throws). There is no `return()`:
   * the consumer stops it through `options.signal`, and ignores what still arrives. A wrapper that
   * changes parts must implement it too, or leave it out (consumers then use `stream`).
   */
  streamParts?(request: ProviderRequest, options: ProviderStreamOptions, onParts: (parts: readonly StreamPart[]) => void): Promise<void>;
}
