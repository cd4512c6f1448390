#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { isTwinError } from '@twin/core';
import { createApiKey } from './auth/authenticator';
import { pgliteDir, readServerEnv } from './cli/server-config';
import { INVOICE_HELP, invoiceCommand } from './cli/invoice-command';
import { startReferenceServer } from './cli/serve';
import { openDatabase } from './storage/open-database';
import { createTwinStore } from './storage/twin-store';

const HELP = `twin-server — the Twin reference server

Usage:
  twin-server [serve]                       start the server (config from the environment, see docs/server.md)
  twin-server keys create --tenant <id> [--name <name>] [--role member|admin]
  twin-server keys list [--tenant <id>]
  twin-server keys revoke <key-id>
  twin-server migrate                       apply database migrations and exit
${INVOICE_HELP}

Environment: PORT (8787), HOST, DATABASE_URL (unset: embedded PGlite in TWIN_DATA_DIR=.twin-data),
TWIN_PRICING_FILE, TWIN_UNPRICED_MODELS (reject|allow), TWIN_AUTH (api-key|off), OPENAI_API_KEY, ANTHROPIC_API_KEY, GOOGLE_API_KEY,
OLLAMA_BASE_URL, LOG_LEVEL.`;

async function withStore<T>(fn: (store: ReturnType<typeof createTwinStore>) => Promise<T>): Promise<T> {
  const env = readServerEnv(process.env);
  const db = await openDatabase(
    env.DATABASE_URL ? { url: env.DATABASE_URL, ...(env.TWIN_DB_SCHEMA ? { schemaName: env.TWIN_DB_SCHEMA } : {}) } : { dataDir: pgliteDir(env) },
  );
  const store = createTwinStore(db.db, { instanceId: env.TWIN_INSTANCE_ID });
  try {
    return await fn(store);
  } finally {
    await store.close();
    await db.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', sub, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (command === 'serve') {
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
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    return -1;
  }
  if (command === 'migrate') {
    await withStore(async () => undefined);
    process.stdout.write('migrations applied\n');
    return 0;
  }
  if (command === 'invoice' || command === 'profile') {
    const code = await invoiceCommand(command, sub, rest, withStore, (s) => process.stdout.write(s));
    if (code !== 2) return code;
  }
  if (command === 'keys') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { tenant: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
    });
    if (sub === 'create') {
      if (!values.tenant) throw new Error('keys create needs --tenant <id>');
      if (values.role !== undefined && values.role !== 'admin' && values.role !== 'member') throw new Error('--role must be member or admin');
      const role = values.role as 'admin' | 'member' | undefined;
      const created = await withStore((store) => createApiKey(store, { tenantId: values.tenant!, ...(values.name ? { name: values.name } : {}), ...(role ? { role } : {}) }));
      process.stdout.write(`Created ${created.role} key ${created.id} for tenant ${created.tenantId}. Store it now; it is not shown again:\n${created.key}\n`);
      return 0;
    }
    if (sub === 'list') {
      const keys = await withStore((store) => store.listApiKeys(values.tenant));
      for (const k of keys) {
        process.stdout.write(`${k.id}\t${k.tenantId}\t${k.role}\t${k.prefix}…\t${k.name}\t${k.revokedAt ? 'revoked' : 'active'}\n`);
      }
      return 0;
    }
    if (sub === 'revoke') {
      const id = positionals[0];
      if (!id) throw new Error('keys revoke needs a key id');
      const done = await withStore((store) => store.revokeApiKey(id));
      process.stdout.write(done ? `revoked ${id}\n` : `no active key ${id}\n`);
      return done ? 0 : 1;
    }
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
