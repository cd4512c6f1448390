// Checks what users install, not the source tree: packs every package (`pnpm pack`, so
// `workspace:*` becomes a version as on publish) and runs publint (package.json fields against the
// files shipped) and @arethetypeswrong/cli (types resolve under node16 ESM, CJS and bundlers) on
// each tarball. Needs `pnpm build` first (part of `pnpm test`).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'twin-pack-'));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
let failed = 0;
try {
  for (const dir of readdirSync(join(root, 'packages'))) {
    const pkgDir = join(root, 'packages', dir);
    if (!existsSync(join(pkgDir, 'package.json'))) continue;
    const before = new Set(readdirSync(out));
    execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: pkgDir, stdio: 'ignore' });
    const tarball = readdirSync(out).find((f) => !before.has(f));
    if (!tarball) throw new Error(`pnpm pack wrote no tarball for packages/${dir}`);
    for (const [tool, args] of [
      ['publint', ['run', join(out, tarball), '--strict']],
      ['attw', [join(out, tarball), '--no-emoji', '--no-color', '--format', 'table-flipped']],
    ] as const) {
      try {
        execFileSync(bin(tool), args, { cwd: pkgDir, stdio: 'pipe' });
        console.log(`${tool}: packages/${dir} ok`);
      } catch (error) {
        failed++;
        const e = error as { stdout?: Buffer; stderr?: Buffer };
        console.error(`${tool}: packages/${dir} FAILED\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
      }
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
if (failed > 0) process.exit(1);
