/**
 * Bundle size of a minimal use of the hook, beside the Vercel AI SDK's `useChat` measured the same
 * way: esbuild bundles a tiny entry that imports and calls each hook (react and react-dom external,
 * browser platform, ES2022, minified), then node:zlib gzips it (level 9). Targets: ≤ 6 kB for useStream, ≤ 8 kB for useChat.
 *
 * Twin is bundled from the built packages (dist/, what npm users get; `pnpm bench` builds first), or
 * from their sources when dist/ is missing (tsup only strips types, so the result is the same).
 */
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// 6 kB read strictly as 6,000 bytes (docs/design.md "Money" pins 1 KB = 1,000 bytes), which also meets 6 KiB.
const TARGET_BYTES = 6_000;
// The chat hook's budget: the stream client plus a chat store (messages, tools, receipts) and its binding.
const CHAT_TARGET_BYTES = 8_000;

interface Measured {
  name: string;
  minified: number;
  gzip: number;
}

async function measure(name: string, contents: string, alias: Record<string, string> = {}): Promise<Measured> {
  const result = await build({
    stdin: { contents, resolveDir: here('.'), loader: 'tsx' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    external: ['react', 'react-dom', 'react/jsx-runtime'],
    define: { 'process.env.NODE_ENV': '"production"' },
    alias,
    write: false,
    logLevel: 'error',
  });
  const code = result.outputFiles[0]!.contents;
  return { name, minified: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

const kb = (n: number) => `${(n / 1000).toFixed(2)} kB (${n} B)`;

const built = existsSync(here('../dist/index.js')) && existsSync(here('../../client/dist/index.js'));
const twinAlias = built
  ? { '@twin/react': here('../dist/index.js'), '@twin/client': here('../../client/dist/index.js') }
  : { '@twin/react': here('../src/index.ts'), '@twin/client': here('../../client/src/index.ts') };
const twin = await measure(
  '@twin/client + @twin/react (useStream)',
  `import { useStream } from '@twin/react';
   export function Chat() { const s = useStream({ url: '/api/stream' }); return [s.text, s.status, s.start, s.stop]; }`,
  twinAlias,
);
const twinChat = await measure(
  '@twin/client + @twin/react (useChat)',
  `import { useChat } from '@twin/react';
   export function Chat() { const c = useChat({ url: '/api/chat' }); return [c.messages, c.status, c.send, c.stop]; }`,
  twinAlias,
);
const aiSdk = await measure(
  'ai + @ai-sdk/react (useChat)',
  `import { useChat } from '@ai-sdk/react';
   export function Chat() { const c = useChat(); return [c.messages, c.status, c.sendMessage, c.stop]; }`,
);

console.log(`Bundle size of a minimal hook import (esbuild --minify, gzip -9; react/react-dom external; Twin from ${built ? 'dist' : 'src'})\n`);
for (const m of [twin, twinChat, aiSdk]) {
  console.log(`  ${m.name.padEnd(42)} min ${kb(m.minified).padStart(20)}   min+gz ${kb(m.gzip).padStart(19)}`);
}
console.log(`\n  ratio (ai + @ai-sdk/react) / Twin useStream, min+gz: ${(aiSdk.gzip / twin.gzip).toFixed(1)}x`);
console.log(`  ratio (ai + @ai-sdk/react) / Twin useChat, min+gz: ${(aiSdk.gzip / twinChat.gzip).toFixed(1)}x`);
console.log(`  Twin useStream target ≤ ${kb(TARGET_BYTES)} min+gz: ${twin.gzip <= TARGET_BYTES ? 'met' : 'MISSED'}`);
console.log(`  Twin useChat target ≤ ${kb(CHAT_TARGET_BYTES)} min+gz: ${twinChat.gzip <= CHAT_TARGET_BYTES ? 'met' : 'MISSED'}`);
if (twin.gzip > TARGET_BYTES || twinChat.gzip > CHAT_TARGET_BYTES) process.exitCode = 1;
