import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamClient } from '@twin/client';
import { startFlakyProxy, type FlakyProxy } from './flaky-proxy';
import { freePort, startReferenceServer, type ReferenceServer } from './reference-server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = fileURLToPath(new URL('..', import.meta.url));
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') {
  // In CI a missing browser is a broken environment, not a reason to pass.
  throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
}
if (!haveChromium) console.warn(`[chat e2e] SKIPPED: Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`);

describe.runIf(haveChromium)('chat example in real Chromium against the reference server', () => {
  let server: ReferenceServer;
  let network: FlakyProxy;
  let site: PreviewServer;
  let browser: Browser;
  let outDir: string;
  let shots: string;

  beforeAll(async () => {
    // A resume grace so a dropped connection can come back (stop() still ends a stream at once).
    server = await startReferenceServer({ TWIN_DETACH_GRACE_MS: '30000' });

    outDir = mkdtempSync(join(tmpdir(), 'twin-chat-dist-'));
    shots = mkdtempSync(join(tmpdir(), 'twin-chat-shots-'));
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    const proxy = { '/api': { target: server.url, changeOrigin: true } };
    site = await preview({
      root,
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir },
      preview: { port: await freePort(), strictPort: true, host: '127.0.0.1', proxy },
    });
    // The browser reaches the page (and, through its proxy, the server) over a TCP hop the test can
    // cut. Cutting in front of Vite's proxy matters: that proxy does not pass an upstream cut on to
    // the browser (the client's heartbeat watchdog would catch it, but only after its timeout).
    network = await startFlakyProxy(site.config.preview.port as number);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (site ? site.httpServer.close(() => resolve()) : resolve()));
    await network?.close();
    await server?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
    if (shots) console.info(`[chat e2e] screenshots in ${shots}`);
  });

  it('streams tokens one after another, stops on demand, and the server bills the partial stream', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    await page.goto(`${network.url}/?key=${encodeURIComponent(server.apiKey)}`);
    await page.getByLabel('Prompt').fill('Tell me how streams are billed.');
    await page.getByRole('button', { name: 'Send' }).click();

    // Tokens arrive one after another: the live answer grows through several distinct lengths.
    const answer = page.getByTestId('live-answer');
    const lengths: number[] = [];
    const deadline = Date.now() + 20_000;
    while (new Set(lengths.filter((n) => n > 0)).size < 4 && Date.now() < deadline) {
      lengths.push(((await answer.textContent()) ?? '').replace('▍', '').length);
      await page.waitForTimeout(25);
    }
    const seen = lengths.filter((n) => n > 0);
    expect(new Set(seen).size).toBeGreaterThanOrEqual(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // only ever grows
    await page.screenshot({ path: join(shots, 'streaming.png') });

    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('aborted');
    const stopped = page.getByTestId('answer').last();
    const partial = ((await stopped.textContent()) ?? '').trim();
    const streamId = await stopped.getAttribute('data-stream-id');
    expect(partial.length).toBeGreaterThan(0);
    expect(streamId).toBeTruthy();
    await expect.poll(() => page.getByTestId('receipt').last().textContent()).toContain('stopped');
    await page.screenshot({ path: join(shots, 'stopped.png') });

    // The server finalized exactly one bill for this stream, as a client abort, with the tokens sent.
    const records = async () => {
      const res = await fetch(`${server.url}/api/billing/records?limit=50`, { headers: { authorization: `Bearer ${server.apiKey}` } });
      const body = (await res.json()) as { records: Array<Record<string, unknown>> };
      return body.records.filter((r) => r.streamId === streamId);
    };
    await expect.poll(async () => (await records())[0]?.state, { timeout: 15_000 }).toBe('final');
    const [record, ...others] = await records();
    expect(others).toHaveLength(0);
    expect(record?.endReason).toBe('client_abort');
    expect(record?.outputTokens).toBeGreaterThan(0);
    const total = (record?.lines as { total?: string } | undefined)?.total;
    expect(total).toMatch(/^\d+\.\d+$/);
    // The page shows the same receipt the server billed (from its answer to the stop's cancel).
    await expect.poll(() => page.getByTestId('cost').last().textContent(), { timeout: 10_000 }).toContain(`${record?.currency} ${total}`);
    await page.screenshot({ path: join(shots, 'billed.png') });
    await page.close();
  });

  it('shows the reconnecting indicator when the connection drops mid-answer, then completes the same answer', async () => {
    const prompt = 'What happens when the network drops?';
    // The simulated provider is deterministic: the same prompt streams the same answer.
    const reference = await createStreamClient({
      url: `${server.url}/api/stream`,
      apiKey: server.apiKey,
      body: { messages: [{ role: 'user', content: prompt }] },
    }).start();
    expect(reference.status).toBe('done');

    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    // Remember whether the indicator was ever shown: it is up only for the backoff delay.
    await page.addInitScript(() => {
      const w = window as unknown as { sawReconnecting?: boolean };
      new MutationObserver(() => {
        if (document.querySelector('.banner[role=status]') && document.querySelector('[data-testid=status]')?.textContent?.startsWith('reconnecting')) {
          w.sawReconnecting = true;
        }
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await page.goto(`${network.url}/?key=${encodeURIComponent(server.apiKey)}`);
    await page.getByLabel('Prompt').fill(prompt);
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(async () => ((await page.getByTestId('live-answer').textContent()) ?? '').replace('▍', '').length).toBeGreaterThan(0);
    const cutsBefore = network.cuts;
    network.cutNext(300); // drop the stream's connection a few frames from now, wherever that falls
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 20_000 }).toBe('done');
    expect(network.cuts).toBe(cutsBefore + 1);
    expect(await page.evaluate(() => (window as unknown as { sawReconnecting?: boolean }).sawReconnecting)).toBe(true);
    expect(((await page.getByTestId('answer').last().textContent()) ?? '').trim()).toBe(reference.text.trim());
    await expect.poll(() => page.getByTestId('cost').last().textContent()).toMatch(/^[A-Z]{3} \d+\.\d+/);
    await page.screenshot({ path: join(shots, 'resumed.png') });
    await page.close();
  });
});
