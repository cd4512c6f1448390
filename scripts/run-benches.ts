/**
 * Runs every `*.bench.ts` in the current package's `bench/` folder, one after another (each prints
 * its own medians and ratios). Each package's `bench` script calls this; add a bench by adding a
 * file, not a script. Arguments filter by file name: `pnpm --filter @twin/core bench billing`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const folder = join(process.cwd(), 'bench');
const only = process.argv.slice(2);
const files = readdirSync(folder)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
  .sort();

for (const file of files) {
  console.log(`\n━━ ${file} ━━`);
  const started = performance.now();
  await import(pathToFileURL(join(folder, file)).href);
  console.log(`━━ ${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
