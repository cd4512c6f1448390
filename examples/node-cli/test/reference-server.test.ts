import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamClient } from '@twin/client';
import { runCli } from '../src/run-cli';
import { startReferenceServer, type ReferenceServer } from '../../chat-react/test/reference-server';
import { startFlakyProxy } from '../../chat-react/test/flaky-proxy';

// The reference server (built CLI, simulated provider, PGlite in a temp dir) with a resume grace, so a
// dropped connection can come back, as a deployment behind a flaky network would configure it.
let server: ReferenceServer;
beforeAll(async () => {
  server = await startReferenceServer({ TWIN_DETACH_GRACE_MS: '30000', TWIN_SIMULATED_TOKENS_PER_SECOND: '200' });
});
afterAll(async () => {
  await server?.stop();
});

const prompt = 'Explain resumable streams in one paragraph.';
const body = { messages: [{ role: 'user', content: prompt }] };

async function billingRecords(streamId: string) {
  const res = await fetch(`${server.url}/api/billing/records?limit=100`, { headers: { authorization: `Bearer ${server.apiKey}` } });
  const json = (await res.json()) as { records: Array<{ streamId: string; state: string; endReason?: string }> };
  return json.records.filter((r) => r.streamId === streamId);
}

describe('against the reference server', () => {
  it('twin-ask streams a whole answer and prints tokens, tokens/s and the cost', async () => {
    const out = Object.assign(new PassThrough(), { isTTY: false });
    const err = Object.assign(new PassThrough(), { isTTY: false });
    let stdout = '';
    let stderr = '';
    out.on('data', (d) => (stdout += String(d)));
    err.on('data', (d) => (stderr += String(d)));
    const code = await runCli({ argv: ['--url', `${server.url}/api/stream`, prompt], env: { TWIN_API_KEY: server.apiKey }, stdout: out, stderr: err });
    expect(stderr).toMatch(/^\d+ tokens · [\d.]+ tok\/s · cost [A-Z]{3} \d+\.\d+/);
    expect(code).toBe(0);
    expect(stdout.trim().length).toBeGreaterThan(20);
  });

  it('on a terminal the live estimate is marked as such and never exceeds the final count the server reports', async () => {
    const out = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    let raw = '';
    out.on('data', (d) => (raw += String(d)));
    const code = await runCli({ argv: ['--url', `${server.url}/api/stream`, prompt], env: { TWIN_API_KEY: server.apiKey }, stdout: out, stderr: new PassThrough() });
    expect(code).toBe(0);
    const live = [...raw.matchAll(/~(\d+) tokens \(estimated\)/g)].map((m) => Number(m[1]));
    const final = [...raw.matchAll(/(?<![~\d])(\d+) tokens · /g)].map((m) => Number(m[1]));
    expect(live.length).toBeGreaterThan(3);
    expect(final.length).toBeGreaterThan(0);
    expect(new Set(final).size).toBe(1); // the server's count, once it is known, never changes
    expect(Math.max(...live)).toBeLessThanOrEqual(final[0]!);
    // The simulated answer quotes the prompt and the status line says it is simulated.
    expect(raw).toContain(`Simulated answer to "${prompt}"`);
    expect(raw).toMatch(/cost USD \d+\.\d+ · simulated answer\n$/);
  });

  it('a connection cut at random points resumes with the same text, nothing lost or repeated, billed once', async () => {
    // The simulated provider is deterministic: the same prompt gives the same answer.
    const reference = await createStreamClient({ url: `${server.url}/api/stream`, apiKey: server.apiKey, body }).start();
    expect(reference.status).toBe('done');

    const port = Number(new URL(server.url).port);
    const cuts = Array.from({ length: 4 }, () => 200 + Math.floor(Math.random() * 900));
    const proxy = await startFlakyProxy(port, cuts);
    try {
      const client = createStreamClient({ url: `${proxy.url}/api/stream`, apiKey: server.apiKey, body, reconnect: { initialDelayMs: 20, maxAttempts: 10 } });
      const final = await client.start();
      expect(final.error).toBeUndefined();
      expect(final.status).toBe('done');
      expect(proxy.cuts).toBeGreaterThan(0);
      expect(final.metrics.reconnects).toBeGreaterThan(0);
      expect(final.text).toBe(reference.text);
      expect(final.cost?.total).toMatch(/^\d+\.\d+$/);
      await expect.poll(async () => (await billingRecords(final.streamId!)).map((r) => r.state), { timeout: 60_000 }).toEqual(['final']);
      expect((await billingRecords(final.streamId!))[0]?.endReason).toBe('complete');
    } finally {
      await proxy.close();
    }
  });
});
