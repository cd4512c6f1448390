import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwinStore, type OpenedDatabase, type TwinStore } from '../src/index';
import { budgetCommand } from '../src/cli/budget-command';
import { openTestDatabase } from './test-server';

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
  const code = await budgetCommand(sub, rest, (fn) => fn(store), (s) => (out += s));
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
});
