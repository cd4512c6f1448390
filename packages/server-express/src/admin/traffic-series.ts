import type { ConnectionSample } from '../observability/connection-samples';
import type { NetworkSample } from '../observability/network-signals';
import type { FinishedSample } from '../observability/stream-stats';
import type { TrafficBucket, TrafficSeries } from './admin-api-types';


function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summarise(finished: readonly FinishedSample[], network: readonly NetworkSample[], ms: number): Omit<TrafficBucket, 'at' | 'streams' | 'connections'> {
  const durations = finished.map((s) => s.durationMs).sort((a, b) => a - b);
  const ttfts = finished.map((s) => s.ttftMs).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
  const seconds = ms / 1000;
  const stalls = network.filter((n) => n.kind === 'stall');
  return {
    finished: finished.length,
    completed: finished.filter((s) => s.endReason === 'complete').length,
    // Same classes as /api/stream/stats: timeouts and interruptions are errors, client aborts are not.
    errors: finished.filter((s) => s.endReason === 'error' || s.endReason === 'timeout' || s.endReason === 'interrupted').length,
    aborts: finished.filter((s) => s.endReason === 'client_abort').length,
    eventsPerSecond: finished.reduce((a, s) => a + s.events, 0) / seconds,
    bytesPerSecond: finished.reduce((a, s) => a + s.bytes, 0) / seconds,
    latency: { min: durations[0], avg: mean(durations), p95: percentile(durations, 95), p99: percentile(durations, 99) },
    ttft: { avg: mean(ttfts), p95: percentile(ttfts, 95) },
    drops: network.filter((n) => n.kind === 'drop').length,
    resumes: network.filter((n) => n.kind === 'resume').length,
    stalls: stalls.length,
    stallMs: stalls.reduce((a, n) => a + (n.ms ?? 0), 0),
  };
}

/**
 * Buckets finished streams (by end time) and network signals over `[now - windowMs, now)`.
 * Throughput is counted when a stream ends (its events and bytes), so a long stream shows in the
 * bucket it ended in: the live table shows what is running now.
 */
export function buildTrafficSeries(input: {
  finished: readonly FinishedSample[];
  network: readonly NetworkSample[];
  /** Periodic samples of running streams and connections (one tenant's, or several tenants' added per instant). */
  connections?: readonly ConnectionSample[];
  now: number;
  windowMs: number;
  buckets: number;
}): TrafficSeries {
  const { now, windowMs } = input;
  const n = Math.max(1, Math.floor(input.buckets));
  const bucketMs = Math.ceil(windowMs / n);
  const from = now - bucketMs * n;
  const fin: FinishedSample[][] = Array.from({ length: n }, () => []);
  const net: NetworkSample[][] = Array.from({ length: n }, () => []);
  const inWindow = (at: number) => at >= from && at < from + bucketMs * n;
  for (const s of input.finished) if (inWindow(s.at)) fin[Math.floor((s.at - from) / bucketMs)]!.push(s);
  for (const s of input.network) if (inWindow(s.at)) net[Math.floor((s.at - from) / bucketMs)]!.push(s);
  // Per bucket, the most seen at one sampling instant (several tenants' samples of an instant add up).
  const perInstant = new Map<number, { streams: number; connections: number }>();
  for (const s of input.connections ?? []) {
    if (!inWindow(s.at)) continue;
    const c = perInstant.get(s.at) ?? { streams: 0, connections: 0 };
    c.streams += s.streams;
    c.connections += s.connections;
    perInstant.set(s.at, c);
  }
  const peak: Array<{ streams: number; connections: number } | undefined> = Array.from({ length: n }, () => undefined);
  for (const [at, c] of perInstant) {
    const i = Math.floor((at - from) / bucketMs);
    const p = peak[i];
    peak[i] = p ? { streams: Math.max(p.streams, c.streams), connections: Math.max(p.connections, c.connections) } : c;
  }
  const buckets = fin.map((f, i) => ({ at: from + i * bucketMs, ...summarise(f, net[i]!, bucketMs), ...(peak[i] ?? {}) }));
  const all = summarise(fin.flat(), net.flat(), bucketMs * n);
  return {
    from,
    to: from + bucketMs * n,
    bucketMs,
    buckets,
    totals: {
      ...all,
      errorRate: all.finished ? all.errors / all.finished : 0,
      completionRate: all.finished ? all.completed / all.finished : 0,
      dropsPerHour: (all.drops * 3_600_000) / (bucketMs * n),
    },
  };
}
