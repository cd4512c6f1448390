/** Running streams and open connections of one tenant at one moment. */
export interface ConnectionSample {
  at: number;
  tenantId: string;
  streams: number;
  connections: number;
}

/**
 * Periodic samples of each tenant's running streams and open connections (only tenants with at
 * least one stream), in a bounded ring, so the traffic view can chart connections over a window.
 */
export class ConnectionSamples {
  private readonly ring: ConnectionSample[] = [];
  private next = 0;

  constructor(private readonly capacity = 50_000) {}

  record(at: number, counts: ReadonlyMap<string, { streams: number; connections: number }>): void {
    for (const [tenantId, c] of counts) this.push({ at, tenantId, streams: c.streams, connections: c.connections });
  }

  since(since: number, tenantId: string | undefined): ConnectionSample[] {
    return this.ring.filter((s) => s.at >= since && (tenantId === undefined || s.tenantId === tenantId));
  }

  private push(sample: ConnectionSample): void {
    if (this.ring.length < this.capacity) this.ring.push(sample);
    else this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
  }
}

/** Samples `counts()` every `intervalMs` (unref'd timer); returns the stop function. */
export function startConnectionSampler(
  samples: ConnectionSamples,
  counts: () => ReadonlyMap<string, { streams: number; connections: number }>,
  intervalMs = 10_000,
): () => void {
  const timer = setInterval(() => samples.record(Date.now(), counts()), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
