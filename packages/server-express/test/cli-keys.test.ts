import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliArgs, packageDir } from './cli-entry';

// `twin-server keys create`, apart from cli-restart.test.ts so the two child-process suites run side by side.
const dataDir = mkdtempSync(join(tmpdir(), 'twin-cli-keys-'));
const children: ChildProcess[] = [];

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('twin-server keys', () => {
  it('creates API keys from the command line, stored hashed', async () => {
    const child = spawn(process.execPath, [...cliArgs(), 'keys', 'create', '--tenant', 'acme', '--name', 'ci'], {
      cwd: packageDir,
      env: { PATH: process.env.PATH, TWIN_DATA_DIR: dataDir },
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    expect(await exited(child)).toBe(0);
    const key = /(twin_sk_[\w-]+)/.exec(out)?.[1];
    expect(key).toBeDefined();
    expect(out).toContain('tenant acme');
  }, 240_000);
});
