/** Running streams and open connections of one tenant at one moment. */
export interface ConnectionSample {
  at: number;
  tenantId: string;
  streams: number;
  connections: number;
}

// Not a valid tenant id (createApiKey allows A-Z, a-z, 0-9, "_", "." and "-").
const ANY_TENANT = '*';

/**
 * Periodic samples of each tenant's running streams and open connections (only tenants with at
 * least one stream), in a bounded ring, so the traffic view can chart connections over a window.
 */
export class ConnectionSamples {
  private readonly ring: ConnectionSample[] = [];
  private next = 0;

  constructor(private readonly capacity = 50_000) {}

  record(at: number, counts: ReadonlyMap<string, { streams: number; connections: number }>): void {
    // A marker for the instant itself, so a tenant with nothing running reads as 0, not as unknown.
    this.push({ at, tenantId: ANY_TENANT, streams: 0, connections: 0 });
    for (const [tenantId, c] of counts) this.push({ at, tenantId, streams: c.streams, connections: c.connections });
  }

  /** Samples since `since` of one tenant (or every tenant), with each sampling instant's zero marker. */
  since(since: number, tenantId: string | undefined): ConnectionSample[] {
    return this.ring.filter((s) => s.at >= since && (tenantId === undefined || s.tenantId === tenantId || s.tenantId === ANY_TENANT));
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
