import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { TwinError } from '@twin/core';

/** What the lock file says about its holder. */
export interface DataDirLockInfo {
  pid: number;
  /** What holds it: `serve`, `keys`, `migrate`. */
  command: string;
  startedAt: string;
  /** The server's URL once it listens, so `twin-server keys` can talk to it instead. */
  url?: string;
}

/** A held lock on an embedded data folder. */
export interface DataDirLock {
  readonly path: string;
  /** Records the server's URL in the lock file. */
  setUrl(url: string): void;
  release(): void;
}

/** A file beside a PGlite folder (`<folder><suffix>`), so PGlite's own folder stays untouched. */
export function besideDataDir(dataDir: string, suffix: string): string {
  return `${dataDir.replace(/[/\\]+$/, '')}${suffix}`;
}

/** The lock file of a PGlite folder. */
export function lockPathOf(dataDir: string): string {
  return besideDataDir(dataDir, '.lock');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder of a folder's lock when a live process holds it (a stale lock file reads as free). */
export function readDataDirLock(dataDir: string): DataDirLockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(lockPathOf(dataDir), 'utf8')) as DataDirLockInfo;
    return typeof info.pid === 'number' && alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock on an embedded database folder: one process at a time, since two PGlite
 * instances on one folder corrupt or lose each other's writes. The lock file (`<dir>.lock`) holds
 * the pid; a lock whose process is gone (a crash, a kill -9) is stale and taken over. A live
 * holder makes this throw a `config_invalid` error that says who holds it.
 */
export function acquireDataDirLock(dataDir: string, command: string): DataDirLock {
  const path = lockPathOf(dataDir);
  mkdirSync(dirname(path), { recursive: true });
  const info: DataDirLockInfo = { pid: process.pid, command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readDataDirLock(dataDir);
      if (holder && holder.pid !== process.pid) {
        throw new TwinError(
          'config_invalid',
          `The data folder ${dataDir} is in use by process ${holder.pid} (twin-server ${holder.command}${holder.url ? ` at ${holder.url}` : ''}). ` +
            'Only one process may open an embedded database: stop it first, or manage keys through the running server (twin-server keys ... talks to it over HTTP).',
          { details: { lock: path, pid: holder.pid } },
        );
      }
      // Stale (its process is gone) or unreadable: take it over.
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, JSON.stringify(info));
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      try {
        const current = JSON.parse(readFileSync(path, 'utf8')) as DataDirLockInfo;
        if (current.pid === process.pid) rmSync(path, { force: true });
      } catch {
        // Already gone.
      }
    };
    process.once('exit', release);
    return {
      path,
      setUrl(url) {
        info.url = url;
        writeFileSync(path, JSON.stringify(info), { mode: 0o600 });
      },
      release() {
        process.removeListener('exit', release);
        release();
      },
    };
  }
  throw new TwinError('config_invalid', `Could not take the lock ${path}.`);
}
