import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI; `TWIN_CLI` may point elsewhere (a `.ts` source is run through tsx). */
export const CLI = process.env.TWIN_CLI ?? fileURLToPath(new URL('../../../packages/server-express/dist/cli.js', import.meta.url));

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface ReferenceServer {
  url: string;
  apiKey: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts the reference server CLI (simulated provider, PGlite in a temp dir, a free port) and waits
 * until it answers HTTP. The API key is the one it prints for development.
 */
export async function startReferenceServer(extraEnv: Record<string, string> = {}): Promise<ReferenceServer> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` first.`);
  const dataDir = mkdtempSync(join(tmpdir(), 'twin-e2e-data-'));
  const port = await freePort();
  let output = '';
  const args = CLI.endsWith('.ts') ? ['--import', 'tsx', CLI] : [CLI];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', TWIN_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn', ...extraEnv },
    cwd: fileURLToPath(new URL('../../../packages/server-express/', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  // A first start creates the embedded database, which takes minutes on a loaded machine: this
  // limit (below the suites' hook limits) only names a hang.
  const deadline = Date.now() + 360_000;
  let apiKey: string | undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The reference server exited (${child.exitCode}):\n${output}`);
    apiKey = /twin_sk_[A-Za-z0-9_-]+/.exec(output)?.[0];
    const up = await fetch(`${url}/api/stream`, { method: 'DELETE' }).then(() => true, () => false);
    if (up && apiKey) break;
    if (Date.now() > deadline) throw new Error(`The reference server did not come up within 360 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    apiKey,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
