/**
 * What a load bench server's RSS is made of, read from /proc/self/smaps (Linux; elsewhere only the
 * V8 figures) and V8's heap spaces: the embedded database's WebAssembly memory (PGlite's, in its
 * worker thread) apart from the rest, so the RSS split charges the database with what it holds
 * under load and not only what it held idle at start.
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

/** Resident bytes per kind of mapping, and the main thread's V8 heap by space. */
export interface MemorySplit {
  rss: number;
  /**
   * WebAssembly memories (their resident pages): V8 reserves 8 GiB and more of address space for
   * each and makes its current size accessible. In a load bench server, PGlite's.
   */
  wasm: number;
  /** The main thread's V8 heap, resident (physical) size of every space. */
  mainHeap: number;
  /** Per space (new_space, old_space, code_space, large_object_space, …), resident. */
  mainHeapSpaces: Record<string, number>;
  /** Other anonymous memory: malloc arenas (buffers, native objects, the worker's heap), thread stacks, V8's code range. */
  otherAnonymous: number;
  /** The brk heap (glibc malloc's main arena). */
  brk: number;
  /** File-backed pages: the node binary, shared libraries, mapped files. */
  files: number;
  /** Buffers and ArrayBuffers the main thread's V8 knows of (inside brk/other anonymous). */
  external: number;
  arrayBuffers: number;
}

const KiB = 1024;
/** Less than what V8 reserves for a 32-bit WebAssembly memory with guard regions on 64-bit (8 GiB + guards). */
const WASM_RESERVATION = 8n * 1024n ** 3n;

/** Reads the split now. */
export function memorySplit(): MemorySplit {
  const spaces = getHeapSpaceStatistics();
  const mainHeapSpaces = Object.fromEntries(spaces.map((s) => [s.space_name, s.physical_space_size]));
  const mainHeap = spaces.reduce((sum, s) => sum + s.physical_space_size, 0);
  const usage = process.memoryUsage();
  let wasm = 0;
  let anonymous = 0;
  let brk = 0;
  let files = 0;
  let smaps = '';
  try {
    smaps = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    // Not Linux.
  }
  // Mappings in order: a WebAssembly memory is an anonymous read-write mapping (its current size)
  // followed at once by the inaccessible rest of its reservation (8 GiB and more of address space,
  // which nothing else reserves in one piece).
  const maps: { start: bigint; end: bigint; perms: string; name: string; rss: number }[] = [];
  for (const line of smaps.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) maps.push({ start: BigInt(`0x${header[1]!}`), end: BigInt(`0x${header[2]!}`), perms: header[3]!, name: header[4]!, rss: 0 });
    else if (line.startsWith('Rss:')) maps.at(-1)!.rss = Number(line.split(/\s+/)[1]) * KiB;
  }
  maps.forEach((map, i) => {
    const next = maps[i + 1];
    if (map.name.startsWith('/')) files += map.rss;
    else if (map.name === '[heap]') brk += map.rss;
    else if (map.name === '' && map.perms.startsWith('rw') && next?.start === map.end && next.name === '' && next.perms.startsWith('---') && next.end - map.start >= WASM_RESERVATION) wasm += map.rss;
    else anonymous += map.rss;
  });
  return {
    rss: usage.rss,
    wasm,
    mainHeap,
    mainHeapSpaces,
    otherAnonymous: anonymous - mainHeap,
    brk,
    files,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
  };
}

/** One line of MiB figures. */
export function formatMemorySplit(split: MemorySplit): string {
  const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);
  const spaces = Object.entries(split.mainHeapSpaces)
    .filter(([, bytes]) => bytes >= 1024 ** 2 / 10)
    .map(([space, bytes]) => `${space.replace(/_space$/, '')} ${mib(bytes)}`)
    .join(', ');
  return (
    `RSS ${mib(split.rss)} MiB = WebAssembly memory ${mib(split.wasm)} + main V8 heap ${mib(split.mainHeap)} (${spaces}) + ` +
    `other anonymous ${mib(split.otherAnonymous)} + brk ${mib(split.brk)} + files ${mib(split.files)} ` +
    `(external ${mib(split.external)}, of it ArrayBuffers ${mib(split.arrayBuffers)})`
  );
}
