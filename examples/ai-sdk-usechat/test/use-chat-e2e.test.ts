import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamClient } from '@twin/client';
import { buildAndPreview, haveChromium, launchChromium, shotsDir, type Site } from '../../chat-react/test/browser-site';
import { startReferenceServer, type ReferenceServer } from '../../chat-react/test/reference-server';

const root = fileURLToPath(new URL('..', import.meta.url));
// The page's tools, as its transport sends them: a direct call must send the same to get the same usage.
const TOOLS = [{ name: 'get_time', description: 'The current time in the browser.', parameters: { type: 'object', properties: {} } }];

describe.runIf(haveChromium('ai-sdk useChat e2e'))('an unchanged AI SDK useChat page against the reference server, in real Chromium', () => {
  let server: ReferenceServer;
  let site: Site;
  let browser: Browser;
  let shots: string;

  beforeAll(async () => {
    // Grace for a reload to come back for the answer, however slowly a loaded machine reloads the
    // page. (useChat's stop only drops the connection, so a stopped answer runs on until it ends.)
    // 8 tokens/s: an answer runs for seconds, so a stop or a reload lands mid-answer on a loaded machine.
    server = await startReferenceServer({ TWIN_DETACH_GRACE_MS: '30000', TWIN_SIMULATED_TOKENS_PER_SECOND: '8' });
    shots = shotsDir('twin-usechat-shots-');
    site = await buildAndPreview(root, server.url);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await server?.stop();
    if (shots) console.info(`[ai-sdk useChat e2e] screenshots in ${shots}`);
  });

  const open = async (key = server.apiKey): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    await page.goto(`${site.url}/?key=${encodeURIComponent(key)}`);
    return page;
  };
  const ask = async (page: Page, prompt: string) => {
    await page.getByLabel('Prompt').fill(prompt);
    await page.getByRole('button', { name: 'Send' }).click();
  };
  const status = (page: Page) => page.getByTestId('status').textContent();
  const records = async () => {
    const res = await fetch(`${server.url}/api/billing/records?limit=100`, { headers: { authorization: `Bearer ${server.apiKey}` } });
    return ((await res.json()) as { records: Array<Record<string, unknown>> }).records;
  };
  const direct = (prompt: string) =>
    createStreamClient({ url: `${server.url}/api/stream`, apiKey: server.apiKey, body: { messages: [{ role: 'user', content: prompt }], tools: TOOLS } }).start();

  it('shows the same text and usage as a direct /api/stream call, the simulated badge and Twin’s receipt', async () => {
    const prompt = 'How does Twin bill a stream?';
    const reference = await direct(prompt);
    expect(reference.status).toBe('done');
    const page = await open();
    await ask(page, prompt);
    await expect.poll(() => page.getByTestId('usage').count(), { timeout: 60_000 }).toBe(1);
    expect(await status(page)).toBe('ready');
    const answer = page.getByTestId('assistant');
    expect(await answer.getByTestId('text').textContent()).toBe(reference.text);
    expect(await answer.getByTestId('usage').textContent()).toMatch(new RegExp(`^${reference.usage!.inputTokens} in · ${reference.usage!.outputTokens} out · USD \\d+\\.\\d+$`));
    expect(await answer.getByTestId('simulated').isVisible()).toBe(true);
    await page.screenshot({ path: join(shots, 'answered.png') });
    await page.close();
  });

  it('stop, then send again: the stopped text stays as it was and the next answer streams in full', async () => {
    const page = await open();
    await ask(page, 'Stream something long, I will stop you.');
    await expect.poll(async () => ((await page.getByTestId('assistant').getByTestId('text').textContent().catch(() => '')) ?? '').length, { timeout: 60_000 }).toBeGreaterThan(30);
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => status(page)).toBe('ready');
    const stopped = await page.getByTestId('assistant').getByTestId('text').textContent();
    await ask(page, 'Now answer in full.');
    await expect.poll(() => page.getByTestId('usage').count(), { timeout: 60_000 }).toBe(1);
    expect(await page.getByTestId('assistant').first().getByTestId('text').textContent()).toBe(stopped);
    expect(await page.getByTestId('assistant').last().getByTestId('text').textContent()).toMatch(/^Simulated answer to "Now answer in full\.": /);
    await page.close();
  });

  it('a bad API key shows the 401 and bills nothing', async () => {
    const before = (await records()).length;
    const page = await open('twin_sk_not_a_key');
    await ask(page, 'Hello?');
    await expect.poll(() => status(page)).toBe('error');
    expect(await page.getByRole('alert').textContent()).toContain('unauthorized');
    expect(await page.getByTestId('usage').count()).toBe(0);
    expect((await records()).length).toBe(before);
    await page.close();
  });

  it('a reload mid-answer resumes it (useChat resume: true): same text, one stream, one bill', async () => {
    const prompt = 'Keep going across a reload.';
    const reference = await direct(prompt);
    const page = await open();
    await ask(page, prompt);
    await expect.poll(async () => ((await page.getByTestId('assistant').getByTestId('text').textContent().catch(() => '')) ?? '').length, { timeout: 60_000 }).toBeGreaterThan(0);
    const before = (await records()).length;
    await page.reload();
    await expect.poll(() => page.getByTestId('usage').count(), { timeout: 60_000 }).toBe(1);
    expect(await page.getByTestId('assistant').count()).toBe(1);
    expect(await page.getByTestId('assistant').getByTestId('text').textContent()).toBe(reference.text);
    expect(await page.getByTestId('usage').textContent()).toContain(`${reference.usage!.outputTokens} out`);
    // No new stream was started by the reload (the one in flight was already counted).
    expect((await records()).length).toBe(before);
    await page.close();
  });

  it('runs the client-side tool the model calls and sends its output back automatically', async () => {
    const page = await open();
    await ask(page, 'What time is it? use get_time');
    await expect.poll(() => page.getByTestId('tool').textContent(), { timeout: 60_000 }).toMatch(/^🔧 get_time → \{"time":"\d{4}-/);
    await expect.poll(async () => (await page.getByTestId('text').allTextContents()).join(''), { timeout: 60_000 }).toMatch(/Simulated answer: get_time returned \{"time":"\d{4}-/);
    await expect.poll(() => status(page), { timeout: 60_000 }).toBe('ready');
    await page.screenshot({ path: join(shots, 'tool-call.png') });
    await page.close();
  });
});
