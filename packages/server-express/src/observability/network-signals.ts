import { Counter, Gauge, type Registry } from 'prom-client';

/** What happened on one connection that the network, not the application, decided. */
export type NetworkSignalKind = 'drop' | 'resume' | 'stall';

/** One observed signal, as the traffic view reads it back. */
export interface NetworkSample {
  kind: NetworkSignalKind;
  tenantId: string;
  at: number;
  /** For `stall`: how long the socket stayed backpressured, ms. */
  ms?: number;
}

/** A connection whose write queue is read at scrape time (`twin_queued_bytes`). */
export interface QueuedConnection {
  readonly queuedBytes: number;
}

/**
 * What a server can see of the network under its SSE connections, without any help from the OS:
 * drops (the client's socket closed while its stream was still running, not asked for with a
 * DELETE), resumes (`Last-Event-ID` reconnects), write stalls (episodes of socket backpressure, with
 * their duration) and the bytes queued behind them right now. RTT and retransmissions are not here:
 * Node exposes no `TCP_INFO`, so they are not measured (see docs/server.md, "Network signals").
 *
 * Samples go to Prometheus counters and into a bounded ring the admin traffic view reads.
 */
export class NetworkSignals {
  private readonly ring: NetworkSample[] = [];
  private next = 0;
  private readonly open = new Set<QueuedConnection>();
  private readonly drops: Counter;
  private readonly stalls: Counter;
  private readonly stallSeconds: Counter;

  constructor(
    registry: Registry,
    private readonly capacity = 20_000,
  ) {
    const registers = [registry];
    this.drops = new Counter({ name: 'twin_client_drops_total', help: 'Client connections that closed while their stream was still running (not a DELETE).', registers });
    this.stalls = new Counter({ name: 'twin_write_stalls_total', help: 'Episodes of socket backpressure that ended (the queue drained).', registers });
    this.stallSeconds = new Counter({ name: 'twin_backpressure_seconds_total', help: 'Time connections spent backpressured, summed over connections.', registers });
    const open = this.open;
    new Gauge({
      name: 'twin_queued_bytes',
      help: 'Bytes queued for slow sockets now (all connections).',
      registers,
      collect() {
        let total = 0;
        for (const c of open) total += c.queuedBytes;
        this.set(total);
      },
    });
  }

  /** The client's socket closed under a running stream. */
  drop(tenantId: string, at = Date.now()): void {
    this.drops.inc();
    this.push({ kind: 'drop', tenantId, at });
  }

  /** A client reconnected with `Last-Event-ID` (`twin_resumes_total` counts it in Prometheus). */
  resume(tenantId: string, at = Date.now()): void {
    this.push({ kind: 'resume', tenantId, at });
  }

  /** A backpressure episode ended after `ms`. */
  stall(tenantId: string, ms: number, at = Date.now()): void {
    this.stalls.inc();
    this.stallSeconds.inc(ms / 1000);
    this.push({ kind: 'stall', tenantId, at, ms });
  }

  /** Tracks a connection's queue until `release()` (or {@link untrack}). */
  track(connection: QueuedConnection): () => void {
    this.open.add(connection);
    return () => this.open.delete(connection);
  }

  /** Stops tracking a connection's queue (it closed). */
  untrack(connection: QueuedConnection): void {
    this.open.delete(connection);
  }

  /** Bytes queued now over the tracked connections. */
  get queuedBytes(): number {
    let total = 0;
    for (const c of this.open) total += c.queuedBytes;
    return total;
  }

  /** Samples since `since`, of one tenant or (`undefined`) every tenant. */
  since(since: number, tenantId: string | undefined): NetworkSample[] {
    return this.ring.filter((s) => s.at >= since && (tenantId === undefined || s.tenantId === tenantId));
  }

  private push(sample: NetworkSample): void {
    if (this.ring.length < this.capacity) this.ring.push(sample);
    else this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
  }
}
