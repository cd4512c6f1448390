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
