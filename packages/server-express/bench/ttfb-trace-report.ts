/**
 * Reads a TTFB_TRACE_FILE written by sse-load.bench.ts (`<file>.json`, `<file>.cpuprofile`) and
 * prints where Twin's paced TTFB requests spent their time: per stage (client start → server accept
 * → 'request' → router returned / first write → client saw the chunk), at p50 / p90 / p99, and for
 * the slowest requests what the server's main thread ran during them (CPU profile self time by
 * function, GC pauses), all on the machine's monotonic clock.
 * Usage: pnpm exec tsx bench/ttfb-trace-report.ts <file> [slowest fraction, 0.02]
 */
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: ttfb-trace-report.ts <TTFB_TRACE_FILE> [fraction]');
const fraction = Number(process.argv[3] ?? 0.02);
const trace = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as { client: [string, string][]; server: string[][]; gc: [number, number, number][]; cpuMicros?: number; threadCpuMs?: Record<string, number>; posts?: string[] };
interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const profile = (existsSync(`${file}.cpuprofile`)
  ? JSON.parse(readFileSync(`${file}.cpuprofile`, 'utf8'))
  : { nodes: [], samples: [], timeDeltas: [], startTime: 0 }) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number };

const ms = (ns: string) => Number(BigInt(ns)) / 1e6;
// The profile's clock is V8's TimeTicks (CLOCK_MONOTONIC, µs), the same clock as process.hrtime.
const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
const sampleTimes: number[] = [];
let t = profile.startTime;
for (const d of profile.timeDeltas) sampleTimes.push((t += d) / 1e3);
const label = (n: Node) => {
  const url = n.callFrame.url.replace(/^.*\/(packages|node_modules)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
};

const n = Math.min(trace.client.length, trace.server.length);
if (trace.client.length !== trace.server.length) console.log(`note: ${trace.client.length} client samples, ${trace.server.length} server requests`);
interface Row { i: number; start: number; end: number; total: number; toAccept: number; toRequest: number; router: number; toFirstWrite: number; toChunkWrite: number; toClient: number; sincePrevClose: number }
const rows: Row[] = [];
for (let i = 0; i < n; i++) {
  const [cs, ce] = trace.client[i]!.map(ms) as [number, number];
  const [accept, request, returned, firstWrite, , chunkWrite] = trace.server[i]!.map(ms) as [number, number, number, number, number, number];
  const prevClose = i > 0 ? ms(trace.server[i - 1]![4]!) : NaN;
  rows.push({
    i,
    start: cs,
    end: ce,
    total: ce - cs,
    toAccept: accept - cs,
    toRequest: request - accept,
    router: returned - request,
    toFirstWrite: firstWrite - request,
    toChunkWrite: chunkWrite - firstWrite,
    toClient: ce - chunkWrite,
    sincePrevClose: cs - prevClose,
  });
}
const bad = rows.filter((r) => r.toAccept < -0.05 || r.toClient < -0.05).length;
if (bad > 0) console.log(`warning: ${bad} requests whose server times fall outside their client span (order mismatch?)`);
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const stages: (keyof Row)[] = ['total', 'toAccept', 'toRequest', 'router', 'toFirstWrite', 'toChunkWrite', 'toClient'];
console.log(`${n} paced requests; stage p50 / p90 / p99 / max (ms):`);
for (const k of stages) {
  const xs = rows.map((r) => r[k] as number);
  console.log(`  ${k.padEnd(14)} ${[0.5, 0.9, 0.99, 1].map((p) => q(xs, p).toFixed(3)).join(' / ')}`);
}

// The slowest requests: stages, GC overlap and what the main thread ran during each.
const slow = [...rows].sort((a, b) => b.total - a.total).slice(0, Math.max(1, Math.round(fraction * n)));
const selfTotals = new Map<string, number>();
const sampleStep = profile.timeDeltas.length ? (sampleTimes.at(-1)! - sampleTimes[0]!) / sampleTimes.length : 0.1;
console.log(`\nslowest ${slow.length} (ms): total | →accept | →request | router | →first write | →chunk write | →client | GC in span | main thread busy in span (top self)`);
for (const r of slow) {
  const gc = trace.gc.filter(([s, d]) => s < r.end && s + d > r.start).map(([, d, k]) => `${d.toFixed(1)}(k${k})`);
  const self = new Map<string, number>();
  let busy = 0;
  // Binary search the first sample in the span.
  let lo = 0;
  let hi = sampleTimes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sampleTimes[mid]! < r.start) lo = mid + 1;
    else hi = mid;
  }
  for (let j = lo; j < sampleTimes.length && sampleTimes[j]! <= r.end; j++) {
    const node = nodeById.get(profile.samples[j]!)!;
    const name = label(node);
    const dt = (profile.timeDeltas[j + 1] ?? sampleStep * 1e3) / 1e3;
    if (name.startsWith('(idle)')) continue;
    busy += dt;
    self.set(name, (self.get(name) ?? 0) + dt);
    selfTotals.set(name, (selfTotals.get(name) ?? 0) + dt);
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${v.toFixed(2)}`);
  console.log(
    `  #${r.i} ${r.total.toFixed(2)} | ${r.toAccept.toFixed(2)} | ${r.toRequest.toFixed(2)} | ${r.router.toFixed(2)} | ${r.toFirstWrite.toFixed(2)} | ${r.toChunkWrite.toFixed(2)} | ${r.toClient.toFixed(2)} | ${gc.join(' ') || '-'} | busy ${busy.toFixed(2)}: ${top.join('; ')}`,
  );
}
console.log('\nmain-thread self time summed over the slowest requests (ms):');
for (const [k, v] of [...selfTotals].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${v.toFixed(2)}  ${k}`);

// What the main thread ran over all requests' spans vs between them (the rest of the window).
const inSpan = new Map<string, number>();
let spanBusy = 0;
let spanTime = 0;
for (const r of rows) spanTime += r.total;
let k = 0;
for (let j = 0; j < sampleTimes.length; j++) {
  const at = sampleTimes[j]!;
  while (k < rows.length && rows[k]!.end < at) k++;
  if (k >= rows.length || rows[k]!.start > at) continue;
  const name = label(nodeById.get(profile.samples[j]!)!);
  if (name.startsWith('(idle)')) continue;
  const dt = (profile.timeDeltas[j + 1] ?? 100) / 1e3;
  spanBusy += dt;
  inSpan.set(name, (inSpan.get(name) ?? 0) + dt);
}
console.log(`\nall requests: main thread busy ${spanBusy.toFixed(0)} of ${spanTime.toFixed(0)} ms inside the requests' spans; top self:`);
for (const [name, v] of [...inSpan].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${v.toFixed(2)}  ${name}`);
// The same for each request's server-side windows: request → chunk write (the first-chunk path) and
// chunk write → the client's end (what the server ran while the chunk travelled), inclusive of callers.
const windows: Array<[string, (i: number) => [number, number]]> = [
  ['request → chunk write', (i) => [ms(trace.server[i]![1]!), ms(trace.server[i]![5]!)]],
  ['chunk write → client end', (i) => [ms(trace.server[i]![5]!), rows[i]!.end]],
  ['client start → request', (i) => [rows[i]!.start, ms(trace.server[i]![1]!)]],
];
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const c of node.children ?? []) parentOf.set(c, node.id);
for (const [title, span] of windows) {
  if (sampleTimes.length === 0) break;
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let busyTotal = 0;
  for (let i = 0; i < n; i++) {
    const [a, b] = span(i);
    let lo2 = 0;
    let hi2 = sampleTimes.length;
    while (lo2 < hi2) {
      const mid = (lo2 + hi2) >> 1;
      if (sampleTimes[mid]! < a) lo2 = mid + 1;
      else hi2 = mid;
    }
    for (let j = lo2; j < sampleTimes.length && sampleTimes[j]! <= b; j++) {
      const node = nodeById.get(profile.samples[j]!)!;
      const name = label(node);
      if (name.startsWith('(idle)')) continue;
      const dt = Math.min(1, (profile.timeDeltas[j + 1] ?? 100) / 1e3);
      busyTotal += dt;
      self.set(name, (self.get(name) ?? 0) + dt);
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parentOf.get(id)) {
        const l = label(nodeById.get(id)!);
        if (seen.has(l)) continue;
        seen.add(l);
        incl.set(l, (incl.get(l) ?? 0) + dt);
      }
    }
  }
  console.log(`\n${title}: main thread busy ${(busyTotal / n).toFixed(3)} ms per request (samples capped at 1 ms); self, then inclusive (ms per request):`);
  for (const [name, v] of [...self].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.log(`  ${(v / n).toFixed(4)}  ${name}`);
  console.log('  --');
  for (const [name, v] of [...incl].sort((x, y) => y[1] - x[1]).slice(0, 45)) console.log(`  ${(v / n).toFixed(4)}  ${name}`);
}
// The statements sent to the database's worker (its CPU on the cores the request shares), by
// where they fell in a request: before its first chunk was written (request → chunk write), while
// the chunk travelled (chunk write → client end), or between requests.
if (trace.posts) {
  const posts = trace.posts.map(ms).sort((a, b) => a - b);
  let inPath = 0;
  let inFlight = 0;
  const slowSet = new Set(slow.map((r) => r.i));
  let slowWith = 0;
  const count = (a: number, b: number) => {
    let lo3 = 0;
    let hi3 = posts.length;
    while (lo3 < hi3) {
      const mid = (lo3 + hi3) >> 1;
      if (posts[mid]! < a) lo3 = mid + 1;
      else hi3 = mid;
    }
    let c = 0;
    for (let j = lo3; j < posts.length && posts[j]! <= b; j++) c++;
    return c;
  };
  for (let i = 0; i < n; i++) {
    const request = ms(trace.server[i]![1]!);
    const chunk = ms(trace.server[i]![5]!);
    const a = count(request, chunk);
    const b = count(chunk, rows[i]!.end);
    inPath += a;
    inFlight += b;
    if (slowSet.has(i) && count(rows[i]!.start, rows[i]!.end) > 0) slowWith++;
  }
  console.log(
    `statements sent to the database's worker: ${(posts.length / n).toFixed(2)} per request; in a request's request → chunk write ${(inPath / n).toFixed(3)}, chunk write → client end ${(inFlight / n).toFixed(3)} per request; ` +
      `${slowWith} of the slowest ${slow.length} had one sent in their span`,
  );
}
const gcTotal = trace.gc.reduce((s, [, d]) => s + d, 0);
console.log(`GC pauses in the window: ${trace.gc.length}, ${gcTotal.toFixed(1)} ms, max ${Math.max(0, ...trace.gc.map(([, d]) => d)).toFixed(1)} ms`);
if (trace.cpuMicros) console.log(`server CPU in the window: ${(trace.cpuMicros / 1e3).toFixed(0)} ms, ${(trace.cpuMicros / 1e3 / n).toFixed(3)} ms per request`);
if (trace.threadCpuMs) console.log(`per thread (ms): ${Object.entries(trace.threadCpuMs).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`time since the previous request's close, p50 ${q(rows.slice(1).map((r) => r.sincePrevClose), 0.5).toFixed(2)} ms`);
