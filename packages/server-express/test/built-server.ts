import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { POSTGRES_TEST_URL } from './postgres-test-database';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
/** The built reference server (`pnpm build` makes it). */
export const BUILT_CLI = join(packageDir, 'dist', 'cli.js');

/** Where a built server keeps its data: a PGlite folder, or a Postgres schema of its own. */
export interface BuiltServerStorage {
  kind: 'pglite' | 'postgres';
  env: Record<string, string>;
  /** An API key of the storage's tenant. */
  key: string;
  dispose(): Promise<void>;
}

/** A fresh PGlite data folder; the key is the dev key the first start creates. */
export function pgliteStorage(): BuiltServerStorage {
  const dataDir = mkdtempSync(join(tmpdir(), 'twin-built-'));
  return {
    kind: 'pglite',
    env: { TWIN_DATA_DIR: dataDir },
    get key() {
      return readFileSync(join(dataDir, 'dev-api-key'), 'utf8').trim();
    },
    async dispose() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh schema on the test Postgres server, with a key created by `twin-server keys create`. */
export function postgresStorage(): BuiltServerStorage {
  const schema = `twin_built_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const env = { DATABASE_URL: POSTGRES_TEST_URL, TWIN_DB_SCHEMA: schema, TWIN_DATA_DIR: mkdtempSync(join(tmpdir(), 'twin-built-pg-')) };
  const out = spawnSync(process.execPath, [BUILT_CLI, 'keys', 'create', '--tenant', 'storm', '--role', 'admin'], {
    cwd: packageDir,
    env: { PATH: process.env.PATH, ...env, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  const key = /twin_sk_[A-Za-z0-9_-]+/.exec(out.stdout + out.stderr)?.[0];
  if (!key) throw new Error(`could not create a key: ${out.stdout}${out.stderr}`);
  return {
    kind: 'postgres',
    env,
    key,
    async dispose() {
      const admin = postgres(POSTGRES_TEST_URL, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end({ timeout: 2 });
      }
      rmSync(env.TWIN_DATA_DIR, { recursive: true, force: true });
    },
  };
}

export interface BuiltServer {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
}

/** Starts `node dist/cli.js` on a free port; resolves once it listens. */
export function startBuiltServer(storage: BuiltServerStorage, env: Record<string, string> = {}): Promise<BuiltServer> {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`pnpm build\` first.`);
  const child = spawn(process.execPath, [BUILT_CLI], {
    cwd: packageDir,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...storage.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"twin-server listening"/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`twin-server exited with ${code}:\n${out}`)));
  });
}
