import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import { openSSE, type SSEReader } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const consoleBuilt = existsSync(fileURLToPath(new URL('../dist/console/index.html', import.meta.url)));
const haveChromium = existsSync(CHROMIUM);
if ((!haveChromium || !consoleBuilt) && process.env.CI === 'true') throw new Error('Chromium or the built console (pnpm build) is missing.');
if (!haveChromium || !consoleBuilt) console.warn('[admin console load] SKIPPED: needs /usr/bin/chromium and a built console (pnpm build).');

const STREAMS = 1_000;

describe.runIf(haveChromium && consoleBuilt)(`admin console with ${STREAMS} live streams`, () => {
  let db: OpenedDatabase;
  let t: TestServer;
  let browser: Browser;
  const readers: SSEReader[] = [];

  beforeAll(async () => {
    db = await openTestDatabase();
    // Slow, long streams (2 tokens/s, over 15 minutes) so all of them still run while the page is
    // measured, however long a loaded machine takes to open them and start the browser.
    t = await startTestServer(db, {
      providers: [createSimulatedProvider({ tokensPerSecond: 2, outputTokens: 2_000 })],
      service: { stream: { maxConnectionsPerKey: STREAMS + 10 }, persistChunks: false },
    });
    for (let i = 0; i < STREAMS; i += 100) {
      readers.push(...(await Promise.all(Array.from({ length: 100 }, () => openSSE(`${t.url}/api/stream?prompt=load`, { headers: { authorization: `Bearer ${t.keys.admin}` } })))));
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 400_000);

  afterAll(async () => {
    for (const r of readers) r.close();
    await browser?.close();
    await t?.close();
    await db?.close();
  });

  it('keeps the page responsive: a virtualised table (a few dozen rows in the DOM), no long main-thread stalls, navigation still instant', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${t.url}/admin`);
    await page.getByLabel('Admin API key').fill(t.keys.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(async () => Number(await page.getByTestId('active-count').textContent()), { timeout: 30_000 }).toBe(STREAMS);

    // Over 5 s of live updates (5 snapshots of 1,000 rows): the longest main-thread task and the
    // longest gap between animation frames.
    const measured = await page.evaluate(
      () =>
        new Promise<{ longestTaskMs: number; longestFrameGapMs: number; frames: number }>((resolve) => {
          let longestTaskMs = 0;
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) longestTaskMs = Math.max(longestTaskMs, e.duration);
          }).observe({ type: 'longtask', buffered: false });
          let last = performance.now();
          let longestFrameGapMs = 0;
          let frames = 0;
          const end = last + 5_000;
          const frame = (now: number) => {
            longestFrameGapMs = Math.max(longestFrameGapMs, now - last);
            last = now;
            frames++;
            if (now < end) requestAnimationFrame(frame);
            else resolve({ longestTaskMs, longestFrameGapMs, frames });
          };
          requestAnimationFrame(frame);
        }),
    );
    const rowsInDom = await page.getByTestId('live-row').count();
    const started = Date.now();
    await page.getByRole('link', { name: 'Traffic' }).click();
    await page.getByTestId('finished-count').waitFor();
    const navigationMs = Date.now() - started;
    console.info(`[admin console load] ${STREAMS} streams: rows in DOM ${rowsInDom}, longest task ${measured.longestTaskMs.toFixed(0)} ms, longest frame gap ${measured.longestFrameGapMs.toFixed(0)} ms, ${measured.frames} frames in 5 s, navigation ${navigationMs} ms`);
    // What keeps the page responsive, asserted independently of how fast this machine is: a
    // virtualised table (a few dozen rows in the DOM, not 1,000), a page that kept drawing frames
    // through 5 s of snapshots, and a navigation that completes. The timings are printed above, not
    // asserted: on a 2-core machine loaded by other work they measure the load (the project's rule:
    // wall-clock speed is for benchmarks).
    expect(rowsInDom).toBeGreaterThan(0);
    expect(rowsInDom).toBeLessThan(60);
    expect(measured.frames).toBeGreaterThan(0);
  }, 180_000);
});
