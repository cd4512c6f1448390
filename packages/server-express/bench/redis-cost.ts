import type { Redis } from 'ioredis';

/** What a Redis server has done so far: calls per command (`INFO commandstats`) and its own CPU (`INFO cpu`). */
export interface RedisCost {
  calls: Record<string, number>;
  cpuMicros: number;
}

/** Reads `INFO commandstats` and `INFO cpu`; the difference of two readings is what happened between them. */
export async function readRedisCost(redis: Redis): Promise<RedisCost> {
  const [commandstats, cpu] = await Promise.all([redis.info('commandstats'), redis.info('cpu')]);
  const calls: Record<string, number> = {};
  for (const m of commandstats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[m[1]!] = Number(m[2]);
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { calls, cpuMicros: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6 };
}

/**
 * Calls per command between two readings, most frequent first. The readings' own INFO calls are left
 * out: they are the bench's, not the servers'.
 */
export function commandDelta(before: RedisCost, after: RedisCost): Array<[command: string, calls: number]> {
  return Object.entries(after.calls)
    .map(([command, calls]): [string, number] => [command, calls - (before.calls[command] ?? 0)])
    .filter(([command, calls]) => calls > 0 && command !== 'info')
    .sort((a, b) => b[1] - a[1]);
}
