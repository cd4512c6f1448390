import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamClient } from '@twin/client';
import { buildAndPreview, haveChromium, launchChromium, shotsDir, type Site } from './browser-site';
import { startFlakyProxy, type FlakyProxy } from './flaky-proxy';
import { startReferenceServer, type ReferenceServer } from './reference-server';

const root = fileURLToPath(new URL('..', import.meta.url));

describe.runIf(haveChromium('chat e2e'))('chat example in real Chromium against the reference server', () => {
  let server: ReferenceServer;
  let network: FlakyProxy;
  let site: Site;
  let browser: Browser;
  let shots: string;

  beforeAll(async () => {
    // A resume grace so a dropped connection (or a reload) can come back; stop() still ends a stream at once.
    // 8 tokens/s: an answer runs for seconds, so a stop or a reload that a loaded machine performs
    // slowly still lands mid-answer (at the default 20/s an answer is over in about 2 s).
    server = await startReferenceServer({ TWIN_DETACH_GRACE_MS: '30000', TWIN_SIMULATED_TOKENS_PER_SECOND: '8' });
    shots = shotsDir('twin-chat-shots-');
    site = await buildAndPreview(root, server.url);
    // The browser reaches the page (and, through its proxy, the server) over a TCP hop the test can
    // cut. Cutting in front of Vite's proxy matters: that proxy does not pass an upstream cut on to
    // the browser (the client's heartbeat watchdog would catch it, but only after its timeout).
    network = await startFlakyProxy(site.port);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await network?.close();
    await server?.stop();
    if (shots) console.info(`[chat e2e] screenshots in ${shots}`);
  });

  const open = async (key = server.apiKey): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    await page.goto(`${network.url}/?key=${encodeURIComponent(key)}`);
    return page;
  };
  const ask = async (page: Page, prompt: string) => {
    await page.getByLabel('Prompt').fill(prompt);
    await page.getByRole('button', { name: 'Send' }).click();
  };
  const liveText = async (page: Page) => ((await page.getByTestId('live-answer').getByTestId('answer-text').textContent()) ?? '').replace('▍', '');
  const records = async (streamId?: string | null) => {
    const res = await fetch(`${server.url}/api/billing/records?limit=100`, { headers: { authorization: `Bearer ${server.apiKey}` } });
    const body = (await res.json()) as { records: Array<Record<string, unknown>> };
    return streamId === undefined ? body.records : body.records.filter((r) => r.streamId === streamId);
  };
  const reference = async (prompt: string) => {
    // The simulated provider is deterministic: the same prompt streams the same answer.
    const final = await createStreamClient({ url: `${server.url}/api/stream`, apiKey: server.apiKey, body: { messages: [{ role: 'user', content: prompt }] } }).start();
    expect(final.status).toBe('done');
    return final.text;
  };

  it('streams a visibly simulated answer that quotes the prompt; stop bills it; the next prompt leaves that receipt unchanged', async () => {
    const page = await open();
    await ask(page, 'Tell me how streams are billed.');
    // Tokens arrive one after another: the live answer grows through several distinct lengths.
    const lengths: number[] = [];
    const deadline = Date.now() + 60_000;
    while (new Set(lengths.filter((n) => n > 0)).size < 4 && Date.now() < deadline) {
      lengths.push((await liveText(page)).length);
      await page.waitForTimeout(25);
    }
    const seen = lengths.filter((n) => n > 0);
    expect(new Set(seen).size).toBeGreaterThanOrEqual(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // only ever grows
    expect(await liveText(page)).toMatch(/^Simulated answer to "Tell me how streams are billed\."/);
    await expect.poll(() => page.getByTestId('live-answer').getByTestId('simulated').isVisible()).toBe(true);
    // While streaming the count is the client's estimate, and says so.
    expect(await page.getByTestId('live-answer').getByTestId('tokens').textContent()).toMatch(/^~\d+ tokens \(estimated\)$/);
    await page.screenshot({ path: join(shots, 'streaming.png') });

    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('aborted');
    const stopped = page.getByTestId('answer').first();
    const streamId = await stopped.getAttribute('data-stream-id');
    expect(streamId).toBeTruthy();
    expect(((await stopped.getByTestId('answer-text').textContent()) ?? '').length).toBeGreaterThan(0);

    // The server finalized exactly one bill for this stream, as a client abort.
    await expect.poll(async () => (await records(streamId))[0]?.state, { timeout: 60_000 }).toBe('final');
    const [record, ...others] = await records(streamId);
    expect(others).toHaveLength(0);
    expect(record?.endReason).toBe('client_abort');
    const total = (record?.lines as { total?: string } | undefined)?.total;
    expect(total).toMatch(/^\d+\.\d+$/);
    // The page shows the receipt the server billed, with the server's token count (not the estimate).
    await expect.poll(() => stopped.getByTestId('cost').textContent(), { timeout: 60_000 }).toContain(`${record?.currency} ${total}`);
    expect(await stopped.getByTestId('tokens').textContent()).toBe(`${record?.outputTokens} tokens`);
    const stoppedReceipt = await stopped.getByTestId('receipt').textContent();
    expect(stoppedReceipt).toContain('stopped');
    await page.screenshot({ path: join(shots, 'stopped.png') });

    // Send again: the first answer keeps its receipt, word for word.
    await ask(page, 'And how is a stopped stream billed?');
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 60_000 }).toBe('done');
    const answers = page.getByTestId('answer');
    expect(await answers.count()).toBe(2);
    expect(await answers.first().getByTestId('receipt').textContent()).toBe(stoppedReceipt);
    await expect.poll(() => answers.last().getByTestId('cost').textContent()).toMatch(/^USD \d+\.\d+$/);
    expect(await answers.last().getByTestId('tokens').textContent()).toMatch(/^\d+ tokens$/);
    await page.screenshot({ path: join(shots, 'stop-then-send.png'), fullPage: true });
    await page.close();
  });

  it('a refused request (401) shows the error and says nothing was billed, with no empty answer', async () => {
    const before = (await records()).length;
    const page = await open('twin_sk_not_a_key');
    await ask(page, 'Hello?');
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('error');
    expect(await page.getByRole('alert').textContent()).toContain('unauthorized');
    const receipt = (await page.getByTestId('receipt').textContent()) ?? '';
    expect(receipt).toContain('nothing billed');
    expect(receipt).not.toMatch(/billed on the server|tokens/);
    expect(await page.getByTestId('answer-text').count()).toBe(0);
    expect((await records()).length).toBe(before);
    await page.screenshot({ path: join(shots, 'unauthorized.png') });
    await page.close();
  });

  it('shows the reconnecting indicator when the connection drops mid-answer, then completes the same answer', async () => {
    const prompt = 'What happens when the network drops?';
    const expected = await reference(prompt);
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
    await ask(page, prompt);
    await expect.poll(async () => (await liveText(page)).length).toBeGreaterThan(0);
    const cutsBefore = network.cuts;
    network.cutNext(300); // drop the stream's connection a few frames from now, wherever that falls
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 60_000 }).toBe('done');
    expect(network.cuts).toBe(cutsBefore + 1);
    expect(await page.evaluate(() => (window as unknown as { sawReconnecting?: boolean }).sawReconnecting)).toBe(true);
    expect(await page.getByTestId('answer-text').last().textContent()).toBe(expected);
    await expect.poll(() => page.getByTestId('cost').last().textContent()).toMatch(/^[A-Z]{3} \d+\.\d+/);
    await page.screenshot({ path: join(shots, 'resumed.png') });
    await page.close();
  });

  it('a reload mid-answer resumes the same answer from the server: same text, one stream, one bill', async () => {
    const prompt = 'Reload me halfway, please.';
    const expected = await reference(prompt);
    const page = await open();
    await ask(page, prompt);
    await expect.poll(async () => (await liveText(page)).length).toBeGreaterThan(0);
    const streamId = await page.getByTestId('live-answer').getAttribute('data-stream-id');
    expect(streamId).toBeTruthy();
    await page.reload();
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 60_000 }).toBe('done');
    expect(await page.getByTestId('prompt').allTextContents()).toEqual([prompt]);
    const answer = page.getByTestId('answer');
    expect(await answer.count()).toBe(1);
    expect(await answer.getAttribute('data-stream-id')).toBe(streamId);
    expect(await answer.getByTestId('answer-text').textContent()).toBe(expected);
    await expect.poll(async () => (await records(streamId)).map((r) => [r.state, r.endReason]), { timeout: 60_000 }).toEqual([['final', 'complete']]);
    await page.close();
  });

  it('runs a client-side tool the model calls and sends the result back: two answers, two receipts', async () => {
    const page = await open();
    await ask(page, 'What time is it? use get_time');
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 60_000 }).toBe('done');
    await expect.poll(() => page.getByTestId('answer').count(), { timeout: 60_000 }).toBe(2);
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 60_000 }).toBe('done');
    const [call, answer] = [page.getByTestId('answer').first(), page.getByTestId('answer').last()];
    expect(await call.getByTestId('tool').textContent()).toMatch(/^🔧 get_time\(\{"zone":"What time is it\? use get_time"\}\) → \{"time":"\d{4}-/);
    expect(await answer.getByTestId('answer-text').textContent()).toMatch(/^Simulated answer: get_time returned \{"time":"\d{4}-/);
    for (const a of [call, answer]) await expect.poll(() => a.getByTestId('cost').textContent()).toMatch(/^USD \d+\.\d+$/);
    await page.screenshot({ path: join(shots, 'tool-call.png'), fullPage: true });
    await page.close();
  });
});
