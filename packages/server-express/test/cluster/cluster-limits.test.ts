import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_CLI } from '../built-server';
import { openSSE, type SSEReader } from '../read-sse';
import { waitUntil } from '../redis-test-server';
import { missingClusterParts, startCluster, type TestCluster } from './cluster-harness';

/**
 * Limits anywhere: three instances behind HAProxy (round-robin, no stickiness) share one Redis, so
 * a key's connection cap and its requests per minute hold exactly across them, with the answers
 * one instance gives (429 + Retry-After, the x-ratelimit-* headers).
 */
const missing = await missingClusterParts('haproxy');
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`cluster tests need: ${missing.join(', ')}`);

const PER_KEY = 4;

/** A key of `tenant` with extra `keys create` flags (`--rpm 10`). */
function createKeyWith(cluster: TestCluster, tenant: string, flags: string[]): string {
  const out = spawnSync(process.execPath, [BUILT_CLI, 'keys', 'create', '--tenant', tenant, ...flags], {
    cwd: join(BUILT_CLI, '..', '..'),
    env: { PATH: process.env.PATH, DATABASE_URL: cluster.databaseUrl, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  const key = /twin_sk_[A-Za-z0-9_-]+/.exec(out.stdout + out.stderr)?.[0];
  if (!key) throw new Error(`could not create a key: ${out.stdout}${out.stderr}`);
  return key;
}

describe.skipIf(missing.length > 0)(`limits across three instances behind HAProxy${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`, () => {
  let cluster: TestCluster;
  const open: SSEReader[] = [];
  beforeAll(async () => {
    cluster = await startCluster({
      instances: 3,
      env: { TWIN_MAX_CONNECTIONS_PER_KEY: String(PER_KEY), TWIN_SIMULATED_TOKENS_PER_SECOND: '2', TWIN_DETACH_GRACE_MS: '0', TWIN_LEASE_MS: '3000' },
    });
  });
  afterAll(async () => {
    for (const r of open) r.close();
    await cluster?.stop();
  });

  it("admits exactly the key's connection cap across the instances, refuses the rest with 429 + Retry-After, and frees a slot when a stream's client goes", async () => {
    const key = createKeyWith(cluster, 'caps', []);
    const headers = { authorization: `Bearer ${key}` };
    const attempts = await Promise.all(Array.from({ length: 12 }, (_, i) => openSSE(`${cluster.url}/api/stream?prompt=cap+${i}`, { headers })));
    open.push(...attempts);
    const admitted = attempts.filter((r) => r.status === 200);
    const refused = attempts.filter((r) => r.status === 429);
    expect(admitted).toHaveLength(PER_KEY);
    expect(refused).toHaveLength(12 - PER_KEY);
    expect(refused.every((r) => r.headers['retry-after'] === '1')).toBe(true);
    // Round-robin gave every instance some of the twelve: with per-instance caps each would have
    // admitted up to four of its own, so only four in all is the cluster's cap.
    expect(new Set(attempts.map((r) => r.headers['x-twin-instance'])).size).toBe(3);

    // One client goes: its slot comes back (released when its response closes), and only one.
    admitted[0]!.close();
    let next: SSEReader | undefined;
    await waitUntil(async () => {
      const r = await openSSE(`${cluster.url}/api/stream?prompt=again`, { headers });
      open.push(r);
      if (r.status === 200) next = r;
      else r.close();
      return next !== undefined;
    }, 'the closed stream’s slot to be free');
    const over = await openSSE(`${cluster.url}/api/stream?prompt=over`, { headers });
    open.push(over);
    expect(over.status).toBe(429);
  });

  it('admits exactly the requests per minute across the instances, with the same x-ratelimit headers', async () => {
    // The whole burst must fall in one clock-aligned minute window.
    await waitUntil(() => Date.now() % 60_000 < 40_000, 'the start of a rate limit window', 30_000);
    const key = createKeyWith(cluster, 'rpm', ['--rpm', '10']);
    // Waves of three concurrent requests (round-robin: one per instance, racing), each answered
    // in full before the next, so the key's connection cap (4) never refuses one.
    const answers: Response[] = [];
    for (let wave = 0; wave < 10; wave++) {
      answers.push(
        ...(await Promise.all(
          [0, 1, 2].map(async (i) => {
            const res = await fetch(`${cluster.url}/api/stream?prompt=rpm+${wave}+${i}&maxTokens=1`, { headers: { authorization: `Bearer ${key}` } });
            await res.text();
            return res;
          }),
        )),
      );
    }
    const ok = answers.filter((r) => r.status === 200);
    const limited = answers.filter((r) => r.status === 429);
    expect(ok).toHaveLength(10);
    expect(limited).toHaveLength(20);
    expect(new Set(ok.map((r) => r.headers.get('x-twin-instance'))).size).toBe(3);
    expect(limited.every((r) => r.headers.get('x-ratelimit-limit-requests') === '10' && r.headers.get('x-ratelimit-remaining-requests') === '0')).toBe(true);
    expect(ok.map((r) => Number(r.headers.get('x-ratelimit-remaining-requests'))).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(limited.every((r) => Number(r.headers.get('retry-after')) >= 1)).toBe(true);
  });
});
