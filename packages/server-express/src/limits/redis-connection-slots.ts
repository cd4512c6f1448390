import { redisScript, withTimeout } from '../cluster/redis-script';
import { redisLimitFallback, type RedisLimitOptions } from './redis-limit';

/** Why the cluster refused a connection: its global cap, or the API key's. */
export type SlotRefusal = 'global' | 'per_key';

/** One connection slot taken from the cluster; give it back once, when the connection closes. */
export interface ConnectionSlot {
  release(): void;
}

/** The cluster's connection caps (global and per API key), counted across instances. */
export interface ConnectionSlots {
  /**
   * Takes a slot for a connection of `apiKeyId`: the slot, or why the cluster refused it. While Redis
   * does not answer, the slot is counted here only (the caller's own per-instance caps decide).
   */
  take(apiKeyId: string, caps: { global: number; perKey: number }): Promise<ConnectionSlot | SlotRefusal>;
  /** Re-publishes this instance's counts and keeps its ownership alive (the heartbeat; also heals a restarted Redis). */
  sync(): Promise<void>;
  /** Connections this instance holds: all, and per key. */
  readonly held: { all: number; perKey: ReadonlyMap<string, number> };
  stop(): void;
}

// Keys (all under one hash tag, so a script's keys share a slot on a Redis Cluster too):
//   <prefix>{limits}:conn:members   ZSET instance id → its ownership's expiry (ms, Redis' clock)
//   <prefix>{limits}:conn:i:<id>    HASH `all` and `k:<api key id>` → connections that instance holds
// The cluster's count is the sum over live members. A dead instance's hash and membership expire
// `ttlMs` after its last heartbeat, which releases its slots without anyone having to clean up.

/** Milliseconds of Redis' own clock (every instance reads the same one). */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: members, own hash. ARGV: own id, key field, global cap, per-key cap, ttl ms, hash prefix.
 * Returns {1} taken, {0} refused (global), {-1} refused (per key); with the counts seen.
 */
const TAKE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local all, key = 0, 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local v = redis.call('HMGET', ARGV[6] .. id, 'all', ARGV[2])
  all = all + (tonumber(v[1]) or 0)
  key = key + (tonumber(v[2]) or 0)
end
if all >= tonumber(ARGV[3]) then return {0, all, key} end
if key >= tonumber(ARGV[4]) then return {-1, all, key} end
redis.call('HINCRBY', KEYS[2], 'all', 1)
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), ARGV[1])
return {1, all, key}`;

/** KEYS: own hash. ARGV: key field. A count that would go below 0 (Redis restarted since) is dropped: the next sync sets it. */
const GIVE = `
for _, field in ipairs({'all', ARGV[1]}) do
  if redis.call('HINCRBY', KEYS[1], field, -1) <= 0 then redis.call('HDEL', KEYS[1], field) end
end
return 0`;

/** KEYS: members, own hash. ARGV: own id, ttl ms, then field, count pairs: replaces the hash with this instance's counts. */
const SYNC = `${NOW}
redis.call('DEL', KEYS[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 0`;

/** What {@link createRedisConnectionSlots} takes. */
export interface RedisConnectionSlotsOptions extends RedisLimitOptions {
  instanceId: string;
  /** How long this instance's slots outlive its last heartbeat (default 15 s): a dead instance's slots are free after it. */
  ttlMs?: number;
  /** Heartbeat interval (default a third of `ttlMs`); `0`: no timer (tests call `sync`). */
  syncMs?: number;
}

/**
 * Connection caps across a cluster: each instance owns a Redis hash of the connections it holds,
 * kept alive by its heartbeat; a take sums the live instances' hashes and counts itself in one
 * script, so two instances racing for a key's last slot cannot both get it. This instance's own
 * counts are the truth for its hash: they change before a take is sent and when a slot is given
 * back, and every heartbeat writes them whole, so a restarted Redis (or a lost give) heals within
 * one heartbeat, never undercounting an instance's live connections by more than the takes in flight.
 */
export function createRedisConnectionSlots(options: RedisConnectionSlotsOptions): ConnectionSlots {
  const ttlMs = options.ttlMs ?? 15_000;
  const timeoutMs = options.timeoutMs ?? 250;
  const hashPrefix = `${options.keyPrefix}{limits}:conn:i:`;
  const members = `${options.keyPrefix}{limits}:conn:members`;
  const own = hashPrefix + options.instanceId;
  const take = redisScript(options.redis, TAKE);
  const give = redisScript(options.redis, GIVE);
  const sync = redisScript(options.redis, SYNC);
  const perKey = new Map<string, number>();
  const held = { all: 0, perKey: perKey as ReadonlyMap<string, number> };
  const count = (apiKeyId: string, delta: number) => {
    held.all += delta;
    const n = (perKey.get(apiKeyId) ?? 0) + delta;
    if (n <= 0) perKey.delete(apiKeyId);
    else perKey.set(apiKeyId, n);
  };
  const fallback = redisLimitFallback(options.logger, 'connection caps');
  const slotOf = (apiKeyId: string): ConnectionSlot => {
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        count(apiKeyId, -1);
        withTimeout(give([own], [`k:${apiKeyId}`]), timeoutMs * 4, 'a slot release').catch(() => {
          // The next heartbeat writes the true counts.
        });
      },
    };
  };

  const slots: ConnectionSlots = {
    held,
    async take(apiKeyId, caps) {
      count(apiKeyId, +1);
      let reply: number[];
      try {
        reply = (await withTimeout(take([members, own], [options.instanceId, `k:${apiKeyId}`, caps.global, caps.perKey, ttlMs, hashPrefix]), timeoutMs, 'a connection slot')) as number[];
        fallback.answered();
      } catch (error) {
        fallback.failed(error);
        return slotOf(apiKeyId);
      }
      if (reply[0] === 1) return slotOf(apiKeyId);
      count(apiKeyId, -1);
      return reply[0] === 0 ? 'global' : 'per_key';
    },
    async sync() {
      const fields = [...perKey].flatMap(([k, n]) => [`k:${k}`, n]);
      if (held.all > 0) fields.unshift('all', held.all);
      await withTimeout(sync([members, own], [options.instanceId, ttlMs, ...fields]), timeoutMs * 4, 'the connection slot heartbeat');
    },
    stop() {
      clearInterval(timer);
    },
  };
  const syncMs = options.syncMs ?? Math.floor(ttlMs / 3);
  const timer =
    syncMs > 0
      ? setInterval(() => {
          slots.sync().catch(() => {
            // Redis away: the take path logs it; the heartbeat after it comes back heals the counts.
          });
        }, syncMs)
      : undefined;
  timer?.unref();
  return slots;
}
