#!/usr/bin/env node
import { isTwinError } from '@twin/core';
import { keysCommand } from './cli/keys-command';
import { findRunningServer } from './cli/running-server';
import { acquireDataDirLock } from './storage/data-dir-lock';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { describeMigration, migrateProfiles } from './cli/profile-migrate';
import { instanceIdOf, pgliteDir, readPricingFile, readServerEnv } from './cli/server-config';
import { INVOICE_HELP, invoiceCommand } from './cli/invoice-command';
import { BUDGET_HELP, budgetCommand } from './cli/budget-command';
import { startReferenceServer } from './cli/serve';
import { limitHeapGrowth } from './cli/heap-growth';
import { openDatabase } from './storage/open-database';
import { createTwinStore } from './storage/twin-store';

const HELP = `twin-server — the Twin reference server

Usage:
  twin-server [serve]                       start the server (config from the environment, see docs/server.md)
  twin-server keys create --tenant <id> [--name <label>] [--role member|tenant-admin|admin]
                    [--expires-in 30d] [--models a,b] [--providers a,b] [--rpm N] [--tpm N]
  twin-server keys list [--tenant <id>] [--json]
  twin-server keys update <key-id> [--name ...] [--expires-in ...] [--models ...] [--rpm N|none] [--tpm N|none]
  twin-server keys revoke <key-id>
  twin-server keys rotate <key-id> [--grace 1h]
      With a server running, keys commands go through its HTTP API (--url / TWIN_URL, or the URL in
      the data folder's lock file; --admin-key / TWIN_ADMIN_KEY, or the first-run key file).
  twin-server migrate                       apply database migrations and exit
${INVOICE_HELP}
${BUDGET_HELP}

Environment: PORT (8787), HOST, DATABASE_URL (unset: embedded PGlite in TWIN_DATA_DIR=.twin-data),
TWIN_PRICING_FILE, TWIN_UNPRICED_MODELS (reject|allow), TWIN_CONFIG (routing file; SIGHUP reloads it), TWIN_AUTH (api-key|off), OPENAI_API_KEY, ANTHROPIC_API_KEY, GOOGLE_API_KEY,
OLLAMA_BASE_URL, LOG_LEVEL.`;

async function withStore<T>(fn: (store: ReturnType<typeof createTwinStore>) => Promise<T>): Promise<T> {
  const env = readServerEnv(process.env);
  const lock = env.DATABASE_URL ? undefined : acquireDataDirLock(pgliteDir(env), 'migrate');
  const db = await openDatabase(
    env.DATABASE_URL ? { url: env.DATABASE_URL, ...(env.TWIN_DB_SCHEMA ? { schemaName: env.TWIN_DB_SCHEMA } : {}) } : { dataDir: pgliteDir(env) },
  );
  const store = createTwinStore(db.db, { instanceId: instanceIdOf(env, hostname(), process.pid) });
  try {
    return await fn(store);
  } finally {
    await store.close();
    await db.close();
    lock?.release();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', sub, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (command === 'serve') {
    // Before the database's worker starts and the heap grows (docs/server.md, "Memory").
    limitHeapGrowth();
    const running = await startReferenceServer();
    let signals = 0;
    const onSignal = (signal: string) => {
      signals++;
      if (signals > 1) process.exit(1);
      process.stderr.write(`\n${signal}: finishing open streams...\n`);
      running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    // SIGHUP re-reads TWIN_CONFIG; running streams keep their providers. A bad file changes nothing.
    process.on('SIGHUP', () => {
      try {
        running.reload();
      } catch (error) {
        running.service.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'routing config reload failed; keeping the previous config');
      }
    });
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    return -1;
  }
  if (command === 'migrate') {
    await withStore(async () => undefined);
    process.stdout.write('migrations applied\n');
    return 0;
  }
  if (command === 'profile' && sub === 'migrate') {
    const { values } = parseArgs({ args: rest, options: { 'dry-run': { type: 'boolean' } } });
    const env = readServerEnv(process.env);
    const fileConfigs = env.TWIN_PRICING_FILE ? readPricingFile(env.TWIN_PRICING_FILE) : [];
    const done = await withStore((store) => migrateProfiles(store, { fileConfigs, dryRun: values['dry-run'] === true }));
    process.stdout.write(describeMigration(done, values['dry-run'] === true));
    return 0;
  }
  if (command === 'invoice' || command === 'profile') {
    const code = await invoiceCommand(command, sub, rest, withStore, (s) => process.stdout.write(s));
    if (code !== 2) return code;
  }
  if (command === 'budget') {
    const target = (flags: { url?: string | undefined; adminKey?: string | undefined }) => ({
      server: findRunningServer(readServerEnv(process.env), process.env, flags, 'set budgets'),
      withStore,
    });
    const code = await budgetCommand(sub, rest, target, (s) => process.stdout.write(s));
    if (code !== 2) return code;
  }
  if (command === 'keys') {
    const code = await keysCommand(sub, rest, readServerEnv(process.env), process.env, (text) => process.stdout.write(text));
    if (code !== 2) return code;
  }
  process.stderr.write(HELP + '\n');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`twin-server: ${isTwinError(error) || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
