import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { openBillingRecord, type StreamBillingRecord } from '@twin/core';
import { createTwinStore, openDatabase, type OpenedDatabase } from '../src/index';
import { createBillingRecordStore } from '../src/storage/billing-records';
import { openingsJournalPath, openingsJournalPathOf } from '../src/storage/openings-journal';
import { pgliteTemplate } from './pglite-template';

/**
 * The embedded database's openings journal: a stream's opening is durable once appended beside the
 * PGlite folder (its content may go), and a start after a crash inserts what the journal holds, so
 * every stream whose content a client saw has its billing record (see OpeningsJournal).
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
const opening = (streamId: string) => openBillingRecord({ streamId, tenantId: 't1', provider: 'simulated', model: 'm', startedAt: Date.UTC(2026, 0, 1), currency: 'USD' });

async function folderDatabase(): Promise<{ db: OpenedDatabase; dataDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'twin-ttfb2-openings-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'pglite');
  const db = await openDatabase({ dataDir, loadDataDir: await pgliteTemplate() });
  cleanups.push(() => db.close());
  return { db, dataDir };
}

describe('openings journal (embedded database on a folder)', () => {
  it('inserts the openings a crashed process journaled, before open records are listed, then empties the journal', async () => {
    const { db, dataDir } = await folderDatabase();
    const path = openingsJournalPathOf(dataDir);
    expect(openingsJournalPath(db.db)).toBe(path);
    // As a process killed after appending two openings, one of them committed before it died.
    const committed = createTwinStore(db.db);
    committed.openings.push(opening('s-committed'));
    await committed.flush();
    await committed.close();
    writeFileSync(path, `${JSON.stringify(opening('s-lost'))}\n${JSON.stringify(opening('s-committed'))}\n`);

    const store = createTwinStore(db.db);
    cleanups.push(() => store.close());
    const open = await store.listOpenBillingRecords();
    expect(open.map((r) => r.streamId).sort()).toEqual(['s-committed', 's-lost']);
    expect((await store.getBillingRecord('t1', 's-lost'))?.state).toBe('open');
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('opens the gate once the opening is journaled; the row still lands, and a clean close removes the journal', async () => {
    const { db, dataDir } = await folderDatabase();
    const path = openingsJournalPathOf(dataDir);
    const store = createTwinStore(db.db);
    store.openings.push(opening('s1'));
    await store.openings.durable();
    // Durable through the journal, before the database's commit (which needs a round trip to its worker).
    expect(store.openings.pending).toBe(1);
    expect(readFileSync(path, 'utf8')).toContain('"streamId":"s1"');
    await store.flush();
    expect((await store.getBillingRecord('t1', 's1'))?.state).toBe('open');
    expect(readFileSync(path, 'utf8')).toBe('');
    await store.close();
    expect(existsSync(path)).toBe(false);
  });

  it("a journaled opening still waiting for its batch's statement is visible to the records' readers at once", async () => {
    const { db } = await folderDatabase();
    const store = createTwinStore(db.db);
    cleanups.push(() => store.close());
    store.openings.push(opening('s-listed'));
    store.openings.push(opening('s-read'));
    await store.openings.durable();
    // Journaled, not yet sent: the batch waits its interval.
    expect(store.openings.pending).toBe(2);
    expect((await store.listBillingRecords('t1')).map((r) => r.streamId).sort()).toEqual(['s-listed', 's-read']);
    store.openings.push(opening('s-got'));
    expect((await store.getBillingRecord('t1', 's-got'))?.state).toBe('open');
  });

  it("with the journal, the openings' statement leaves with the others' (one per batch interval, or with an ending); without one, at once", async () => {
    const microtasks = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    // Only the batch's timer is faked: the turn (setImmediate) and the microtasks stay real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onTestFinished(() => void vi.useRealTimers());
    for (const journaled of [true, false]) {
      const sent: unknown[] = [];
      // Only what the openings writer calls: the statement handed to the database.
      const db = { execute: async (query: unknown) => (sent.push(query), []) } as unknown as Parameters<typeof createBillingRecordStore>[0];
      const store = createBillingRecordStore(db, 'default', undefined, undefined, journaled ? { leftover: [], journal: { append: () => true, clear() {}, close() {} } } : undefined);
      store.openings.push(opening(journaled ? 'j1' : 'n1'));
      await microtasks();
      expect(sent).toHaveLength(journaled ? 0 : 1);
      if (journaled) {
        // Durable already, so the stream's content is not held for the statement.
        await store.openings.durable();
        store.openings.push(opening('j2'));
        await new Promise((resolve) => setImmediate(resolve));
        expect(sent).toHaveLength(0);
        // Both streams' openings in one statement, once the batch is due (its timer on a fake clock).
        await vi.advanceTimersByTimeAsync(50);
        expect(sent).toHaveLength(1);
      }
      await store.openings.close();
    }
  });

  it('without a journal (in memory), or when its write fails, durable() waits for the commit', async () => {
    const db = await openDatabase({ dataDir: 'memory://', loadDataDir: await pgliteTemplate() });
    cleanups.push(() => db.close());
    expect(openingsJournalPath(db.db)).toBeUndefined();
    const store = createTwinStore(db.db);
    store.openings.push(opening('m1'));
    await store.openings.durable();
    expect(store.openings.pending).toBe(0);
    expect((await store.getBillingRecord('t1', 'm1'))?.state).toBe('open');
    await store.close();

    const appended: StreamBillingRecord[] = [];
    const failing = createBillingRecordStore(db.db, 'default', undefined, undefined, {
      leftover: [],
      journal: { append: (r) => (appended.push(r), false), clear() {}, close() {} },
    });
    failing.openings.push(opening('m2'));
    await failing.openings.durable();
    expect(failing.openings.pending).toBe(0);
    expect(appended.map((r) => r.streamId)).toEqual(['m2']);
    expect((await failing.getBillingRecord('t1', 'm2'))?.state).toBe('open');
    await failing.openings.close();
  });
});
