import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openBillingRecord } from '@twin/core';
import { openOpeningsJournal, openingsJournalPathOf } from './openings-journal';

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});
const journalFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'twin-ttfb2-journal-'));
  folders.push(dir);
  return join(dir, 'pglite.openings');
};
const opening = (streamId: string) => openBillingRecord({ streamId, tenantId: 't1', provider: 'simulated', model: 'm', startedAt: Date.UTC(2026, 0, 1), currency: 'USD' });

describe('openOpeningsJournal', () => {
  it('sits beside the PGlite folder', () => {
    expect(openingsJournalPathOf('/data/twin/pglite/')).toBe('/data/twin/pglite.openings');
  });

  it('gives the next start what a process appended and did not clear, in order', () => {
    const path = journalFile();
    const first = openOpeningsJournal(path)!;
    expect(first.leftover).toEqual([]);
    expect(first.journal.append(opening('s1'))).toBe(true);
    expect(first.journal.append(opening('s2'))).toBe(true);
    // Readable by its owner only, as the lock file beside it.
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // One journal per file in a process: a second store on the same database waits for the database.
    expect(openOpeningsJournal(path)).toBeUndefined();
    first.journal.close(false);
    const next = openOpeningsJournal(path)!;
    expect(next.leftover).toEqual([opening('s1'), opening('s2')]);
    next.journal.close(false);
  });

  it('forgets what was cleared, and removes the file on a clean close', () => {
    const path = journalFile();
    const { journal } = openOpeningsJournal(path)!;
    journal.append(opening('s1'));
    journal.clear();
    journal.append(opening('s2'));
    expect(readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).streamId)).toEqual(['s2']);
    journal.close(true);
    expect(existsSync(path)).toBe(false);
    // Closed: nothing more is written, and the caller is told so.
    expect(journal.append(opening('s3'))).toBe(false);
  });

  it('skips a torn last line and starts the next opening on a line of its own', () => {
    const path = journalFile();
    writeFileSync(path, `${JSON.stringify(opening('s1'))}\n{"id":"bill_s2","streamId":"s`);
    const opened = openOpeningsJournal(path)!;
    expect(opened.leftover.map((r) => r.streamId)).toEqual(['s1']);
    opened.journal.append(opening('s3'));
    opened.journal.close(false);
    const again = openOpeningsJournal(path)!;
    expect(again.leftover.map((r) => r.streamId)).toEqual(['s1', 's3']);
    again.journal.close(false);
  });

  it('stops at its size limit until cleared: those openings wait for the database', () => {
    const path = journalFile();
    const line = Buffer.byteLength(`${JSON.stringify(opening('s1'))}\n`);
    const { journal } = openOpeningsJournal(path, undefined, 2 * line)!;
    expect(journal.append(opening('s1'))).toBe(true);
    expect(journal.append(opening('s2'))).toBe(true);
    expect(journal.append(opening('s3'))).toBe(false);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
    journal.clear();
    expect(journal.append(opening('s4'))).toBe(true);
    journal.close(false);
  });

  it('counts what a previous process left toward the limit', () => {
    const path = journalFile();
    const line = Buffer.byteLength(`${JSON.stringify(opening('s1'))}\n`);
    writeFileSync(path, `${JSON.stringify(opening('s1'))}\n`);
    const opened = openOpeningsJournal(path, undefined, 2 * line)!;
    expect(opened.journal.append(opening('s2'))).toBe(true);
    expect(opened.journal.append(opening('s3'))).toBe(false);
    opened.journal.close(false);
  });
});
