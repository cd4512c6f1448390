import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full collection left alive before
 * the next one starts, as `--heap-growing-percent` (30: 1.3×). V8's own choice on a machine with
 * gigabytes of memory goes up to 4×, and a streaming server promotes every event it keeps for a
 * while (replay windows, audit segments waiting for their batch): with 2,000 streams open its old
 * space grew from some 65 MiB to 200 MiB of mostly garbage between two full collections
 * (docs/server.md, "Memory").
 */
export const TWIN_HEAP_GROWING_PERCENT = 30;

/**
 * Sets `--heap-growing-percent` for this process (its main thread and the embedded database's
 * worker) unless the operator gave it on node's command line (`node --heap-growing-percent=0
 * dist/cli.js` restores V8's own growth). For the `twin-server` process only: a library does not
 * set V8 flags for the application it runs in. Returns the value set, or undefined.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv, setFlags: (flags: string) => void = setFlagsFromString): number | undefined {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return undefined;
  setFlags(`--heap-growing-percent=${TWIN_HEAP_GROWING_PERCENT}`);
  return TWIN_HEAP_GROWING_PERCENT;
}
