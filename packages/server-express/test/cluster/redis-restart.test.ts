import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchJson, openSSE, type SSEReader } from '../read-sse';
import { waitUntil } from '../redis-test-server';
import { freePort } from '../free-port';
import { missingClusterParts, redisReachable, startCluster, type TestCluster } from './cluster-harness';

/**
 * Redis restarted mid-run (a Redis of this test's own, never the shared one): running streams go on
 * and are billed, new streams are served with per-instance caps while it is away, and once it is
 * back (empty) the key's connection cap holds across the instances again — each instance's
 * heartbeat re-publishes the connections it holds.
 */
const REDIS_SERVER = '/usr/bin/redis-server';
const missing = [...(await missingClusterParts('haproxy')), ...(existsSync(REDIS_SERVER) ? [] : [`${REDIS_SERVER} (apt-get install redis-server)`])];
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`cluster tests need: ${missing.join(', ')}`);

const PER_KEY = 3;

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitUntil(() => redisReachable(`redis://127.0.0.1:${port}`), 'redis-server to answer');
  return child;
}

describe.skipIf(missing.length > 0)(`Redis restarted under three instances${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`, () => {
  let cluster: TestCluster;
  let redis: ChildProcess | undefined;
  let port = 0;
  const readers: SSEReader[] = [];
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    cluster = await startCluster({
      instances: 3,
      redisUrl: `redis://127.0.0.1:${port}`,
      env: { TWIN_MAX_CONNECTIONS_PER_KEY: String(PER_KEY), TWIN_LEASE_MS: '1500', TWIN_SIMULATED_TOKENS_PER_SECOND: '4', TWIN_DETACH_GRACE_MS: '0' },
    });
  });
  afterAll(async () => {
    for (const r of readers) r.close();
    await cluster?.stop();
    redis?.kill('SIGKILL');
  });

  const headers = () => ({ authorization: `Bearer ${cluster.key}` });
  const open = async (n: number, tag: string, short = false) => {
    const opened = await Promise.all(Array.from({ length: n }, (_, i) => openSSE(`${cluster.url}/api/stream?prompt=${tag}+${i}${short ? '&maxTokens=1' : ''}`, { headers: headers() })));
    readers.push(...opened);
    return opened;
  };

  it('keeps streaming and billing without Redis, and once it is back (empty) counts the connections still open in the cluster-wide cap', async () => {
    const before = await open(PER_KEY + 2, 'before');
    expect(before.filter((r) => r.status === 200)).toHaveLength(PER_KEY);
    for (const r of before.filter((x) => x.status !== 200)) expect(r.status).toBe(429);
    // One of them goes; two long streams stay open across the outage.
    const [gone, ...running] = before.filter((r) => r.status === 200);
    gone!.close();
    await Promise.all(running.map((r) => r.waitFor((e) => e.some((x) => x.event === 'chunk'))));

    // Redis dies mid-stream: new streams are still served (each instance counts its own connections).
    redis!.kill('SIGKILL');
    await new Promise((r) => redis!.once('exit', r));
    const during = await open(1, 'during', true);
    expect(during[0]!.status).toBe(200);
    await during[0]!.done;

    // Back, empty. Each instance's heartbeat writes the connections it holds again: the two running
    // streams count, so a burst gets exactly the one slot left (an empty count would give three).
    redis = await startRedis(port);
    await waitUntil(async () => {
      // Short streams, read to their end: their slots are back before the next probe.
      const probe = await open(PER_KEY + 2, 'after', true);
      await Promise.all(probe.map((r) => r.done));
      return probe.filter((r) => r.status === 200).length === PER_KEY - running.length;
    }, 'the cluster-wide connection cap to count the open streams again', 60_000);
    for (const r of running) expect(r.status).toBe(200);

    await Promise.all(running.map((r) => r.done));
    for (const r of [...running, ...during]) expect(r.events.at(-1)?.event).toBe('complete');
    for (const instance of cluster.instances) expect(instance.server.child.exitCode).toBeNull();
    const ids = [...running, ...during].map((r) => String(r.headers['x-twin-stream-id']));
    let rows: Array<{ streamId: string; state: string; endReason: string }> = [];
    await waitUntil(async () => {
      rows = (await fetchJson(`${cluster.url}/api/billing/records?limit=1000`, { key: cluster.key })).json.records;
      return ids.every((id) => rows.some((r) => r.streamId === id && r.state === 'final'));
    }, 'the records of the streams that ran through the outage');
    for (const id of ids) expect(rows.filter((r) => r.streamId === id)).toMatchObject([{ state: 'final', endReason: 'complete' }]);
  });
});
