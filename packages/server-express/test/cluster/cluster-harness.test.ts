import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingClusterParts, startCluster, type TestCluster } from './cluster-harness';

const missing = await missingClusterParts('haproxy');
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`cluster tests need: ${missing.join(', ')}`);

describe.skipIf(missing.length > 0)(`three instances behind HAProxy${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`, () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ instances: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('spreads requests round-robin over every instance, with no stickiness', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${cluster.url}/health`);
      expect(res.status).toBe(200);
      seen.push(res.headers.get('x-twin-instance') ?? '?');
    }
    expect(new Set(seen)).toEqual(new Set(['i1', 'i2', 'i3']));
  });

  it('serves a stream through the balancer from the shared Postgres', async () => {
    const res = await fetch(`${cluster.url}/api/stream?prompt=hi`, { headers: { authorization: `Bearer ${cluster.key}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('event: complete');
  });
});
