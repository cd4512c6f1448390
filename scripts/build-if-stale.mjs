#!/usr/bin/env node
/* global process, URL */
// `pnpm start` runs this before the server: it rebuilds a package only when one of its sources is
// newer than its dist/ (tsup cleans dist/, so dist's newest file is the last build), and keeps the
// build's output to itself unless the build fails. A start with nothing changed builds nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// What the reference server loads, in build order (server-express imports core's dist).
const PACKAGES = [
  { dir: 'packages/core', name: '@twin/core' },
  { dir: 'packages/server-express', name: '@twin/server-express' },
];
const INPUTS = ['src', 'package.json', 'tsup.config.ts', 'tsconfig.json'];

/** Newest mtime under `path` (files only; tests are sources too, which only costs a rebuild). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

let upstreamRebuilt = false;
for (const pkg of PACKAGES) {
  const dir = join(root, pkg.dir);
  const built = newest(join(dir, 'dist'));
  const sources = Math.max(...INPUTS.map((input) => newest(join(dir, input))));
  if (built > 0 && sources <= built && !upstreamRebuilt) continue;
  process.stdout.write(`  building ${pkg.name} (${built === 0 ? 'no build yet' : 'sources changed'})…\n`);
  const started = Date.now();
  const result = spawnSync('pnpm', ['--filter', pkg.name, 'build'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    process.stderr.write(`\n  ${pkg.name} failed to build (above).\n`);
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`  built ${pkg.name} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  upstreamRebuilt = true;
}
