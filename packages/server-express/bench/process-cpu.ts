import { readdirSync, readFileSync } from 'node:fs';

// /proc/<pid>/stat counts in clock ticks: 100 per second on Linux (USER_HZ, `getconf CLK_TCK`).
const MICROS_PER_TICK = 10_000;

/** utime + stime (fields 14 and 15) and the parent pid (field 4) of one process, or undefined once it is gone. */
function readStat(pid: number): { ppid: number; cpuMicros: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), cpuMicros: (Number(fields[11]) + Number(fields[12])) * MICROS_PER_TICK };
}

/**
 * CPU time (user + system, µs, 10 ms resolution) of a process and its live children, all threads
 * included: HAProxy's threads, nginx's master and workers, a Node process and its worker threads.
 * Linux only (reads /proc); 0 elsewhere.
 */
export function processTreeCpuMicros(pid: number): number {
  const own = readStat(pid);
  if (!own) return 0;
  let total = own.cpuMicros;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return total;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.ppid === pid) total += stat.cpuMicros;
  }
  return total;
}

/** One thread of this process: its id, nice value and CPU time so far (ns, from schedstat). */
export interface ThreadCpu {
  tid: number;
  nice: number;
  cpuNanos: number;
}

/**
 * CPU time of each thread of this process (Linux; [] elsewhere), to tell the main thread from the
 * embedded database's worker (the one thread niced above the others) and V8's platform threads (GC
 * helpers, concurrent marking, WebAssembly compilation) and libuv's pool.
 */
export function threadsCpu(): ThreadCpu[] {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return [];
  }
  const threads: ThreadCpu[] = [];
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuNanos = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      threads.push({ tid: Number(tid), nice: Number(fields[16]), cpuNanos });
    } catch {
      // gone since the listing
    }
  }
  return threads;
}

/** Per-thread CPU between two readings, per event, as "main 12.3, database 4.5, other: 1.2 0.8 …" µs. */
export function formatThreadsCpu(pid: number, before: readonly ThreadCpu[], after: readonly ThreadCpu[], events: number): string {
  const was = new Map(before.map((t) => [t.tid, t.cpuNanos]));
  const rows = after
    .map((t) => ({ ...t, used: t.cpuNanos - (was.get(t.tid) ?? 0) }))
    .filter((t) => t.used > 0)
    .sort((a, b) => b.used - a.used);
  const us = (ns: number) => (ns / 1000 / Math.max(1, events)).toFixed(2);
  const main = rows.filter((t) => t.tid === pid);
  const niced = rows.filter((t) => t.tid !== pid && t.nice > 0);
  const other = rows.filter((t) => t.tid !== pid && t.nice <= 0);
  const sum = (ts: typeof rows) => ts.reduce((s, t) => s + t.used, 0);
  return (
    `main ${us(sum(main))}, database worker (niced) ${us(sum(niced))}, other threads ${us(sum(other))} ` +
    `[${other.map((t) => us(t.used)).join(' ')}] µs per event`
  );
}
