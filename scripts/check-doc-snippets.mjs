/* global console, process */
// Typechecks the TypeScript snippets of the docs and READMEs, so an API change that breaks an
// example fails `pnpm test` instead of a reader. Each ```ts / ```tsx block becomes one module in a
// scratch directory, compiled against the packages' sources (as the tests are) with `tsc --noEmit`.
// A block that is deliberately a fragment starts with a `// fragment` comment line and is skipped.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'node_modules', '.cache', 'doc-snippets');
const mdFiles = [
  ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(root, 'docs', f)),
  join(root, 'README.md'),
  ...['packages', 'examples'].flatMap((dir) =>
    readdirSync(join(root, dir)).map((p) => join(root, dir, p, 'README.md')).filter((f) => existsSync(f)),
  ),
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const sources = new Map();
let count = 0;
for (const file of mdFiles) {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|tsx|typescript)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end].startsWith('```')) end++;
    const body = lines.slice(start, end);
    i = end;
    if (body[0]?.trim().startsWith('// fragment')) continue;
    const name = `${relative(root, file).replace(/[^\w]+/g, '_')}_L${start + 1}.${open[1] === 'tsx' ? 'tsx' : 'ts'}`;
    // `export {}` makes every snippet a module: top-level await and no clashes between snippets.
    writeFileSync(join(out, name), `${body.join('\n')}\nexport {};\n`);
    sources.set(name, `${relative(root, file)}:${start + 1}`);
    count++;
  }
}

const pkg = (p) => relative(out, join(root, p));
writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      jsx: 'react-jsx',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [pkg('node_modules/@types')],
      baseUrl: '.',
      paths: {
        '@twin/core/testing': [pkg('packages/core/src/testing.ts')],
        '@twin/core': [pkg('packages/core/src/index.ts')],
        '@twin/client': [pkg('packages/client/src/index.ts')],
        '@twin/react': [pkg('packages/react/src/index.ts')],
        '@twin/server-express': [pkg('packages/server-express/src/index.ts')],
        express: [pkg('packages/server-express/node_modules/@types/express')],
        react: [pkg('packages/react/node_modules/@types/react')],
        'react/*': [pkg('packages/react/node_modules/@types/react/*')],
        'react-dom/*': [pkg('packages/react/node_modules/@types/react-dom/*')],
        '*': ['core', 'server-express', 'react', 'client'].map((p) => `${pkg(`packages/${p}/node_modules`)}/*`),
      },
    },
    include: ['*.ts', '*.tsx'],
  }),
);

try {
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(out, 'tsconfig.json')], { stdio: 'pipe', encoding: 'utf8' });
  console.log(`doc snippets: ${count} TypeScript blocks typecheck`);
} catch (error) {
  const text = String(error.stdout ?? '') + String(error.stderr ?? '');
  console.error(text.replace(/^(?:[^\s(]*\/)?([\w.]+)\((\d+),(\d+)\)/gm, (_, f, l) => `${sources.get(f) ?? f} (+${Number(l) - 1})`));
  console.error('doc snippets: a TypeScript block in the docs does not typecheck (mark a deliberate fragment with `// fragment` as its first line)');
  process.exit(1);
}
