import type { Logger } from 'pino';
import type { InstanceLoad, LiveStreamSummary } from '../admin/admin-api-types';
import type { ClusterNode } from './cluster-node';

/** What an instance publishes of itself. */
export interface LiveBoardSource {
  /** Its running streams and open connections (relayed ones included). */
  load(): { activeStreams: number; openConnections: number };
  /** Its running streams and their attached connections, per tenant (tenants with a running stream only). */
  countsByTenant(): ReadonlyMap<string, { streams: number; connections: number }>;
  /** The live rows of a tenant's running streams (called only for tenants some console watches). */
  rows(tenantId: string, now: number): readonly LiveStreamSummary[];
}

/** Another instance as its last publication shows it. */
export interface RemoteInstance extends InstanceLoad {
  /** The asked tenant's running streams and connections there. */
  tenant: { streams: number; connections: number };
  /** The asked tenant's live rows there (asked for, and published once the tenant was watched). */
  rows: LiveStreamSummary[];
}

export interface LiveBoardOptions {
  source: LiveBoardSource;
  /** How often this instance publishes (default 1 s: the live feed's own tick). */
  intervalMs?: number;
  /**
   * How long a publication counts (default five intervals): an instance that stopped publishing
   * drops out after it. Expiries are read on each instance's own clock, so it also bounds the clock
   * skew the board tolerates.
   */
  ttlMs?: number;
  /** Clock of publications and expiries (tests move it; default `Date.now`). */
  now?: () => number;
  logger: Logger;
}

/** How long an answer is shared by the consoles and stats calls of one tenant (ms). */
const READ_TTL_MS = 250;

/**
 * The cluster's live board: every instance publishes, once a tick, a compact summary of itself to
 * Redis, and any instance reads the others' to answer cluster-wide (the admin live feed, stream
 * stats). Cost is bounded by what is watched, not by the streams: each tick is one pipeline per
 * instance with its totals and per-tenant counts (a few bytes per tenant), and the rows of only the
 * tenants that a console somewhere watches (a feed marks its tenant watched, for `ttlMs`). A read is
 * two round trips, shared for a quarter second by every reader of the tenant. An instance that dies
 * stops publishing: readers skip it once its membership (expiry by the publishers' clock) passes,
 * and Redis drops its hash by itself (PEXPIRE).
 *
 * Keys: `<prefix>live:members` ZSET instance → expiry (ms); `<prefix>live:i:<instance>` HASH `load`
 * (JSON totals), `n:<tenant>` ("streams connections"), `r:<tenant>` (JSON rows);
 * `<prefix>live:watch` ZSET tenant → until when its rows are wanted.
 */
export class LiveBoard {
  private readonly intervalMs: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private publishing: Promise<void> | undefined;
  private readonly watchedAt = new Map<string, number>();
  private readonly reads = new Map<string, { at: number; answer: Promise<RemoteInstance[]> }>();

  constructor(
    private readonly node: Pick<ClusterNode, 'redis' | 'instanceId' | 'key'>,
    private readonly options: LiveBoardOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.ttlMs = options.ttlMs ?? 5 * this.intervalMs;
    this.now = options.now ?? Date.now;
  }

  get instanceId(): string {
    return this.node.instanceId;
  }

  /** Publishes every `intervalMs` from now (the first at once). */
  start(): void {
    if (this.timer) return;
    void this.publish();
    this.timer = setInterval(() => void this.publish(), this.intervalMs);
    this.timer.unref();
  }

  /** One publication of this instance (a tick; tests call it). Never throws: Redis away, the next tick retries. */
  publish(): Promise<void> {
    // A tick that finds the previous one still waiting on Redis skips: no queue builds up.
    this.publishing ??= this.publishOnce().finally(() => (this.publishing = undefined));
    return this.publishing;
  }

  private async publishOnce(): Promise<void> {
    const { redis } = this.node;
    const now = this.now();
    try {
      const watched = new Set(await redis.zrangebyscore(this.key('watch'), now, '+inf'));
      const { source } = this.options;
      const fields: string[] = ['load', JSON.stringify({ ...source.load(), at: now })];
      for (const [tenantId, c] of source.countsByTenant()) {
        fields.push(`n:${tenantId}`, `${c.streams} ${c.connections}`);
        if (watched.has(tenantId)) fields.push(`r:${tenantId}`, JSON.stringify(source.rows(tenantId, now)));
      }
      const own = this.key('i', this.node.instanceId);
      await redis
        .multi()
        .del(own)
        .hset(own, ...fields)
        .pexpire(own, this.ttlMs)
        .zadd(this.key('members'), now + this.ttlMs, this.node.instanceId)
        .zremrangebyscore(this.key('members'), '-inf', now)
        .zremrangebyscore(this.key('watch'), '-inf', now)
        .exec();
    } catch (error) {
      this.options.logger.debug({ err: error }, 'could not publish this instance to the live board; the next tick retries');
    }
  }

  /**
   * A console watches `tenantId`: every instance publishes the tenant's rows for `ttlMs` from now.
   * Written at most twice an interval per tenant, whatever the number of consoles. Callers need not
   * wait: the returned promise (settled once Redis has it, never rejected) is for tests.
   */
  async watch(tenantId: string): Promise<void> {
    const now = this.now();
    if (now - (this.watchedAt.get(tenantId) ?? -Infinity) < this.intervalMs / 2) return;
    this.watchedAt.set(tenantId, now);
    if (this.watchedAt.size > 10_000) this.watchedAt.clear();
    await this.node.redis.zadd(this.key('watch'), now + this.ttlMs, tenantId).catch(() => {});
  }

  /**
   * The other live instances: their totals, and `tenantId`'s counts (and rows, with `rows`) on
   * each. Empty while Redis is away (the caller answers for this instance alone).
   */
  others(tenantId: string, rows = false): Promise<RemoteInstance[]> {
    const now = this.now();
    const key = `${rows ? 'r' : 'n'}:${tenantId}`;
    const hit = this.reads.get(key);
    if (hit && now - hit.at < READ_TTL_MS) return hit.answer;
    const answer = this.read(tenantId, rows, now);
    for (const [k, read] of this.reads) if (now - read.at >= READ_TTL_MS) this.reads.delete(k);
    this.reads.set(key, { at: now, answer });
    return answer;
  }

  private async read(tenantId: string, rows: boolean, now: number): Promise<RemoteInstance[]> {
    const { redis } = this.node;
    try {
      const ids = (await redis.zrangebyscore(this.key('members'), now, '+inf')).filter((id) => id !== this.node.instanceId);
      if (ids.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const id of ids) {
        if (rows) pipeline.hmget(this.key('i', id), 'load', `n:${tenantId}`, `r:${tenantId}`);
        else pipeline.hmget(this.key('i', id), 'load', `n:${tenantId}`);
      }
      const results = (await pipeline.exec()) ?? [];
      const out: RemoteInstance[] = [];
      ids.forEach((instance, i) => {
        const [load, counts, rowsJson] = (results[i]?.[1] as (string | null)[] | undefined) ?? [];
        // Its hash expired (Redis' clock ran ahead of the publisher's): gone.
        if (!load) return;
        const totals = JSON.parse(load) as Omit<InstanceLoad, 'instance'>;
        const [streams, connections] = (counts ?? '0 0').split(' ').map(Number);
        const tenantRows = rowsJson ? (JSON.parse(rowsJson) as LiveStreamSummary[]).map((row) => ({ ...row, instance })) : [];
        out.push({ instance, activeStreams: totals.activeStreams, openConnections: totals.openConnections, at: totals.at, tenant: { streams: streams!, connections: connections! }, rows: tenantRows });
      });
      return out;
    } catch {
      return [];
    }
  }

  /** Stops publishing and takes this instance off the board (a clean shutdown; a crash expires instead). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // A publication in flight lands first (else it would put this instance back); a hung one is not waited for long.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.publishing, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
    clearTimeout(timer);
    await this.node.redis
      .multi()
      .zrem(this.key('members'), this.node.instanceId)
      .del(this.key('i', this.node.instanceId))
      .exec()
      .catch(() => {});
  }

  private key(...parts: string[]): string {
    return this.node.key('live', ...parts);
  }
}
