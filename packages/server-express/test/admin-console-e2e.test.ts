import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchJson, openSSE, type SSEReader } from './read-sse';
import { spawnTwinServer, type TwinServerProcess } from './spawn-twin-server';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(packageDir, 'dist/cli.js');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
if (!haveChromium) console.warn(`[admin console e2e] SKIPPED: Chromium not found at ${CHROMIUM}.`);

/** The built `twin-server` (dist/cli.js, console included) on a free port, PGlite in `dataDir`. */
function startCli(dataDir: string, extraEnv: Record<string, string> = {}): Promise<TwinServerProcess> {
  if (!existsSync(CLI) || !existsSync(join(packageDir, 'dist/console/index.html'))) throw new Error('dist/ is missing or has no console: run `pnpm build` first.');
  // The simulated provider at 10 tokens/s: a default answer (48 tokens) takes some 5 s, long enough to watch.
  return spawnTwinServer([CLI], { TWIN_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', TWIN_SIMULATED_TOKENS_PER_SECOND: '10', LOG_LEVEL: 'info', ...extraEnv });
}

async function stopCli(cli: TwinServerProcess | undefined): Promise<void> {
  if (!cli || cli.child.exitCode !== null) return;
  cli.child.kill('SIGTERM');
  await cli.exited;
}

const textOf = (r: SSEReader) => r.events.filter((e) => e.event === 'chunk').map((e) => (e.json as { text?: string }).text ?? '').join('');
const idOf = (r: SSEReader) => (r.events[0]!.json as { streamId: string }).streamId;
/** A decimal string without trailing zeros, to compare amounts as the page trims them. */
const decimal = (s: string) => s.replace(/\s*[A-Z]{3}$/, '').replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');

describe.runIf(haveChromium)('admin console in real Chromium against the built twin-server', () => {
  let dataDir: string;
  let shots: string;
  let cli: TwinServerProcess;
  let devKey: string;
  let otherKey: string;
  let memberKey: string;
  let tenantAdminKey: string;
  let browser: Browser;
  let page: Page;
  let receiver: WebhookReceiver;
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
    tenantAdminKey = create(['--tenant', 'dev', '--role', 'tenant-admin']);
    // Alerts go to a local receiver, as an operator's config file would send them.
    receiver = await startWebhookReceiver();
    const config = join(dataDir, 'twin.json');
    writeFileSync(config, JSON.stringify({ alerts: { webhooks: [{ url: receiver.url, secretEnv: 'TWIN_E2E_HOOK_SECRET' }] } }));
    cli = await startCli(dataDir, { TWIN_CONFIG: config, TWIN_E2E_HOOK_SECRET: 'e2e-hook-secret' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: cli.url });
    page = await context.newPage();
    // Five starts of the embedded database (two servers, three `keys create`) and a browser: on a
    // 2-core machine under a CPU hog that took over 180 s. The limit only names a hang.
  }, 600_000);

  afterAll(async () => {
    for (const r of readers) r.close();
    await browser?.close();
    await stopCli(cli);
    await receiver?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (shots) console.info(`[admin console e2e] screenshots in ${shots}`);
  });

  /** Two animation frames: what was drawn in a `requestAnimationFrame` is on the screen. */
  const nextFrames = () => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

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
    for (const id of ids) await page.locator(`[data-testid="live-row"][data-stream-id="${id}"]`).waitFor({ timeout: 60_000 });
    await expect.poll(async () => Number(await page.getByTestId('active-count').textContent())).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(shots, '1-live.png') });

    const victim = ids[0]!;
    await page.getByRole('button', { name: `Close ${victim}` }).click();
    const bill = page.locator(`[data-testid="closed-bills"] li[data-stream-id="${victim}"] [data-testid="end-reason"]`);
    await bill.waitFor({ timeout: 60_000 });
    expect(await bill.textContent()).toBe('client_abort');
    await readers[0]!.done;
    expect(readers[0]!.events.at(-1)?.event).toBe('error');
    const record = await fetchJson(`${cli.url}/api/billing/records`, { key: devKey });
    expect(record.json.records.find((r: { streamId: string }) => r.streamId === victim).endReason).toBe('client_abort');

    // The others run to their end and leave the table for "recently finished".
    await Promise.all(readers.slice(1).map((r) => r.done));
    for (const id of ids.slice(1)) await page.locator(`[data-testid="finished"] li[data-stream-id="${id}"]`).waitFor({ timeout: 60_000 });
    await expect.poll(async () => page.locator(`[data-testid="live-row"]`).count(), { timeout: 60_000 }).toBe(0);
    // Their bills are listed under the table, final, with their end reason.
    await expect
      .poll(() => page.locator(`[data-testid="recent-bills"] tr[data-stream-id="${ids[1]}"]`).textContent(), { timeout: 60_000 })
      .toMatch(/final.*complete.*USD/);
    await page.screenshot({ path: join(shots, '2-live-finished.png') });
  });

  it('stream detail shows the replayed text equal to what the client received, the timeline and the itemised bill', async () => {
    const reader = readers[1]!;
    const id = idOf(reader);
    await page.goto(`${cli.url}/admin#/stream/${id}`);
    await expect.poll(() => page.getByTestId('bill-state').textContent(), { timeout: 60_000 }).toBe('final');
    expect(await page.getByTestId('replayed-text').textContent()).toBe(textOf(reader));
    expect(await page.getByTestId('bill-end-reason').textContent()).toBe('complete');
    const timeline = (await page.getByTestId('timeline').textContent()) ?? '';
    for (const kind of ['start', 'chunks', 'complete', 'end']) expect(timeline).toContain(kind);
    expect(await page.getByTestId('line-total').textContent()).toMatch(/^\d+\.\d+ USD$/);
    await page.screenshot({ path: join(shots, '3-stream-detail.png'), fullPage: true });

    // The closed stream: its bill says client_abort, its text is what was sent before the close.
    const closed = readers[0]!;
    await page.goto(`${cli.url}/admin#/stream/${idOf(closed)}`);
    await expect.poll(() => page.getByTestId('bill-end-reason').textContent(), { timeout: 60_000 }).toBe('client_abort');
    expect(await page.getByTestId('replayed-text').textContent()).toBe(textOf(closed));
  });

  it('traffic counts the finished streams; spend totals equal /api/billing/report', async () => {
    await page.goto(`${cli.url}/admin#/traffic`);
    await expect.poll(async () => Number(await page.getByTestId('finished-count').textContent()), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
    await nextFrames(); // charts draw on the next frame
    await page.screenshot({ path: join(shots, '4-traffic.png'), fullPage: true });

    await page.goto(`${cli.url}/admin#/spend`);
    await page.getByTestId('spend-total').waitFor();
    const report = await fetchJson(`${cli.url}/api/billing/report`, { key: devKey });
    expect(report.json.totals.count).toBeGreaterThanOrEqual(3);
    expect(decimal((await page.getByTestId('spend-total').textContent()) ?? '')).toBe(decimal(report.json.totals.cost.total));
    const rows = await page.locator('[data-testid="spend-table"] tbody tr').count();
    expect(rows).toBe(report.json.groups.length === 0 ? 0 : (await fetchJson(`${cli.url}/api/billing/report?groupBy=model`, { key: devKey })).json.groups.length);
    await nextFrames();
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

  it('issues an invoice whose total equals the API and the report, downloads its CSV, then cancels it with a credit note', async () => {
    // A range that ended now: every stream so far ended inside it (a month must be over to be invoiced).
    const from = new Date(Date.now() - 3_600_000).toISOString();
    await page.goto(`${cli.url}/admin#/invoices`);
    await expect.poll(() => page.getByTestId('invoices').textContent()).toContain('No invoice issued');
    await page.getByLabel('Invoice period kind').selectOption('range');
    await page.getByLabel('Invoice from').fill(from);
    await page.getByRole('button', { name: 'Issue invoice' }).click();
    await page.getByTestId('invoice').waitFor({ timeout: 60_000 });
    const number = (await page.getByTestId('invoice').getAttribute('data-number'))!;
    const api = (await fetchJson(`${cli.url}/api/billing/invoices/${encodeURIComponent(number)}`, { key: devKey })).json.invoice;
    expect(api.kind).toBe('invoice');
    expect(api.recordCount).toBeGreaterThanOrEqual(3);
    expect(decimal((await page.getByTestId('invoice-total').textContent()) ?? '')).toBe(decimal(api.totals.total));
    expect(decimal((await page.getByTestId('invoice-amountDue').textContent()) ?? '')).toBe(decimal(api.totals.amountDue));
    expect(await page.getByTestId('invoice-total').textContent()).toContain(api.currency);
    // The invoice sums exactly what the report sums for the same period.
    const report = await fetchJson(`${cli.url}/api/billing/report?from=${encodeURIComponent(api.period.from)}&to=${encodeURIComponent(api.period.to)}`, { key: devKey });
    expect(api.totals.total).toBe(report.json.totals.cost.total);
    // One "Token cost" line per model, with its unit.
    expect(await page.getByTestId('invoice-lines').textContent()).toContain('1K tokens');
    await page.screenshot({ path: join(shots, '9-invoice.png'), fullPage: true });

    // The CSV download is the API's CSV, byte for byte.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`${number}.csv`);
    const saved = readFileSync((await download.path())!, 'utf8');
    expect(saved).toBe((await fetchJson(`${cli.url}/api/billing/invoices/${encodeURIComponent(number)}?format=csv`, { key: devKey })).text);

    // Issuing the same period again is refused while the invoice stands; the API's message is shown.
    await page.goto(`${cli.url}/admin#/invoices`);
    await page.locator(`[data-testid="invoices"] tr[data-number="${number}"]`).waitFor();
    await page.getByLabel('Invoice period kind').selectOption('range');
    await page.getByLabel('Invoice from').fill(api.period.from);
    await page.getByLabel('Invoice to').fill(api.period.to);
    await page.getByRole('button', { name: 'Issue invoice' }).click();
    await expect.poll(() => page.getByTestId('form-error').textContent()).toContain('already covers this period');

    await page.goto(`${cli.url}/admin#/invoices/${encodeURIComponent(number)}`);
    await page.getByLabel('Credit note reason').fill('issued by the e2e test');
    await page.getByRole('button', { name: 'Issue credit note' }).click();
    const note = page.locator('[data-testid="credit-notes"] li');
    await note.waitFor({ timeout: 60_000 });
    const listed = (await fetchJson(`${cli.url}/api/billing/invoices`, { key: devKey })).json.invoices as Array<{ kind: string; number: string; refersTo?: string; totals: { total: string } }>;
    const credit = listed.find((i) => i.kind === 'credit_note' && i.refersTo === number)!;
    expect(credit).toBeDefined();
    expect(await note.getAttribute('data-number')).toBe(credit.number);
    expect(decimal(credit.totals.total)).toBe(decimal(`-${api.totals.total}`));
    expect(decimal((await note.getByTestId('credit-total').textContent()) ?? '')).toBe(decimal(credit.totals.total));
    await page.goto(`${cli.url}/admin#/invoices`);
    await page.locator(`[data-testid="invoices"] tr[data-number="${credit.number}"][data-kind="credit_note"]`).waitFor();
    await page.screenshot({ path: join(shots, '10-invoices.png'), fullPage: true });
  });

  it('a budget alert fires to the local receiver and its delivery shows in the log', async () => {
    // A budget the spend so far already passes: the next stream start raises its alerts.
    await page.goto(`${cli.url}/admin#/budgets`);
    await page.getByLabel('Limit').fill('0.000001');
    await page.getByRole('button', { name: 'Save budget' }).click();
    await expect.poll(() => page.getByTestId('budgets').textContent()).toContain('0.000001 USD');
    const trigger = await openSSE(`${cli.url}/api/stream?prompt=${encodeURIComponent('over budget')}`, { headers: { authorization: `Bearer ${devKey}` } });
    readers.push(trigger);
    await trigger.done;

    await page.goto(`${cli.url}/admin#/webhooks`);
    const row = page.locator('[data-testid="deliveries"] tr[data-kind="budget.month.80"]');
    await row.waitFor({ timeout: 30_000 });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('delivered');
    const id = (await row.getAttribute('data-delivery-id'))!;
    // What the page lists is what reached the receiver, and what the API logs.
    expect(receiver.received.some((h) => h.headers['twin-delivery-id'] === id && h.headers['twin-event'] === 'budget.month.80')).toBe(true);
    const log = (await fetchJson(`${cli.url}/api/admin/webhooks/deliveries?tenant=dev`, { key: devKey })).json.deliveries as Array<{ id: string; attempts: number; url: string }>;
    const logged = log.find((d) => d.id === id)!;
    expect(logged.url).toBe(receiver.url);
    expect(await row.textContent()).toContain(receiver.url);
    expect(await row.locator('td').nth(5).textContent()).toBe(String(logged.attempts));
    // Filters: by status (none failed) and by event.
    await page.getByLabel('Delivery status').selectOption('failed');
    await expect.poll(() => page.locator('[data-testid="deliveries"] tr[data-delivery-id]').count()).toBe(0);
    await page.getByLabel('Delivery status').selectOption('');
    await page.getByLabel('Event').fill('budget.month.100');
    await expect.poll(() => page.locator('[data-testid="deliveries"] tr[data-delivery-id]').count()).toBe(1);
    await page.getByLabel('Event').fill('');
    await page.screenshot({ path: join(shots, '11-webhooks.png'), fullPage: true });
  });

  it('creates a key (secret shown once, works for a stream), edits it, rotates it (old one 401), revokes it', async () => {
    await page.goto(`${cli.url}/admin#/keys`);
    await expect.poll(() => page.getByTestId('keys').textContent()).toContain('(this session)');
    await page.getByRole('button', { name: 'New key…' }).click();
    const form = page.getByTestId('create-key-form');
    await form.getByLabel('Name').fill('e2e key');
    // A bad limit: the API's 400 is shown beside its field, and nothing is created.
    await form.getByLabel('Requests / min').fill('-5');
    await form.getByRole('button', { name: 'Create key' }).click();
    const fieldError = form.locator('[data-field="requestsPerMinute"]');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain('requestsPerMinute');
    expect(await page.getByTestId('keys').textContent()).not.toContain('e2e key');
    await form.getByLabel('Requests / min').fill('600');
    await form.getByRole('button', { name: 'Create key' }).click();

    const panel = page.getByTestId('new-secret');
    await panel.waitFor();
    const secret = (await page.getByTestId('secret-value').textContent())!;
    expect(secret).toMatch(/^twin_sk_/);
    await panel.getByRole('button', { name: 'Copy' }).click();
    await panel.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.screenshot({ path: join(shots, '12-key-created.png'), fullPage: true });
    await panel.getByRole('button', { name: 'Done' }).click();
    await panel.waitFor({ state: 'detached' });
    // Gone from the page once closed, and never stored.
    expect(await page.content()).not.toContain(secret);
    expect(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).not.toContain(secret);

    const keys = (await fetchJson(`${cli.url}/api/keys?tenant=dev`, { key: devKey })).json.keys as Array<{ id: string; name: string; requestsPerMinute: number | null }>;
    const created = keys.find((k) => k.name === 'e2e key')!;
    expect(created.requestsPerMinute).toBe(600);
    const stream = await openSSE(`${cli.url}/api/stream?prompt=${encodeURIComponent('with a new key')}`, { headers: { authorization: `Bearer ${secret}` } });
    readers.push(stream);
    expect(stream.status).toBe(200);
    await stream.done;
    expect(stream.events.at(-1)?.event).toBe('complete');

    // Edit: name and a tokens-per-minute limit.
    const row = page.locator(`[data-testid="keys"] tr[data-key-id="${created.id}"]`);
    await page.getByRole('button', { name: `Edit ${created.id}` }).click();
    const edit = page.getByTestId('edit-key-form');
    await edit.getByLabel('Name').fill('e2e key (edited)');
    await edit.getByLabel('Tokens / min').fill('50000');
    await edit.getByLabel('Allowed models').fill('simulated-fast, simulated-slow');
    await edit.getByRole('button', { name: 'Save key' }).click();
    await expect.poll(() => row.textContent()).toContain('50000 tok/min');
    const edited = (await fetchJson(`${cli.url}/api/keys/${created.id}`, { key: devKey })).json;
    expect(edited).toMatchObject({ name: 'e2e key (edited)', requestsPerMinute: 600, tokensPerMinute: 50000, allowedModels: ['simulated-fast', 'simulated-slow'] });

    // Rotate: a new secret, once; the old one answers 401 from now on.
    await page.getByRole('button', { name: `Rotate ${created.id}` }).click();
    await page.getByRole('button', { name: `Rotate ${created.id} now`, exact: true }).click();
    await panel.waitFor();
    const rotated = (await page.getByTestId('secret-value').textContent())!;
    expect(rotated).toMatch(/^twin_sk_/);
    expect(rotated).not.toBe(secret);
    await panel.getByRole('button', { name: 'Done' }).click();
    await panel.waitFor({ state: 'detached' });
    expect((await fetchJson(`${cli.url}/api/billing/records?limit=1`, { key: secret })).status).toBe(401);
    expect((await fetchJson(`${cli.url}/api/billing/records?limit=1`, { key: rotated })).status).toBe(200);
    await expect.poll(() => row.getByTestId('key-status').textContent()).toBe('revoked');
    const successor = ((await fetchJson(`${cli.url}/api/keys?tenant=dev`, { key: devKey })).json.keys as Array<{ id: string; rotatedFrom: string | null }>).find((k) => k.rotatedFrom === created.id)!;

    // Revoke the successor: 401 from its next request.
    await page.getByRole('button', { name: `Revoke ${successor.id}` }).click();
    await page.getByRole('button', { name: `Revoke ${successor.id} now`, exact: true }).click();
    await expect.poll(() => page.locator(`[data-testid="keys"] tr[data-key-id="${successor.id}"] [data-testid="key-status"]`).textContent()).toBe('revoked');
    expect((await fetchJson(`${cli.url}/api/billing/records?limit=1`, { key: rotated })).status).toBe(401);
    await page.screenshot({ path: join(shots, '13-keys.png'), fullPage: true });
  });

  it('a member key gets none of these pages, and their APIs refuse it', async () => {
    // A member key planted as the tab's session (as if it had been kept): the console asks the
    // server who it is, gets 403, drops the key and shows the sign-in, on each of these pages.
    for (const route of ['invoices', 'webhooks', 'keys']) {
      await page.goto(`${cli.url}/admin#/${route}`);
      await page.evaluate((k) => sessionStorage.setItem('twin-admin-key', k), memberKey);
      await page.reload();
      await expect.poll(() => page.evaluate(() => sessionStorage.getItem('twin-admin-key'))).toBeNull();
      await page.getByLabel('Admin API key').waitFor();
      expect(await page.locator('[data-testid="invoices"], [data-testid="deliveries"], [data-testid="keys"]').count()).toBe(0);
    }
    const asMember = (path: string, method = 'GET', body?: unknown) => fetchJson(`${cli.url}${path}`, { key: memberKey, method, ...(body ? { body } : {}) });
    expect((await asMember('/api/admin/webhooks/deliveries')).status).toBe(403);
    expect((await asMember('/api/billing/invoices', 'POST', { period: '2026-01' })).status).toBe(403);
    expect((await asMember('/api/keys', 'POST', { name: 'x' })).status).toBe(403);
    expect((await asMember('/api/keys')).status).toBe(403);
    await signIn(devKey);
    await page.getByTestId('tenant').waitFor();
  });

  it("a tenant-admin key watches and manages its tenant: keys yes, issuing invoices and the server's webhook log no", async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(tenantAdminKey);
    await expect.poll(() => page.getByTestId('tenant').textContent()).toContain('tenant-admin');
    await page.goto(`${cli.url}/admin#/live`);
    await expect.poll(() => page.getByTestId('feed-status').textContent()).toContain('live');
    expect(await page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    expect((await fetchJson(`${cli.url}/api/admin/webhooks/deliveries`, { key: tenantAdminKey })).status).toBe(403);

    // Its tenant's invoices, read-only.
    await page.goto(`${cli.url}/admin#/invoices`);
    await expect.poll(() => page.locator('[data-testid="invoices"] tr[data-kind="credit_note"]').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Issue invoice' }).count()).toBe(0);

    // Keys of its tenant: it creates a member key (an admin key is not on offer), sees the secret once.
    await page.goto(`${cli.url}/admin#/keys`);
    await expect.poll(() => page.getByTestId('keys').textContent()).toContain('(this session)');
    await page.getByRole('button', { name: 'New key…' }).click();
    const form = page.getByTestId('create-key-form');
    expect(await form.locator('select[name="role"] option').allTextContents()).not.toContain('admin (everything, every tenant)');
    await form.getByLabel('Name').fill('made by the tenant admin');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('secret-value').textContent())!;
    expect((await fetchJson(`${cli.url}/api/billing/records?limit=1`, { key: secret })).status).toBe(200);
    await page.getByTestId('new-secret').getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByTestId('keys').textContent()).toContain('made by the tenant admin');
    expect(await page.locator('details', { hasText: 'Add or change a price' }).isVisible()).toBe(false);
    await page.screenshot({ path: join(shots, '14-tenant-admin.png'), fullPage: true });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(devKey);
    await page.getByTestId('tenant').waitFor();
  });

  it("an admin key of another tenant sees nothing of this tenant's streams, spend, keys, invoices or deliveries", async () => {
    const running = await openSSE(`${cli.url}/api/stream?prompt=secret`, { headers: { authorization: `Bearer ${devKey}` } });
    readers.push(running);
    await running.waitFor((e) => e.some((x) => x.event === 'chunk'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(otherKey);
    await page.goto(`${cli.url}/admin#/live`);
    await expect.poll(() => page.getByTestId('feed-status').textContent()).toContain('live');
    // A later snapshot than the first one seen: the feed has had its chance to show the stream.
    const first = Number(await page.getByTestId('feed-status').getAttribute('data-at'));
    await expect.poll(async () => Number(await page.getByTestId('feed-status').getAttribute('data-at')), { timeout: 60_000 }).toBeGreaterThan(first);
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
    await page.goto(`${cli.url}/admin#/invoices`);
    await expect.poll(() => page.getByTestId('invoices').textContent()).toContain('No invoice issued for other');
    await page.goto(`${cli.url}/admin#/webhooks`);
    await expect.poll(() => page.getByTestId('deliveries').textContent()).toContain('No delivery yet');
    await page.screenshot({ path: join(shots, '8-other-tenant.png'), fullPage: true });
  });
});
