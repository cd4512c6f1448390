import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TwinError } from '@twin/core';
import { readDataDirLock } from '../storage/data-dir-lock';
import { pgliteDir, type ServerEnv } from './server-config';

/** A server the CLI sends its work to, and the admin key it uses there. */
export interface RunningServer {
  readonly url: string;
  readonly key: string;
}

/**
 * The running server a CLI command should go through, if any. A running server owns its embedded
 * database (the folder is locked), so the CLI asks it over HTTP: `--url` / `TWIN_URL`, or the URL
 * the server wrote into its lock file, with `--admin-key` / `TWIN_ADMIN_KEY` or the first-run key
 * file. `undefined`: no server, the command may open the database itself (taking the lock).
 */
export function findRunningServer(env: ServerEnv, vars: Record<string, string | undefined>, flags: { url?: string | undefined; adminKey?: string | undefined }, what: string): RunningServer | undefined {
  let url = flags.url ?? vars.TWIN_URL;
  if (!url && !env.DATABASE_URL) {
    const holder = readDataDirLock(pgliteDir(env));
    if (holder && !holder.url) {
      throw new TwinError('config_invalid', `The data folder is in use by process ${holder.pid} (twin-server ${holder.command}), which is not serving HTTP yet; retry in a moment.`);
    }
    url = holder?.url;
  }
  if (!url) return undefined;
  const devKeyFile = join(env.TWIN_DATA_DIR, 'dev-api-key');
  const key = flags.adminKey ?? vars.TWIN_ADMIN_KEY ?? (existsSync(devKeyFile) ? readFileSync(devKeyFile, 'utf8').trim() : undefined);
  if (!key) throw new TwinError('config_invalid', `A server is running at ${url}: pass an admin key with --admin-key or TWIN_ADMIN_KEY to ${what} through it.`);
  return { url, key };
}

/** One JSON call to the server's API; a non-2xx answer becomes an error carrying the server's message. */
export async function callServer<T>(server: RunningServer, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, server.url), {
      method,
      headers: { Authorization: `Bearer ${server.key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    throw new TwinError('network_error', `Cannot reach the server at ${server.url} (${(error as Error).message}).`);
  }
  const json = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new TwinError('invalid_request', `${res.status} from ${server.url}: ${json.error?.message ?? res.statusText}`);
  return json as T;
}
