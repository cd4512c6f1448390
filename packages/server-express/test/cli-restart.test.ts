import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cliArgs } from './cli-entry';
import { fetchJson, openSSE } from './read-sse';
import { spawnTwinServer, type TwinServerProcess } from './spawn-twin-server';

const dataDir = mkdtempSync(join(tmpdir(), 'twin-cli-'));
const children: ChildProcess[] = [];

/** Starts `twin-server` (built, else from source) in a child process; resolves with its URL once it listens. */
async function startCli(env: Record<string, string> = {}): Promise<TwinServerProcess> {
  const cli = await spawnTwinServer(cliArgs(), { TWIN_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', TWIN_SIMULATED_TOKENS_PER_SECOND: '10', ...env });
  children.push(cli.child);
  return cli;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('twin-server CLI', () => {
  it('first run prints a dev key once; a server killed mid-stream leaves an open record that the next start finalizes as interrupted', async () => {
    const first = await startCli();
    const key = readFileSync(join(dataDir, 'dev-api-key'), 'utf8').trim();
    expect(first.output()).toContain(key);
    expect(first.output()).toContain('serving the offline simulated provider');
    expect(first.output()).not.toMatch(/"level":\d+[^\n]*twin_sk_/); // never in a log line

    const r = await openSSE(`${first.url}/api/stream?prompt=crash+me`, { headers: { authorization: `Bearer ${key}` } });
    await r.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const streamId = (r.events[0]!.json as { streamId: string }).streamId;
    // Audit segments are written about once a second, behind the stream. Wait (on the condition,
    // through the admin API: the child's database cannot be opened from here) until the audit copy
    // holds enough text for the estimate asserted below, then kill.
    await vi.waitFor(
      async () => {
        const detail = await fetchJson(`${first.url}/api/admin/streams/${streamId}`, { key });
        expect(String(detail.json.text ?? '').length).toBeGreaterThanOrEqual(60);
      },
      { timeout: 120_000, interval: 50 },
    );
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startCli();
    expect(second.output()).not.toContain(key); // shown once
    const records = await fetchJson(`${second.url}/api/billing/records`, { key });
    const record = records.json.records.find((x: { streamId: string }) => x.streamId === streamId);
    expect(record).toMatchObject({ state: 'final', endReason: 'interrupted', usageEstimated: true });
    // Estimated from the audit segments that landed before the kill (at least the 60 characters waited for).
    expect(record.outputTokens).toBeGreaterThanOrEqual(10);
    // At most what reached the client, give or take the events in flight at the kill: the first
    // chunk (`Simulated answer to "crash me": `) is several tokens, every later one a word or two.
    const receivedText = r.events.filter((x) => x.event === 'chunk').map((x) => (x.json as { text?: string }).text ?? '').join('');
    expect(record.outputTokens).toBeLessThanOrEqual(Math.ceil(receivedText.length / 3) + 10);
    expect(record.lines.total).toMatch(/^\d+\.\d+$/);

    // Graceful shutdown: the open stream gets an error event and a final bill before the exit.
    const s = await openSSE(`${second.url}/api/stream?prompt=shutdown`, { headers: { authorization: `Bearer ${key}` } });
    await s.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const shutdownId = (s.events[0]!.json as { streamId: string }).streamId;
    second.child.kill('SIGTERM');
    await s.done;
    expect(s.events.at(-1)!.event).toBe('error');
    expect(await second.exited).toBe(0);

    const third = await startCli();
    expect(third.output()).not.toMatch(/reconciled billing records/);
    const after = await fetchJson(`${third.url}/api/billing/records`, { key });
    const closed = after.json.records.find((x: { streamId: string }) => x.streamId === shutdownId);
    expect(closed).toMatchObject({ state: 'final', endReason: 'interrupted' });
    third.child.kill('SIGTERM');
    await third.exited;
  }, 600_000);
});
