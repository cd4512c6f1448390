import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Node arguments that run `twin-server`: the built `dist/cli.js` when it is at least as new as
 * every source file (as after `pnpm build`, which `pnpm test` runs first), else the sources
 * through tsx. Each tsx start transpiles the whole server again, seconds per child on a loaded machine.
 */
export function cliArgs(): string[] {
  const built = join(packageDir, 'dist', 'cli.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(packageDir, 'src'))) return [built];
  return ['--import', 'tsx', 'src/cli.ts'];
}
