import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { packageDir } from './cli-entry';
import { POSTGRES_TEST_URL } from './postgres-test-database';
import { spawnTwinServer, type TwinServerProcess } from './spawn-twin-server';

export type BuiltServer = TwinServerProcess;

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

/** Starts `node dist/cli.js` on a free port; resolves once it listens. */
export function startBuiltServer(storage: BuiltServerStorage, env: Record<string, string> = {}): Promise<BuiltServer> {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`pnpm build\` first.`);
  return spawnTwinServer([BUILT_CLI], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...storage.env, ...env });
}
