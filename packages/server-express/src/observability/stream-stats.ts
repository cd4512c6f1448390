import type { StreamStats } from '../admin/admin-api-types';

/** One finished stream, as the stats window keeps it. */
export interface FinishedSample {
  tenantId: string;
  at: number;
  ttftMs: number | undefined;
  durationMs: number;
  bytes: number;
  events: number;
  endReason: string;
}

function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/**
 * A bounded window of recently finished streams (the newest `capacity`), from which the stats
 * endpoint computes rates and percentiles on demand. Memory is fixed: older samples fall out.
 */
export class StreamStatsWindow {
  private readonly samples: FinishedSample[] = [];
  private next = 0;

  constructor(
    private readonly capacity = 10_000,
    readonly windowMs = 5 * 60_000,
  ) {}

  record(sample: FinishedSample): void {
    if (this.samples.length < this.capacity) this.samples.push(sample);
    else this.samples[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Finished streams since `since` (oldest kept: the newest `capacity`), of one tenant or everyone. */
  samplesSince(since: number, tenantId: string | undefined): FinishedSample[] {
    return this.samples.filter((s) => s.at >= since && (tenantId === undefined || s.tenantId === tenantId));
  }

  /**
   * Counts over the finished streams kept (the newest `capacity`) that ended at or after `since`:
   * what the operational alerts compare with their thresholds.
   */
  summarise(since: number): { finished: number; failed: number; dropped: number; ttftCount: number; ttftSumMs: number } {
    let finished = 0;
    let failed = 0;
    let dropped = 0;
    let ttftCount = 0;
    let ttftSumMs = 0;
    for (const s of this.samples) {
      if (s.at < since) continue;
      finished++;
      if (s.endReason === 'error' || s.endReason === 'timeout' || s.endReason === 'interrupted') failed++;
      if (s.endReason === 'client_abort') dropped++;
      if (s.ttftMs !== undefined) {
        ttftCount++;
        ttftSumMs += s.ttftMs;
      }
    }
    return { finished, failed, dropped, ttftCount, ttftSumMs };
  }

  /** Stats over the window, for one tenant or (`undefined`) everyone. */
  compute(now: number, tenantId: string | undefined, live: { activeStreams: number; openConnections: number }): StreamStats {
    const since = now - this.windowMs;
    const rows = this.samplesSince(since, tenantId);
    const ttfts = rows.map((r) => r.ttftMs).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    const n = rows.length;
    const count = (reason: string) => rows.filter((r) => r.endReason === reason).length;
    const events = rows.reduce((a, r) => a + r.events, 0);
    const bytes = rows.reduce((a, r) => a + r.bytes, 0);
    const seconds = this.windowMs / 1000;
    return {
      windowMs: this.windowMs,
      activeStreams: live.activeStreams,
      openConnections: live.openConnections,
      finished: n,
      throughput: { eventsPerSecond: events / seconds, bytesPerSecond: bytes / seconds },
      latency: { p50: percentile(ttfts, 50), p90: percentile(ttfts, 90), p95: percentile(ttfts, 95), p99: percentile(ttfts, 99) },
      completionRate: n ? count('complete') / n : 0,
      errorRate: n ? (count('error') + count('timeout') + count('interrupted')) / n : 0,
      abortRate: n ? count('client_abort') / n : 0,
    };
  }
}
