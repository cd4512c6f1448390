import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../../src/providers/', import.meta.url));
const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as Record<string, Record<string, unknown>>;

describe('@twin/core does not force a provider SDK on an app', () => {
  it('no provider source imports openai or @anthropic-ai/sdk at runtime (type imports only)', () => {
    const offenders: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(dir + file, 'utf8');
      for (const match of source.matchAll(/^import\s+(?!type\b)[^;]*from\s+'(openai|@anthropic-ai\/sdk)[^']*'/gm)) offenders.push(`${file}: ${match[0]}`);
      if (/import\(\s*'(openai|@anthropic-ai\/sdk)/.test(source)) offenders.push(`${file}: dynamic import`);
    }
    expect(offenders).toEqual([]);
  });

  it('declares the SDKs as optional peer dependencies', () => {
    expect(Object.keys(pkg.peerDependencies ?? {}).sort()).toEqual(['@anthropic-ai/sdk', 'openai']);
    expect(pkg.peerDependenciesMeta).toEqual({ '@anthropic-ai/sdk': { optional: true }, openai: { optional: true } });
    expect(Object.keys(pkg.dependencies ?? {})).not.toContain('openai');
  });
});
