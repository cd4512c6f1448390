import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { BUILT_CLI, startBuiltServer, type BuiltServer } from '../built-server';
import { POSTGRES_TEST_URL, postgresReachable } from '../postgres-test-database';
import { HAPROXY, NGINX, startLoadBalancer, type LoadBalancer } from './load-balancer';

/** The test Redis (another one with TWIN_TEST_REDIS_URL). */
export const REDIS_TEST_URL = process.env.TWIN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when Redis answers PING within ten seconds (a loaded machine connects slowly; under CI=true a wrong "missing" fails the run). */
export async function redisReachable(url = REDIS_TEST_URL): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 10_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * What a cluster test needs and this machine lacks (empty: everything is there). Tests skip with
 * this list in their message, and fail under CI=true.
 */
export async function missingClusterParts(balancer: 'haproxy' | 'nginx' = 'haproxy'): Promise<string[]> {
  const missing: string[] = [];
  if (!existsSync(BUILT_CLI)) missing.push(`the built server (${BUILT_CLI}; run pnpm build)`);
  if (!existsSync(balancer === 'haproxy' ? HAPROXY : NGINX)) missing.push(balancer === 'haproxy' ? `${HAPROXY} (apt-get install haproxy)` : `${NGINX} (apt-get install nginx)`);
  if (!(await redisReachable())) missing.push(`Redis at ${REDIS_TEST_URL}`);
  if (!(await postgresReachable())) missing.push(`Postgres at ${POSTGRES_TEST_URL}`);
  return missing;
}

/** One `twin-server` process of the cluster. */
export interface ClusterInstance {
  readonly id: string;
  readonly url: string;
  readonly server: BuiltServer;
  /** Sends a signal (SIGKILL: a crash; SIGTERM: a drain) and resolves with the exit code. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface TestCluster {
  /** The load balancer's URL: what clients use. */
  url: string;
  balancer: LoadBalancer;
  instances: ClusterInstance[];
  /** An admin key of tenant `storm`. */
  key: string;
  /** Creates another key (`--tenant`, `--role`). */
  createKey(tenant: string, role?: 'member' | 'tenant-admin' | 'admin'): string;
  databaseUrl: string;
  redisUrl: string;
  /** This cluster's Redis key prefix (unique per test run). */
  keyPrefix: string;
  /** Starts one more instance (e.g. in place of a killed one) with the cluster's environment. */
  addInstance(env?: Record<string, string>): Promise<ClusterInstance>;
  /** Kills everything it started, drops the database and the Redis keys. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  instances?: number;
  balancer?: 'haproxy' | 'nginx';
  /** Extra environment of every instance (TWIN_SIMULATED_TOKENS_PER_SECOND, TWIN_DETACH_GRACE_MS...). */
  env?: Record<string, string>;
  /** Redis of the instances (default the test Redis). */
  redisUrl?: string;
}

const packageDir = join(BUILT_CLI, '..', '..');

/**
 * N built `twin-server` instances (`dist/cli.js`) on one Postgres database created for the test and
 * one Redis key prefix, behind a real load balancer (HAProxy round-robin, no stickiness, or nginx).
 */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const tag = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const database = `twin_cluster_${tag}`;
  const admin = postgres(POSTGRES_TEST_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${database}"`);
  const dbUrl = new URL(POSTGRES_TEST_URL);
  dbUrl.pathname = `/${database}`;
  const databaseUrl = dbUrl.toString();
  const redisUrl = options.redisUrl ?? REDIS_TEST_URL;
  const keyPrefix = `twin-test:${tag}:`;
  const dataDir = mkdtempSync(join(tmpdir(), 'twin-cluster-'));
  const baseEnv: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    TWIN_REDIS_PREFIX: keyPrefix,
    TWIN_DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const createKey = (tenant: string, role: 'member' | 'tenant-admin' | 'admin' = 'admin'): string => {
    const out = spawnSync(process.execPath, [BUILT_CLI, 'keys', 'create', '--tenant', tenant, '--role', role], {
      cwd: packageDir,
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, TWIN_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
    const key = /twin_sk_[A-Za-z0-9_-]+/.exec(out.stdout + out.stderr)?.[0];
    if (!key) throw new Error(`could not create a key: ${out.stdout}${out.stderr}`);
    return key;
  };
  const instances: ClusterInstance[] = [];
  let balancer: LoadBalancer | undefined;
  let counter = 0;
  const addInstance = async (env: Record<string, string> = {}): Promise<ClusterInstance> => {
    const id = `i${++counter}`;
    const server = await startBuiltServer({ kind: 'postgres', env: baseEnv, key: '', dispose: async () => {} }, { TWIN_INSTANCE_ID: id, ...env });
    const instance: ClusterInstance = {
      id,
      url: server.url,
      server,
      async kill(signal = 'SIGTERM') {
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
        return server.exited;
      },
    };
    instances.push(instance);
    return instance;
  };
  const stop = async () => {
    await balancer?.stop();
    await Promise.all(instances.map((i) => i.kill('SIGKILL')));
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 0 });
    redis.on('error', () => {});
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } catch {
      // Redis gone (a fault test stopped it): nothing of ours is left in it.
    } finally {
      redis.disconnect();
    }
    await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => {});
    await admin.end({ timeout: 2 });
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // The first key run applies the migrations before any instance starts.
    const key = createKey('storm');
    await Promise.all(Array.from({ length: options.instances ?? 3 }, () => addInstance()));
    instances.sort((a, b) => a.id.localeCompare(b.id));
    balancer = await startLoadBalancer(options.balancer ?? 'haproxy', instances.map((i) => new URL(i.url).host));
    return { url: balancer.url, balancer, instances, key, createKey, databaseUrl, redisUrl, keyPrefix, addInstance, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
