import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlakyProxy, type FlakyProxy } from './flaky-proxy';
import { startReferenceServer, type ReferenceServer } from './reference-server';

/**
 * The browser's own `EventSource`, with no client code, against the built reference server in its
 * default configuration: the SSE `id:` carries `<streamId>:<seq>`, so the browser's automatic
 * reconnect (a real one, after the server's `retry:` hint) resumes the same stream exactly, and
 * its reconnect after the end gets 204, which closes the EventSource: one stream, one bill.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
if (!haveChromium) console.warn(`[native EventSource] SKIPPED: Chromium not found at ${CHROMIUM}.`);

interface Logged {
  type: string;
  id?: string;
  data?: string;
  readyState?: number;
}

describe.runIf(haveChromium)('native EventSource in real Chromium against the reference server (default config)', () => {
  let server: ReferenceServer;
  let network: FlakyProxy;
  let browser: Browser;

  beforeAll(async () => {
    server = await startReferenceServer({ TWIN_SIMULATED_TOKENS_PER_SECOND: '25' });
    network = await startFlakyProxy(Number(new URL(server.url).port));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await network?.close();
    await server?.stop();
  });

  /** A blank page on the proxy's origin (so EventSource is same-origin) that logs everything. */
  async function openPage(): Promise<Page> {
    const page = await browser.newPage();
    await page.route(`${network.url}/blank`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>es</title>' }));
    await page.goto(`${network.url}/blank`);
    return page;
  }

  async function listen(page: Page, path: string): Promise<void> {
    await page.evaluate((url) => {
      const log: Logged[] = [];
      (window as unknown as { __log: Logged[] }).__log = log;
      const es = new EventSource(url);
      (window as unknown as { __es: EventSource }).__es = es;
      for (const type of ['start', 'chunk', 'complete', 'error']) {
        es.addEventListener(type, (e) => {
          if (e instanceof MessageEvent) log.push({ type, id: e.lastEventId, data: e.data as string });
        });
      }
      es.onerror = () => log.push({ type: 'connection-error', readyState: es.readyState });
    }, path);
  }

  const logOf = (page: Page) => page.evaluate(() => (window as unknown as { __log: Logged[] }).__log);
  const readyState = (page: Page) => page.evaluate(() => (window as unknown as { __es: EventSource }).__es.readyState);

  async function records(): Promise<Array<{ streamId: string; state: string; endReason: string }>> {
    const res = await fetch(`${server.url}/api/billing/records?limit=1000`, { headers: { authorization: `Bearer ${server.apiKey}` } });
    return ((await res.json()) as { records: Array<{ streamId: string; state: string; endReason: string }> }).records;
  }

  async function wholeText(prompt: string): Promise<string> {
    const res = await fetch(`${server.url}/api/stream?prompt=${prompt}`, { headers: { authorization: `Bearer ${server.apiKey}` } });
    const body = await res.text();
    return [...body.matchAll(/^event: chunk\ndata: (.*)$/gm)].map((m) => (JSON.parse(m[1]!) as { text?: string }).text ?? '').join('');
  }

  it('a stream cut mid-way is resumed by the browser exactly (no gap, no duplicate); its reconnect after the end gets 204: one stream, one bill', async () => {
    const expected = await wholeText('cut+me');
    const before = (await records()).length;
    const page = await openPage();
    network.cutNext(900);
    await listen(page, `/api/stream?prompt=cut+me&api_key=${encodeURIComponent(server.apiKey)}`);
    await expect.poll(async () => (await logOf(page)).some((e) => e.type === 'complete'), { timeout: 60_000 }).toBe(true);
    // The browser's reconnect after `complete` gets 204 and closes the EventSource for good.
    await expect.poll(() => readyState(page), { timeout: 30_000 }).toBe(2);

    const log = await logOf(page);
    expect(network.cuts).toBeGreaterThanOrEqual(1);
    const cutAt = log.findIndex((e) => e.type === 'connection-error');
    expect(cutAt).toBeGreaterThan(0);
    expect(log[cutAt]!.readyState).toBe(0); // reconnecting, not closed
    expect(log.findIndex((e) => e.type === 'complete')).toBeGreaterThan(cutAt);
    const events = log.filter((e) => e.type !== 'connection-error');
    const streamId = (JSON.parse(events[0]!.data!) as { streamId: string }).streamId;
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => `${streamId}:${i}`));
    expect(events.filter((e) => e.type === 'chunk').map((e) => (JSON.parse(e.data!) as { text: string }).text).join('')).toBe(expected);
    expect(log.at(-1)).toEqual({ type: 'connection-error', readyState: 2 });

    const mine = (await records()).filter((r) => r.streamId === streamId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ state: 'final', endReason: 'complete' });
    expect((await records()).length).toBe(before + 1);
    await page.close();
  }, 120_000);

  it('a completed stream: the browser reconnects once, gets 204 and stays closed; exactly one stream and one bill', async () => {
    const before = (await records()).length;
    const page = await openPage();
    await listen(page, `/api/stream?prompt=finish+me&api_key=${encodeURIComponent(server.apiKey)}`);
    await expect.poll(() => readyState(page), { timeout: 60_000 }).toBe(2);
    const log = await logOf(page);
    expect(log.filter((e) => e.type === 'start')).toHaveLength(1);
    expect(log.filter((e) => e.type === 'complete')).toHaveLength(1);
    // The server ends the response after `complete`: the browser reconnects (readyState 0), gets 204, closes (2).
    expect(log.filter((e) => e.type === 'connection-error')).toEqual([
      { type: 'connection-error', readyState: 0 },
      { type: 'connection-error', readyState: 2 },
    ]);
    // A closed EventSource never reconnects again: the count cannot grow after this point.
    await expect.poll(async () => (await records()).length).toBe(before + 1);
    expect((await records()).slice(0, 1)[0]).toMatchObject({ state: 'final', endReason: 'complete' });
    await page.close();
  }, 120_000);
});
