import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import postgres from 'postgres';
import { POSTGRES_TEST_URL, postgresReachable } from './postgres-test-database';
import { fetchJson, openSSE, type SSEReader } from './read-sse';

// These tests run the BUILT server (`pnpm build` first), as an operator would.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cli = join(packageDir, 'dist/cli.js');
const dataDir = mkdtempSync(join(tmpdir(), 'twin-gateway-'));
const configFile = join(dataDir, 'twin.yaml');
const children: ChildProcess[] = [];
const baseEnv = { PATH: process.env.PATH, TWIN_DATA_DIR: dataDir, HOST: '127.0.0.1', TWIN_SIMULATED_TOKENS_PER_SECOND: '10', TWIN_MAX_CONNECTIONS_PER_KEY: '200' };

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
}

function serve(env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [cli], { env: { ...baseEnv, PORT: '0', TWIN_CONFIG: configFile, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /twin-server {2}(http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`twin-server exited with ${code}:\n${out}`)));
  });
}

let server: Awaited<ReturnType<typeof serve>>;
let devKey: string;
beforeAll(async () => {
  if (!existsSync(cli)) throw new Error('Run `pnpm build` first: this test starts dist/cli.js.');
  // `sim2` (the reload test's renamed simulated provider) has no price: this operator allows that.
  writeFileSync(configFile, 'unpricedModels: allow\nmodels:\n  chat: [simulated/sim-1]\n');
  server = await serve();
  devKey = readFileSync(join(dataDir, 'dev-api-key'), 'utf8').trim();
  // A first start creates the embedded database (initdb), which takes minutes on a loaded machine.
}, 300_000);
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the built twin-server as an operator runs it', () => {
  it('prints a short banner: URL, storage, providers, config, where the key is', () => {
    const banner = server.output();
    expect(banner).toMatch(/twin-server {2}http:\/\/127\.0\.0\.1:\d+/);
    expect(banner).toMatch(/storage {6}PGlite in /);
    expect(banner).toMatch(/providers {4}simulated \(default\); aliases chat/);
    expect(banner).toContain(`api key      ${join(dataDir, 'dev-api-key')}`);
    expect(banner.split('\n').length).toBeLessThan(20);
  });

  it('refuses a second process on the same data folder with a clear error', async () => {
    const second = await run([], { PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.err).toMatch(new RegExp(`in use by process ${server.child.pid} \\(twin-server serve at ${server.url.replace(/\./g, '\\.')}\\)`));
  });

  it('manages keys with the CLI through the running server: a created key works at once, a revoked one at once no more', async () => {
    const created = await run(['keys', 'create', '--tenant', 'acme', '--name', 'ci', '--rpm', '50', '--json']);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.out) as { id: string; key: string; requestsPerMinute: number };
    expect(key.requestsPerMinute).toBe(50);
    const ok = await fetchJson(`${server.url}/api/stream/active`, { key: key.key });
    expect(ok.status).toBe(200);
    const listed = await run(['keys', 'list', '--tenant', 'acme']);
    expect(listed.out).toMatch(new RegExp(`${key.id}\\tacme\\tmember\\t.*\\tci\\tactive\\t50 rpm`));
    expect((await run(['keys', 'revoke', key.id])).out).toBe(`revoked ${key.id}\n`);
    expect((await fetchJson(`${server.url}/api/stream/active`, { key: key.key })).status).toBe(401);
    const noKey = await run(['keys', 'list'], { TWIN_DATA_DIR: join(dataDir, 'elsewhere'), TWIN_URL: server.url });
    expect([noKey.code, noKey.err]).toEqual([1, expect.stringMatching(/pass an admin key with --admin-key or TWIN_ADMIN_KEY/)]);
  });

  it('reloads the routing config on SIGHUP during 100 live streams without losing one', async () => {
    const open: SSEReader[] = [];
    for (let i = 0; i < 100; i++) {
      open.push(await openSSE(`${server.url}/api/stream`, { headers: { authorization: `Bearer ${devKey}` }, body: { model: 'chat', messages: [{ role: 'user', content: `stream ${i}` }] } }));
    }
    await Promise.all(open.map((r) => r.waitFor((e) => e.some((x) => x.event === 'chunk'), 30_000)));
    writeFileSync(configFile, 'unpricedModels: allow\nproviders:\n  sim2: { type: simulated, defaultModel: sim-2, tokensPerSecond: 1000 }\nmodels:\n  chat: [sim2/sim-2]\n  fast: [simulated/sim-1]\n');
    server.child.kill('SIGHUP');
    // The signal is handled asynchronously: wait until the reload shows, the limit only catches a hang.
    const routing = await vi.waitFor(
      async () => {
        const r = await fetchJson(`${server.url}/api/admin/routing`, { key: devKey });
        expect(r.json.aliases.fast).toBeDefined();
        return r as { json: { aliases: Record<string, string[]> } };
      },
      { timeout: 60_000, interval: 10 },
    );
    expect(routing.json.aliases).toEqual({ chat: ['sim2/sim-2'], fast: ['simulated/sim-1'] });
    const after = await openSSE(`${server.url}/api/stream`, { headers: { authorization: `Bearer ${devKey}` }, body: { model: 'chat', messages: [{ role: 'user', content: 'new' }] } });
    await after.done;
    expect([after.status, after.events.at(-1)?.event]).toEqual([200, 'complete']);

    await Promise.all(open.map((r) => r.done));
    expect(open.map((r) => r.events.at(-1)!.event)).toEqual(Array(100).fill('complete'));
    // Bills are finalised in write-behind batches just after each stream's last event.
    const records = await vi.waitFor(
      async () => {
        const listed: Array<{ streamId: string; provider: string; state: string }> = (await fetchJson(`${server.url}/api/billing/records?limit=200`, { key: devKey })).json.records;
        expect(listed.filter((r) => r.state === 'final').length).toBeGreaterThanOrEqual(101);
        return listed;
      },
      { timeout: 90_000, interval: 100 },
    );
    const byStream = new Map(records.map((r) => [r.streamId, r]));
    for (const r of open) expect(byStream.get(r.headers['x-twin-stream-id'] as string)).toMatchObject({ provider: 'simulated', state: 'final' });
    expect(byStream.get(after.headers['x-twin-stream-id'] as string)).toMatchObject({ provider: 'sim2' });
  }, 240_000);

  it('keeps the running config when a reload finds the file invalid, naming the path in the file', async () => {
    writeFileSync(configFile, 'models:\n  chat: [no-slash-here]\n');
    const reload = await fetchJson(`${server.url}/api/admin/routing/reload`, { method: 'POST', key: devKey });
    expect(reload.status).toBe(400);
    expect(reload.json.error.message).toMatch(/models\.chat\.0: must be "provider\/model"/);
    expect((await fetchJson(`${server.url}/api/admin/routing`, { key: devKey })).json.aliases.fast).toEqual(['simulated/sim-1']);
  });

  it('fails to start on an invalid config file, naming the path in the file', async () => {
    const bad = join(dataDir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ providers: { x: { type: 'openai', baseURL: 'not a url' } } }));
    const started = await run([], { PORT: '0', TWIN_CONFIG: bad, TWIN_DATA_DIR: join(dataDir, 'other') });
    expect(started.code).toBe(1);
    expect(started.err).toMatch(/providers\.x\.baseURL/);
  });
});

describe.skipIf(!(await postgresReachable()))('the built twin-server on Postgres', () => {
  const schema = `twin_cli_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const pgEnv = { DATABASE_URL: POSTGRES_TEST_URL, TWIN_DB_SCHEMA: schema, TWIN_DATA_DIR: join(dataDir, 'pg-unused') };
  afterAll(async () => {
    const admin = postgres(POSTGRES_TEST_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => admin.end({ timeout: 2 }));
  });

  it('creates the first admin key on the database, then manages keys through the running server with TWIN_URL and TWIN_ADMIN_KEY', async () => {
    const first = await run(['keys', 'create', '--tenant', 'ops', '--role', 'admin', '--json'], pgEnv);
    expect(first.code).toBe(0);
    const admin = JSON.parse(first.out) as { key: string };
    const pg = await serve({ ...pgEnv, TWIN_CONFIG: '' });
    expect(pg.output()).toMatch(/storage {6}Postgres /);
    const viaHttp = { ...pgEnv, TWIN_URL: pg.url, TWIN_ADMIN_KEY: admin.key };
    const created = await run(['keys', 'create', '--tenant', 'acme', '--tpm', '1000', '--json'], viaHttp);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.out) as { id: string; key: string };
    expect(created.err).toBe('');
    expect((await fetchJson(`${pg.url}/api/stream/active`, { key: key.key })).status).toBe(200);
    expect((await run(['keys', 'rotate', key.id, '--json'], viaHttp)).code).toBe(0);
    expect((await fetchJson(`${pg.url}/api/stream/active`, { key: key.key })).status).toBe(401);
    const listed = await run(['keys', 'list', '--tenant', 'acme'], viaHttp);
    expect(listed.out.trim().split('\n').map((l) => l.split('\t')[5])).toEqual(['revoked', 'active']);
    pg.child.kill('SIGTERM');
  }, 240_000);
});
