import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSSE } from '../read-sse';
import { missingClusterParts, startCluster, type TestCluster } from './cluster-harness';

/** The nginx config of docs/deployment.md in front of two instances: streams pass unbuffered, resumes land anywhere. */
const missing = await missingClusterParts('nginx');
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`cluster tests need: ${missing.join(', ')}`);

describe.skipIf(missing.length > 0)(`two instances behind nginx${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`, () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ instances: 2, balancer: 'nginx', env: { TWIN_SIMULATED_TOKENS_PER_SECOND: '40' } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('streams unbuffered and resumes on either instance', async () => {
    const auth = `api_key=${encodeURIComponent(cluster.key)}`;
    const url = `${cluster.url}/api/stream?prompt=nginx&${auth}`;
    const first = await openSSE(url);
    // Unbuffered: the first events arrive while the stream still runs.
    await first.waitFor((e) => e.length >= 3);
    expect(first.events.some((e) => e.event === 'complete')).toBe(false);
    first.close();
    const instances = new Set<string>();
    const got = [...first.events];
    while (got.at(-1)?.event !== 'complete') {
      const next = await openSSE(url, { headers: { 'last-event-id': got.at(-1)!.id! } });
      expect(next.status).toBe(200);
      instances.add(String(next.headers['x-twin-instance']));
      await next.waitFor((e) => e.length >= 2 || e.at(-1)?.event === 'complete').catch(() => {});
      next.close();
      got.push(...next.events);
    }
    expect(got.map((e) => e.json.seq)).toEqual(got.map((_, i) => i));
    expect(instances.size).toBe(2);
  });
});
