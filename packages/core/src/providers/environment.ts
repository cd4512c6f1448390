/**
 * What providers take from the environment. Everything is injectable so that tests and benchmarks
 * are deterministic and core runs in browsers, edge runtimes and Node alike (docs/design.md "Shape").
 */
export interface ProviderEnvironment {
  /** Used by fetch-based adapters (Gemini, Ollama, OpenAI/Anthropic without an SDK client). */
  fetch: typeof globalThis.fetch;
  /** Milliseconds since some epoch; only differences are used. */
  now: () => number;
  /**
   * Resolves after `ms` milliseconds, or as soon as `signal` aborts (it never rejects: callers check
   * `signal.aborted` themselves).
   */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1); used for retry jitter and for the ids of tool calls a provider sent without one. */
  random: () => number;
}

/**
 * A `sleep` that also takes a callback: `sleep.schedule(ms, signal, then)` calls `then` once, after
 * `ms` or as soon as `signal` aborts, as the promise would resolve, with whether it was the abort
 * that ended it; never synchronously, and never twice. A caller that sleeps once per token (the
 * simulated provider's pacing) uses it when its `sleep` has one: no promise, resolving function and
 * reaction made per sleep, and no reading of the signal to know why it woke.
 */
export interface SchedulingSleep {
  (ms: number, signal?: AbortSignal): Promise<void>;
  schedule(ms: number, signal: AbortSignal | undefined, then: (aborted: boolean) => void): void;
}

/** `sleep`'s callback form, when it has one (see {@link SchedulingSleep}). */
export function schedulingSleepOf(sleep: ProviderEnvironment['sleep']): SchedulingSleep | undefined {
  return typeof (sleep as Partial<SchedulingSleep>).schedule === 'function' ? (sleep as SchedulingSleep) : undefined;
}

/** `sleep` on top of `setTimeout`, cancellable through an AbortSignal. */
export function timerSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Fills what the caller left out from `globalThis` (fetch, Date.now, setTimeout, Math.random). */
export function resolveEnvironment(env: Partial<ProviderEnvironment> = {}): ProviderEnvironment {
  return {
    fetch: env.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: env.now ?? (() => Date.now()),
    sleep: env.sleep ?? timerSleep,
    random: env.random ?? Math.random,
  };
}
