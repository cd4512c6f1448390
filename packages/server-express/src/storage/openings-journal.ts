import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import type { StreamBillingRecord } from '@twin/core';
import { besideDataDir } from './data-dir-lock';

/**
 * The embedded database's billing openings, appended to a file on the main thread before they are
 * sent to the database's worker, so a stream's first content waits for one `write` instead of a
 * round trip through the worker (see docs/server.md, "Openings journal").
 *
 * Durability: an opening is kept once `append` returned, as a commit of the embedded database is
 * once it returned. PGlite runs Postgres with `fsync` off (`-F`): a commit's WAL is in the OS page
 * cache, not forced to the disk. Both survive the process crashing or being killed (the kernel
 * holds the written pages), and both can be lost by an OS crash or a power cut before the kernel
 * writes them out. The journal adds no window the database did not already have.
 */
export interface OpeningsJournal {
  /**
   * Appends one opening. True once it is written (a process crash from then on keeps it); false
   * when the write failed (disk full, I/O error): the caller must then wait for the database.
   */
  append(record: StreamBillingRecord): boolean;
  /** Every opening appended so far is committed in the database: empties the file. */
  clear(): void;
  /**
   * Closes the file. `committed`: everything appended is committed (a clean shutdown), and the
   * file is removed; otherwise what it holds stays for the next start.
   */
  close(committed: boolean): void;
}

/** An opened journal and the openings a previous process left in it (not known to be committed). */
export interface OpenedOpeningsJournal {
  journal: OpeningsJournal;
  leftover: StreamBillingRecord[];
}

/** Paths with a journal open in this process: a second store on the same database does not journal. */
const openPaths = new Set<string>();

/**
 * Opens (creates) the journal at `path` and reads what it holds. Undefined when it is already open
 * in this process or cannot be opened: openings then wait for the database, as without a journal.
 * A line that does not parse (torn by an OS crash mid-write, see above) is skipped.
 */
export function openOpeningsJournal(path: string, onError?: (error: unknown) => void, maxBytes = MAX_JOURNAL_BYTES): OpenedOpeningsJournal | undefined {
  if (openPaths.has(path)) return undefined;
  let fd: number | undefined;
  let text: string;
  try {
    // Its owner's only, as the lock file beside it: billing openings name tenants, keys and users.
    fd = openSync(path, 'a+', 0o600);
    text = readFileSync(fd, 'utf8');
    // A torn last line (see above) is ended, so the next opening starts a line of its own.
    if (text !== '' && !text.endsWith('\n')) writeSync(fd, '\n');
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    onError?.(error);
    return undefined;
  }
  const file = fd;
  openPaths.add(path);
  const leftover: StreamBillingRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const record = JSON.parse(line) as StreamBillingRecord;
      if (typeof record?.streamId === 'string' && typeof record.id === 'string') leftover.push(record);
    } catch {
      // Torn: see above.
    }
  }
  let closed = false;
  // What the file holds: a database that never catches up (every batch commits with more openings
  // queued behind it) would otherwise grow it without bound, and the next start reads it whole.
  let size = fstatSync(file).size;
  return {
    leftover,
    journal: {
      append(record) {
        if (closed) return false;
        try {
          // One write of the whole line: appended at the end however the file was truncated (O_APPEND).
          const line = Buffer.from(`${JSON.stringify(record)}\n`);
          // Full: this opening waits for the database (false), as when the write fails.
          if (size + line.length > maxBytes) return false;
          const written = writeSync(file, line);
          size += written;
          if (written === line.length) return true;
          // Cut short (a full disk): the part written is ended, as a torn line is.
          size += writeSync(file, '\n');
          return false;
        } catch (error) {
          onError?.(error);
          return false;
        }
      },
      clear() {
        if (closed) return;
        try {
          ftruncateSync(file, 0);
          size = 0;
        } catch (error) {
          // The lines stay: the next start inserts them again, which changes nothing (on conflict do nothing).
          onError?.(error);
        }
      },
      close(committed) {
        if (closed) return;
        closed = true;
        openPaths.delete(path);
        closeSync(file);
        if (committed) rmSync(path, { force: true });
      },
    },
  };
}

/**
 * The journal's largest size: some 25,000 openings. Past it, openings wait for the database's
 * commit until it has caught up and emptied the file.
 */
const MAX_JOURNAL_BYTES = 8 * 1024 * 1024;

const JOURNAL = Symbol('openings journal');

/** The openings journal of a PGlite folder: beside it, as its lock file. */
export function openingsJournalPathOf(dataDir: string): string {
  return besideDataDir(dataDir, '.openings');
}

/** Marks database `db` (an embedded database on a folder) as journaling its stores' openings at `path`. */
export function journalOpeningsOf(db: object, path: string): void {
  Object.defineProperty(db, JOURNAL, { value: path });
}

/**
 * Where a store journals its billing openings on database `db`, or undefined (a Postgres server,
 * an in-memory database: openings wait for the database).
 */
export function openingsJournalPath(db: object): string | undefined {
  return (db as { [JOURNAL]?: string })[JOURNAL];
}
