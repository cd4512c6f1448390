import type { ReconnectOptions } from './backoff';
import type { ChunkOpenerFactory } from './chunk-opener';

/** Where and how to open a stream. Everything but `url` has a default. */
export interface StreamOptions {
  /** The stream endpoint, e.g. `https://api.example.com/api/stream`. */
  url: string | URL;
  /** Default: `POST` when `body` is set, else `GET`. */
  method?: 'GET' | 'POST';
  /** JSON body of a `POST` (a `StreamRequest`: messages, model, options...). */
  body?: unknown;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** API key, sent as `Authorization: Bearer <key>` (or in `apiKeyHeader`). Never logged or reported. */
  apiKey?: string;
  /** Header that carries `apiKey` as-is instead of `Authorization: Bearer` (e.g. `x-api-key`). */
  apiKeyHeader?: string;
  /** The fetch to use (default `globalThis.fetch`); pass one for tests, proxies or old runtimes. */
  fetch?: typeof fetch;
  /**
   * Opens sealed (compressed and/or encrypted) chunks. Without it a sealed chunk ends the stream with a
   * `decode_failed` error. Opt-in so codecs and ciphers stay out of bundles that do not need them.
   */
  decode?: ChunkOpenerFactory;
  /**
   * Refuse content sent in clear. Set it whenever the app expects end-to-end encryption: otherwise a
   * proxy between you and the server could inject a plain chunk that no cipher ever checks (a
   * downgrade). A plain `chunk` or `resync` then ends the stream with a `decrypt_failed` error.
   */
  requireEncryption?: boolean;
  /** Reconnect policy, or `false` to fail on the first lost connection. */
  reconnect?: ReconnectOptions | false;
  /**
   * Longest silence (no byte, not even a heartbeat comment) before the connection counts as dead and
   * is replaced by a resumed one. Default 45,000 ms (three of the server's 15 s heartbeats); 0 disables.
   */
  heartbeatTimeoutMs?: number;
  /**
   * The request that resumes stream `streamId` after a lost connection (`Last-Event-ID` is added to the
   * headers in any case). Default: `GET <url>?streamId=<id>`.
   */
  resumeRequest?: (context: { url: string; streamId: string; lastEventId: string }) => { url: string; method?: 'GET' | 'POST'; body?: unknown };
  /** Random source for backoff jitter (tests pass a fixed one). Default `Math.random`. */
  random?: () => number;
  /** The clock (default `Date.now`). */
  now?: () => number;
  /** The timers of the heartbeat watchdog and the reconnect backoff (tests pass fake ones). Default: the global ones. */
  timers?: ClientTimers;
}

/** Timer functions, as `setTimeout`/`clearTimeout` (a handle is whatever `setTimeout` returned). */
export interface ClientTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The global timers, called unbound-safe (a browser's `setTimeout` refuses a foreign `this`). */
export const GLOBAL_TIMERS: ClientTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
};
