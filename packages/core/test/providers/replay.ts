import { expect } from 'vitest';
import type { StreamPart } from '@twin/core';
import { splitBytes, splitFetch, splitPoints } from './split-fetch';

/**
 * Runs `run` with a fetch serving `bytes` whole, then re-split at random boundaries (seeded) with
 * every multi-byte UTF-8 character cut in half, and once at every single byte; every run must give
 * exactly the same parts. Returns the parts of the whole run.
 */
export async function replayAtRandomSplits(
  bytes: Uint8Array,
  run: (fetch: typeof globalThis.fetch) => Promise<StreamPart[]>,
  seeds: number[] = [1, 2, 3, 4, 5],
): Promise<StreamPart[]> {
  const whole = await run(splitFetch(bytes));
  for (const seed of seeds) {
    const parts = await run(splitFetch(bytes, splitBytes(bytes, splitPoints(bytes, seed))));
    expect(parts, `split seed ${seed}`).toEqual(whole);
  }
  const everyByte = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  expect(await run(splitFetch(bytes, splitBytes(bytes, everyByte))), 'split at every byte').toEqual(whole);
  return whole;
}
