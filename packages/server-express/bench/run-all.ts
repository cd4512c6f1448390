/**
 * Runs every `*.bench.ts` in this folder, one after another (each prints its own figures).
 * `pnpm --filter @twin/server-express bench` calls this.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
  .sort();

for (const file of files) {
  console.log(`\n━━ ${file} ━━`);
  const started = performance.now();
  await import(pathToFileURL(join(here, file)).href);
  console.log(`━━ ${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
