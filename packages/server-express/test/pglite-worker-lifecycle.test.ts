import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/index';
import { startPgliteWorker } from '../src/storage/pglite-worker-client';
import { apiKeys } from '../src/storage/schema';

// Start, close, crash and refusal of the embedded database's worker thread. Its own file (apart
// from the query tests in pglite-worker.test.ts) so the two run side by side: each boots PGlite
// several times, which is most of their time.

const key = (id: string) => ({ id, tenantId: 't1', name: id, keyHash: `hash-${id}`, prefix: id.slice(0, 4) });

describe('PGlite worker lifecycle', () => {
  it('close() flushes the data to the folder and ends the worker; a query after it fails with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-pglite-worker-'));
    try {
      const first = await openDatabase({ dataDir: dir });
      await first.db.insert(apiKeys).values(key('persisted'));
      await first.close();
      await expect(first.db.select().from(apiKeys)).rejects.toMatchObject({ cause: { message: 'The embedded database is closed.' } });

      const second = await openDatabase({ dataDir: dir });
      expect((await second.db.select().from(apiKeys)).map((k) => k.id)).toEqual(['persisted']);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a new folder starts from a dump (loadDataDir) with its rows; a folder that holds a database keeps its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-pglite-worker-'));
    try {
      const source = await openDatabase({ dataDir: join(dir, 'source') });
      await source.db.insert(apiKeys).values(key('dumped'));
      await source.close();
      const pg = await PGlite.create({ dataDir: join(dir, 'source') });
      writeFileSync(join(dir, 'dump.tar'), Buffer.from(await (await pg.dumpDataDir('none')).arrayBuffer()));
      await pg.close();

      const loaded = await openDatabase({ dataDir: join(dir, 'loaded'), loadDataDir: join(dir, 'dump.tar') });
      expect((await loaded.db.select().from(apiKeys)).map((k) => k.id)).toEqual(['dumped']);
      await loaded.db.insert(apiKeys).values(key('added'));
      await loaded.close();

      const again = await openDatabase({ dataDir: join(dir, 'loaded'), loadDataDir: join(dir, 'dump.tar') });
      expect((await again.db.select().from(apiKeys)).map((k) => k.id).sort()).toEqual(['added', 'dumped']);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(process.platform === 'linux')('runs its thread at the niceness asked for, so the event loop serving streams gets the CPU first; the main thread keeps its own', async () => {
    // Relative to the process's own niceness: raising it needs no privilege, lowering it would.
    const mine = getPriority(process.pid);
    const asked = Math.min(19, mine + 5);
    const client = await startPgliteWorker({ dataDir: 'memory://', settings: [], nice: asked });
    try {
      expect(client.threadId).toBeTypeOf('number');
      expect(client.threadId).not.toBe(process.pid);
      expect(getPriority(client.threadId!)).toBe(asked);
      expect(getPriority(process.pid)).toBe(mine);
    } finally {
      await client.close();
    }
    const plain = await startPgliteWorker({ dataDir: 'memory://', settings: [] });
    expect(plain.threadId).toBeUndefined();
    await plain.close();
  });

  it('a crashed worker rejects the query in flight and every later one instead of hanging', async () => {
    const client = await startPgliteWorker({ dataDir: 'memory://', settings: [] }, { entry: new URL('./fixtures/crashing-pglite-worker.mjs', import.meta.url) });
    await expect(client.query('select 1', [], 'all')).rejects.toThrow(/worker crashed: simulated worker crash/);
    await expect(client.query('select 1', [], 'all')).rejects.toThrow(/worker crashed/);
  });

  it('refuses to start when the database cannot open, naming the data folder', async () => {
    await expect(startPgliteWorker({ dataDir: 'memory://', settings: ['no_such_setting=1'] })).rejects.toThrow(/Could not open the embedded database at memory:\/\//);
  });
});
