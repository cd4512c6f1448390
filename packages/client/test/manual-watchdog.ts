import type { ClientTimers } from '@twin/client';

/**
 * Client timers whose heartbeat watchdog (the timer of `watchdogMs`) fires only when the test calls
 * `expire()`: a stall is declared when the test has seen it, never because a loaded machine was
 * slow to deliver bytes. Every other timer (the reconnect backoff) is a real one.
 */
export function manualWatchdog(watchdogMs: number): { timers: ClientTimers; expire(): boolean } {
  let armed: { callback: () => void } | undefined;
  return {
    timers: {
      setTimeout(callback, ms) {
        if (ms !== watchdogMs) return setTimeout(callback, ms);
        armed = { callback };
        return armed;
      },
      clearTimeout(handle) {
        // A stale manual handle is a plain object, which clearTimeout ignores.
        if (handle === armed) armed = undefined;
        else clearTimeout(handle as ReturnType<typeof setTimeout>);
      },
    },
    expire() {
      const fired = armed;
      armed = undefined;
      fired?.callback();
      return fired !== undefined;
    },
  };
}
