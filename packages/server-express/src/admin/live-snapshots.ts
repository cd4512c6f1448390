import type { StreamBillingConfig } from '@twin/core';
import type { LiveStream } from '../stream/live-stream';
import type { LiveStreamSummary } from './admin-api-types';
import { costSoFar, summariseLiveStream } from './live-stream-summary';

/** How long a tenant's table is reused by every console open on it (ms). */
const SNAPSHOT_TTL_MS = 500;
/** How long a stream's cost so far is reused before it is priced again (ms). */
const COST_TTL_MS = 5_000;

/**
 * The live table of each tenant, built at most once per half second however many consoles read it,
 * with each stream's cost so far priced at most every 5 s: pricing is core's exact bill (tens of
 * microseconds each), and 1,000 streams priced every second for every open console would take
 * the event loop that serves the streams.
 */
export class LiveSnapshots {
  private readonly costs = new WeakMap<LiveStream, { at: number; cost: LiveStreamSummary['costSoFar'] }>();
  private readonly tables = new Map<string, { at: number; rows: LiveStreamSummary[] }>();

  rows(tenantId: string, streams: () => readonly LiveStream[], configs: readonly StreamBillingConfig[], now: number): LiveStreamSummary[] {
    const cached = this.tables.get(tenantId);
    if (cached && now - cached.at < SNAPSHOT_TTL_MS) return cached.rows;
    const price = (stream: LiveStream) => {
      const hit = this.costs.get(stream);
      if (hit && now - hit.at < COST_TTL_MS) return hit.cost;
      const cost = costSoFar(stream, configs, now);
      this.costs.set(stream, { at: now, cost });
      return cost;
    };
    const rows = streams().map((s) => summariseLiveStream(s, configs, now, price));
    // Tables of tenants nobody watches any more go (only watched tenants are ever here).
    for (const [id, table] of this.tables) if (now - table.at > 60_000) this.tables.delete(id);
    this.tables.set(tenantId, { at: now, rows });
    return rows;
  }
}

// One per hub: the consoles of a tenant and the cluster's live board share its tables.
const perHub = new WeakMap<object, LiveSnapshots>();

/** The live tables of `hub` (one per service). */
export function liveSnapshotsOf(hub: object): LiveSnapshots {
  let s = perHub.get(hub);
  if (!s) perHub.set(hub, (s = new LiveSnapshots()));
  return s;
}
