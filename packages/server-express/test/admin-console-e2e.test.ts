import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchJson, openSSE, type SSEReader } from './read-sse';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(packageDir, 'dist/cli.js');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
if (!haveChromium) console.warn(`[admin console e2e] SKIPPED: Chromium not found at ${CHROMIUM}.`);

interface Cli {
  url: string;
  child: ChildProcess;
  output: () => string;
}

/** The built `twin-server` (dist/cli.js, console included) on a free port, PGlite in `dataDir`. */
function startCli(dataDir: string): Promise<Cli> {
  if (!existsSync(CLI) || !existsSync(join(packageDir, 'dist/console/index.html'))) throw new Error('dist/ is missing or has no console: run `pnpm build` first.');
  // The simulated provider at 10 tokens/s: a default answer (48 tokens) takes some 5 s, long enough to watch.
  const child = spawn(process.execPath, [CLI], {
    cwd: packageDir,
    env: { PATH: process.env.PATH, TWIN_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', TWIN_SIMULATED_TOKENS_PER_SECOND: '10', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"twin-server listening"/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`twin-server exited with ${code}:\n${out}`)));
  });
}

async function stopCli(cli: Cli | undefined): Promise<void> {
  if (!cli || cli.child.exitCode !== null) return;
  const exited = new Promise((r) => cli.child.once('exit', r));
  cli.child.kill('SIGTERM');
  await exited;
}

const textOf = (r: SSEReader) => r.events.filter((e) => e.event === 'chunk').map((e) => (e.json as { text?: string }).text ?? '').join('');
const idOf = (r: SSEReader) => (r.events[0]!.json as { streamId: string }).streamId;
/** A decimal string without trailing zeros, to compare amounts as the page trims them. */
const decimal = (s: string) => s.replace(/\s*[A-Z]{3}$/, '').replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');

describe.runIf(haveChromium)('admin console in real Chromium against the built twin-server', () => {
  let dataDir: string;
  let shots: string;
  let cli: Cli;
  let devKey: string;
  let otherKey: string;
  let memberKey: string;
  let browser: Browser;
  let page: Page;
  const readers: SSEReader[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'twin-admin-e2e-'));
    shots = process.env.TWIN_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'twin-admin-shots-'));
    mkdirSync(shots, { recursive: true });
    // First start creates the dev admin key; keys of another tenant are created with the CLI while
    // the server is down (the embedded database has one writer).
    await stopCli(await startCli(dataDir));
    devKey = readFileSync(join(dataDir, 'dev-api-key'), 'utf8').trim();
    const create = (args: string[]) => {
      const run = spawnSync(process.execPath, [CLI, 'keys', 'create', ...args], { cwd: packageDir, env: { PATH: process.env.PATH, TWIN_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, encoding: 'utf8' });
      const key = /twin_sk_[A-Za-z0-9_-]+/.exec(run.stdout + run.stderr)?.[0];
      if (!key) throw new Error(`keys create failed:\n${run.stdout}${run.stderr}`);
      return key;
    };
    otherKey = create(['--tenant', 'other', '--role', 'admin']);
    memberKey = create(['--tenant', 'dev', '--role', 'member']);
    cli = await startCli(dataDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 180_000);

  afterAll(async () => {
    for (const r of readers) r.close();
    await browser?.close();
    await stopCli(cli);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (shots) console.info(`[admin console e2e] screenshots in ${shots}`);
  });

  const signIn = async (key: string) => {
    await page.goto(`${cli.url}/admin`);
    await page.getByLabel('Admin API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('refuses a member key, then signs in with the admin key and keeps it out of localStorage', async () => {
    await signIn(memberKey);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not an admin key');
    await page.screenshot({ path: join(shots, '0-sign-in.png') });
    await signIn(devKey);
    await page.getByTestId('tenant').waitFor();
    expect(await page.getByTestId('tenant').textContent()).toContain('dev');
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain('twin_sk_');
  });

  it('shows streams appear and finish live; closing one from the table bills it as client_abort', async () => {
    await page.goto(`${cli.url}/admin#/live`);
    for (let i = 0; i < 3; i++) {
      readers.push(await openSSE(`${cli.url}/api/stream?prompt=${encodeURIComponent(`question ${i}`)}`, { headers: { authorization: `Bearer ${devKey}` } }));
    }
    await Promise.all(readers.map((r) => r.waitFor((e) => e.length > 0)));
    const ids = readers.map(idOf);
    for (const id of ids) await page.locator(`[data-testid="live-row"][data-stream-id="${id}"]`).waitFor({ timeout: 10_000 });
    await expect.poll(async () => Number(await page.getByTestId('active-count').textContent())).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(shots, '1-live.png') });

    const victim = ids[0]!;
    await page.getByRole('button', { name: `Close ${victim}` }).click();
    const bill = page.locator(`[data-testid="closed-bills"] li[data-stream-id="${victim}"] [data-testid="end-reason"]`);
    await bill.waitFor({ timeout: 10_000 });
    expect(await bill.textContent()).toBe('client_abort');
    await readers[0]!.done;
    expect(readers[0]!.events.at(-1)?.event).toBe('error');
    const record = await fetchJson(`${cli.url}/api/billing/records`, { key: devKey });
    expect(record.json.records.find((r: { streamId: string }) => r.streamId === victim).endReason).toBe('client_abort');

    // The others run to their end and leave the table for "recently finished".
    await Promise.all(readers.slice(1).map((r) => r.done));
    for (const id of ids.slice(1)) await page.locator(`[data-testid="finished"] li[data-stream-id="${id}"]`).waitFor({ timeout: 15_000 });
    await expect.poll(async () => page.locator(`[data-testid="live-row"]`).count(), { timeout: 10_000 }).toBe(0);
    // Their bills are listed under the table, final, with their end reason.
    await expect
      .poll(() => page.locator(`[data-testid="recent-bills"] tr[data-stream-id="${ids[1]}"]`).textContent(), { timeout: 10_000 })
      .toMatch(/final.*complete.*USD/);
    await page.screenshot({ path: join(shots, '2-live-finished.png') });
  });

  it('stream detail shows the replayed text equal to what the client received, the timeline and the itemised bill', async () => {
    const reader = readers[1]!;
    const id = idOf(reader);
    await page.goto(`${cli.url}/admin#/stream/${id}`);
    await expect.poll(() => page.getByTestId('bill-state').textContent(), { timeout: 15_000 }).toBe('final');
    expect(await page.getByTestId('replayed-text').textContent()).toBe(textOf(reader));
    expect(await page.getByTestId('bill-end-reason').textContent()).toBe('complete');
    const timeline = (await page.getByTestId('timeline').textContent()) ?? '';
    for (const kind of ['start', 'chunks', 'complete', 'end']) expect(timeline).toContain(kind);
    expect(await page.getByTestId('line-total').textContent()).toMatch(/^\d+\.\d+ USD$/);
    await page.screenshot({ path: join(shots, '3-stream-detail.png'), fullPage: true });

    // The closed stream: its bill says client_abort, its text is what was sent before the close.
    const closed = readers[0]!;
    await page.goto(`${cli.url}/admin#/stream/${idOf(closed)}`);
    await expect.poll(() => page.getByTestId('bill-end-reason').textContent(), { timeout: 15_000 }).toBe('client_abort');
    expect(await page.getByTestId('replayed-text').textContent()).toBe(textOf(closed));
  });

  it('traffic counts the finished streams; spend totals equal /api/billing/report', async () => {
    await page.goto(`${cli.url}/admin#/traffic`);
    await expect.poll(async () => Number(await page.getByTestId('finished-count').textContent()), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    await page.waitForTimeout(300); // charts draw on the next frame
    await page.screenshot({ path: join(shots, '4-traffic.png'), fullPage: true });

    await page.goto(`${cli.url}/admin#/spend`);
    await page.getByTestId('spend-total').waitFor();
    const report = await fetchJson(`${cli.url}/api/billing/report`, { key: devKey });
    expect(report.json.totals.count).toBeGreaterThanOrEqual(3);
    expect(decimal((await page.getByTestId('spend-total').textContent()) ?? '')).toBe(decimal(report.json.totals.cost.total));
    const rows = await page.locator('[data-testid="spend-table"] tbody tr').count();
    expect(rows).toBe(report.json.groups.length === 0 ? 0 : (await fetchJson(`${cli.url}/api/billing/report?groupBy=model`, { key: devKey })).json.groups.length);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, '5-spend.png'), fullPage: true });
  });

  it('sets a budget and lists keys and pricing', async () => {
    await page.goto(`${cli.url}/admin#/budgets`);
    await page.getByLabel('Limit').fill('25.50');
    await page.getByRole('button', { name: 'Save budget' }).click();
    await expect.poll(() => page.getByTestId('budgets').textContent()).toContain('25.50 USD');
    await page.screenshot({ path: join(shots, '6-budgets.png'), fullPage: true });
    await page.goto(`${cli.url}/admin#/keys`);
    await expect.poll(() => page.getByTestId('keys').textContent()).toContain('(this session)');
    // Keys show by their display prefix only, never whole.
    const keys = (await page.getByTestId('keys').textContent()) ?? '';
    for (const key of [devKey, memberKey, otherKey]) expect(keys).not.toContain(key.slice(0, 16));
    expect(await page.getByTestId('pricing').textContent()).toContain('simulated');
    await page.screenshot({ path: join(shots, '7-keys-pricing.png'), fullPage: true });
  });

  it("an admin key of another tenant sees nothing of this tenant's streams, spend or keys", async () => {
    const running = await openSSE(`${cli.url}/api/stream?prompt=secret`, { headers: { authorization: `Bearer ${devKey}` } });
    readers.push(running);
    await running.waitFor((e) => e.some((x) => x.event === 'chunk'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(otherKey);
    await page.goto(`${cli.url}/admin#/live`);
    await expect.poll(() => page.getByTestId('feed-status').textContent()).toContain('live');
    await page.waitForTimeout(1_500); // more than one feed interval
    expect(await page.getByTestId('active-count').textContent()).toBe('0');
    expect(await page.content()).not.toContain(idOf(running));
    await page.goto(`${cli.url}/admin#/stream/${idOf(running)}`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('No stream');
    await page.goto(`${cli.url}/admin#/spend`);
    await page.getByTestId('spend-total').waitFor();
    expect(decimal((await page.getByTestId('spend-total').textContent()) ?? '')).toBe('0');
    await page.goto(`${cli.url}/admin#/keys`);
    await expect.poll(() => page.getByTestId('keys').textContent()).toContain('(this session)');
    expect(await page.locator('[data-testid="keys"] tbody tr').count()).toBe(1);
    await page.screenshot({ path: join(shots, '8-other-tenant.png'), fullPage: true });
  });
});
