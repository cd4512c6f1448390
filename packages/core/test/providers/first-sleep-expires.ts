import type { ProviderEnvironment } from '@twin/core';

/**
 * A provider environment on a virtual clock for time-limit tests: the FIRST timed sleep ends (its
 * time passes at once) as soon as `ready()` holds — say, the slow request reached its server — and
 * every later sleep lasts until its signal aborts. Which attempt times out is decided by the test,
 * never by how fast a loaded machine answers the next one.
 */
export function firstSleepExpires(ready: () => boolean): Pick<ProviderEnvironment, 'now' | 'sleep'> {
  let now = 0;
  let sleeps = 0;
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
        if (sleeps++ > 0) return;
        const expireWhenReady = () => {
          if (signal?.aborted) return;
          if (!ready()) return void setTimeout(expireWhenReady, 5);
          now += ms;
          resolve();
        };
        expireWhenReady();
      }),
  };
}
