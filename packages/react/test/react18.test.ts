import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { createElement, StrictMode } from 'react';
import type { createRoot } from 'react-dom/client';
import type { useStream } from '@twin/react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fullText, startScriptedServer, textScript, type ScriptedServer } from '../../client/test/scripted-sse-server';

// vi.waitFor's own 1 s default is a clock a loaded machine can outrun: only the test's limit catches a hang.
const WAIT = { timeout: 30_000 };

// React 19 is what the workspace installs; React 18 is installed beside it under the aliases
// `react18` / `react-dom18`. A module graph can hold only one React, so the hook's sources are
// bundled here with `react` → `react18` and loaded on their own: the same useStream, React 18 runtime.
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
type React18Bundle = {
  version: string;
  useStream: typeof useStream;
  createElement: typeof createElement;
  StrictMode: typeof StrictMode;
  createRoot: typeof createRoot;
};

let dir: string;
let R: React18Bundle;
let server: ScriptedServer | undefined;

beforeAll(async () => {
  // Inside the package (vitest only loads files under the workspace root); node_modules is git-ignored.
  mkdirSync(here('../node_modules/.cache'), { recursive: true });
  dir = mkdtempSync(join(here('../node_modules/.cache'), 'twin-react18-'));
  const file = join(dir, 'react18-bundle.mjs');
  // esbuild's JS API refuses to load inside jsdom (TextEncoder realm check), so its CLI does the build.
  const esbuild = join(createRequire(import.meta.url).resolve('esbuild/package.json'), '../bin/esbuild');
  const entry = [
    "export { useStream } from '@twin/react';",
    "export { createElement, StrictMode, version } from 'react';",
    "export { createRoot } from 'react-dom/client';",
  ].join('\n');
  execFileSync(
    esbuild,
    [
      '--bundle',
      '--format=esm',
      '--platform=browser',
      '--loader=ts',
      '--log-level=error',
      '--alias:react=react18',
      '--alias:react-dom=react-dom18',
      `--alias:@twin/react=${here('../src/index.ts')}`,
      `--alias:@twin/client=${here('../../client/src/index.ts')}`,
      '--define:process.env.NODE_ENV="development"',
      `--outfile=${file}`,
    ],
    { cwd: here('.'), input: entry },
  );
  R = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as React18Bundle;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function Answer(props: { url: string; autoStart?: boolean }) {
  const s = R.useStream({ url: props.url, autoStart: props.autoStart });
  return R.createElement('p', { 'data-status': s.status }, s.text);
}

describe('useStream on React 18', () => {
  it('runs on React 18 itself', () => {
    expect(R.version).toMatch(/^18\./);
  });

  it('streams under StrictMode with one request and stops the stream on unmount', async () => {
    server = await startScriptedServer(textScript(4), [{ eventDelayMs: 5 }]);
    const container = document.createElement('div');
    const root = R.createRoot(container);
    root.render(R.createElement(R.StrictMode, null, R.createElement(Answer, { url: server.url, autoStart: true })));
    await vi.waitFor(() => expect(container.querySelector('p')?.getAttribute('data-status')).toBe('done'), WAIT);
    expect(container.textContent).toBe(fullText(4));
    expect(server.requests.length).toBe(1);
    root.unmount();
  });

  it('cancels the stream on the server when unmounted mid-stream', async () => {
    server = await startScriptedServer(textScript(4), [{ stallAfterEvents: 2 }]);
    const container = document.createElement('div');
    const root = R.createRoot(container);
    root.render(R.createElement(Answer, { url: server.url, autoStart: true }));
    await vi.waitFor(() => expect(container.textContent).toBe('t0 '), WAIT);
    root.unmount();
    await vi.waitFor(() => expect(server!.deletes.map((d) => d.url)).toEqual(['/api/stream/str_test']), WAIT);
  });
});
