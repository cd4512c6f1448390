import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwinStore, type OpenedDatabase, type TwinStore } from '../src/index';
import { budgetCommand } from '../src/cli/budget-command';
import { openTestDatabase, startTestServer } from './test-server';

let db: OpenedDatabase;
let store: TwinStore;
beforeAll(async () => {
  db = await openTestDatabase();
  store = createTwinStore(db.db, { batchIntervalMs: 5 });
});
afterAll(async () => {
  await store?.close();
  await db?.close();
});

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const [sub, ...rest] = argv;
  const code = await budgetCommand(sub, rest, () => ({ server: undefined, withStore: (fn) => fn(store) }), (s) => (out += s));
  return { code, out };
}

describe('twin-server budget', () => {
  it("sets a tenant's, a key's and an end user's budget side by side, and lists them", async () => {
    expect((await run('set', '--tenant', 'acme', '--period', 'month', '--limit', '100', '--action', 'block')).code).toBe(0);
    expect((await run('set', '--tenant', 'acme', '--key', 'key_abc', '--period', 'day', '--limit', '2.50', '--alert', '50,100')).code).toBe(0);
    expect((await run('set', '--tenant', 'acme', '--user', 'ann-42', '--period', 'month', '--limit', '0.75', '--action', 'block')).code).toBe(0);
    // Setting the same scope and period again replaces it.
    expect((await run('set', '--tenant', 'acme', '--user', 'ann-42', '--period', 'month', '--limit', '1', '--action', 'block')).code).toBe(0);
    const list = await run('list', '--tenant', 'acme');
    expect(list.out.trim().split('\n').sort()).toEqual(['apiKey:key_abc\tday\t2.50 USD\talert\t50,100', 'tenant\tmonth\t100 USD\tblock\t80,100', 'user:ann-42\tmonth\t1 USD\tblock\t80,100']);
  });

  it('refuses bad input naming it, and both --key and --user', async () => {
    await expect(run('set', '--tenant', 'acme', '--user', 'has space', '--period', 'month', '--limit', '1')).rejects.toThrow(/scope\.id/);
    await expect(run('set', '--tenant', 'acme', '--period', 'year', '--limit', '1')).rejects.toThrow(/period/);
    await expect(run('set', '--tenant', 'acme', '--key', 'k', '--user', 'u', '--period', 'day', '--limit', '1')).rejects.toThrow(/not both/);
    expect((await run('frobnicate')).code).toBe(2);
  });

  it('goes through a running server: an admin key sets and lists another tenant\'s budget, applied at once', async () => {
    const serverDb = await openTestDatabase();
    const t = await startTestServer(serverDb);
    try {
      const server = { url: t.url, key: t.keys.admin };
      const viaServer = async (...argv: string[]) => {
        let out = '';
        const [sub, ...rest] = argv;
        const code = await budgetCommand(sub, rest, () => ({ server, withStore: () => Promise.reject(new Error('the database must not be opened while a server owns it')) }), (s) => (out += s));
        return { code, out };
      };
      const tenant = 'acme-' + Math.random().toString(36).slice(2, 8);
      const set = await viaServer('set', '--tenant', tenant, '--period', 'month', '--limit', '0.5', '--action', 'block', '--alert', '50');
      expect(set).toEqual({ code: 0, out: `budget set: tenant ${tenant}, month, 0.5 USD, block (applied by the server at ${t.url})\n` });
      expect((await viaServer('list', '--tenant', tenant)).out).toBe('tenant\tmonth\t0.5 USD\tblock\t50\n');
      // Stored for that tenant, not the admin key's own.
      expect((await t.store.listBudgets(tenant)).map((b) => b.limitAmount)).toEqual(['0.5']);
      // A member key of another tenant may not act for this one.
      const member = { url: t.url, key: t.keys.t2 };
      await expect(budgetCommand('set', ['--tenant', tenant, '--period', 'day', '--limit', '1'], () => ({ server: member, withStore: () => Promise.reject(new Error('unused')) }), () => undefined)).rejects.toThrow(/403 .*Only admin API keys may act for another tenant/);
    } finally {
      await t.close();
      await serverDb.close();
    }
  });
});

