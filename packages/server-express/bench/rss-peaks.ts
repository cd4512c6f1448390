/** Both peaks {@link sampleRssPeaks} reports. */
export interface RssPeaks {
  /** The whole run's peak: start-up, the TTFB phase's thousands of short streams, the load phase. */
  maxRss: number;
  /** The peak since the previous report, so the load bench reads the peak while every stream is open apart from the phases before it. */
  windowMaxRss: number;
}

/** Samples this process's RSS every `intervalMs` for the load bench's servers (Twin's and the bare peer). */
export function sampleRssPeaks(intervalMs = 200): { report(): RssPeaks; stop(): void } {
  let maxRss = 0;
  let windowMaxRss = 0;
  const sample = () => {
    const rss = process.memoryUsage().rss;
    maxRss = Math.max(maxRss, rss);
    windowMaxRss = Math.max(windowMaxRss, rss);
  };
  const timer = setInterval(sample, intervalMs);
  return {
    /** Samples once more and gives both peaks; the next window starts here. */
    report() {
      sample();
      const peaks = { maxRss, windowMaxRss };
      windowMaxRss = 0;
      return peaks;
    },
    stop: () => clearInterval(timer),
  };
}
