import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Follows every runtime import (not `import type`) from a file and returns the packages reached. */
function runtimePackages(entry: string): { packages: Set<string>; files: Set<string> } {
  const packages = new Set<string>();
  const files = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
      if (match[1]) continue; // erased at compile time
      const specifier = match[2]!;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), `${specifier}.ts`));
      else packages.add(specifier);
    }
  };
  visit(entry);
  return { packages, files };
}

describe('payload bundle footprint', () => {
  it('the opener (what the client ships) reaches only fflate and the noble AEAD/HKDF modules — no zod, no scrypt', () => {
    const { packages } = runtimePackages(resolve(here, 'payload-opener.ts'));
    expect([...packages].sort()).toEqual(['@noble/ciphers/aes.js', '@noble/ciphers/chacha.js', '@noble/hashes/hkdf.js', '@noble/hashes/sha2.js', 'fflate']);
  });

  it('no codec, cipher or payload file has top-level side effects (only imports, declarations and exports)', () => {
    const { files } = runtimePackages(resolve(here, 'payload-sealer.ts'));
    for (const file of [...runtimePackages(resolve(here, 'payload-opener.ts')).files, ...files]) {
      const topLevel = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => /^[a-zA-Z]/.test(line))
        .filter((line) => !/^(import|export|const|let|function|interface|type|async function)\b/.test(line));
      expect(topLevel, file).toEqual([]);
    }
  });
});
