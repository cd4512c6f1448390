import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** How far behind the event loop runs, as last measured. */
export interface EventLoopLag {
  /** The 99th percentile of event-loop delay over the last window, in ms. */
  readonly ms: number;
  stop(): void;
}

/**
 * Measures event-loop delay with node:perf_hooks' histogram and keeps the p99 of each `windowMs`
 * window (or how late the window's own timer fired, if more). When the loop is this far behind,
 * every stream's next write is too: a new stream would only make all of them later.
 */
export function monitorEventLoopLag(windowMs = 250): EventLoopLag {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let ms = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    // This timer's own lateness too: a stall that just ended may not be in the histogram yet
    // (its sampling timer and this one come due together).
    const now = performance.now();
    const late = now - last - windowMs;
    last = now;
    ms = Math.max(late, histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0);
    histogram.reset();
  }, windowMs);
  timer.unref();
  return {
    get ms() {
      return ms;
    },
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
