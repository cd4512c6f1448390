import type { Redis } from 'ioredis';

/** A key prefix no other test run shares (helpers and parallel runs use one Redis). */
export function testKeyPrefix(name: string): string {
  return `twin-test:${name}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
}

/** Deletes every key under `prefix`. */
export async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    if (next === '0') return;
    cursor = next;
  }
}

/** Resolves once `check` is true, polling every few milliseconds (`what` names it in the timeout error). */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
