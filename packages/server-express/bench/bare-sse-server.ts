/**
 * The peer of the load bench: a bare node:http SSE server with no logic at all (no auth, storage,
 * session, buffering or billing), writing the same stamped `chunk` events at the same rate to the
 * same load generator. What it costs per event is this machine's floor for one event on one socket
 * (mostly the write syscall and the kernel's loopback path); Twin's figures are read against it.
 * Speaks load-server.ts's IPC protocol (ready / report / stop).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sampleRssPeaks } from './rss-peaks';
import { wallNow } from './stamped-provider';
import { threadsCpu } from './process-cpu';

const TOKENS_PER_SECOND = Number(process.env.TOKENS_PER_SECOND ?? 10);
const OUTPUT_TOKENS = Number(process.env.OUTPUT_TOKENS ?? 500);
const WORDS = ['the ', 'stream ', 'of ', 'tokens ', 'flows ', 'from ', 'model ', 'to ', 'client '];

interface Live { res: ServerResponse; seq: number; due: number }
const live = new Set<Live>();
let eventsSent = 0;
let openConnections = 0;

// One timer for every stream, as Twin's slot sleep and tick scheduler do: a per-stream setInterval
// would make the peer pay for 10,000 timers that Twin does not.
const interval = 1000 / TOKENS_PER_SECOND;
setInterval(() => {
  const now = Date.now();
  for (const s of live) {
    if (s.due > now) continue;
    s.due += interval;
    s.seq++;
    const text = `${WORDS[s.seq % WORDS.length]}|${wallNow().toFixed(1)}|`;
    s.res.write(`id: ${s.seq}\nevent: chunk\ndata: {"v":1,"seq":${s.seq},"text":${JSON.stringify(text)}}\n\n`);
    eventsSent++;
    if (s.seq > OUTPUT_TOKENS) {
      live.delete(s);
      s.res.end(`id: ${s.seq + 1}\nevent: complete\ndata: {"v":1,"seq":${s.seq + 1}}\n\n`);
    }
  }
}, 5);

const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive' });
  req.socket.setNoDelay(true);
  // The first chunk goes out with the headers, as Twin's first token does (its provider has no first-token delay).
  res.write(`: bare\nretry: 1000\n\nid: 0\nevent: start\ndata: {"v":1,"seq":0}\n\nid: 1\nevent: chunk\ndata: {"v":1,"seq":1,"text":"the |${wallNow().toFixed(1)}|"}\n\n`);
  eventsSent += 2;
  const s: Live = { res, seq: 1, due: Date.now() + interval };
  live.add(s);
  openConnections++;
  res.on('close', () => {
    openConnections--;
    live.delete(s);
  });
});
server.timeout = 0;
server.listen({ port: 0, host: '127.0.0.1', backlog: 8_192 });
await new Promise((r) => server.once('listening', r));

const rssPeaks = sampleRssPeaks();
process.on('message', (message: { type: string }) => {
  if (message.type === 'report') {
    const peaks = rssPeaks.report();
    const m = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.send!({ type: 'report', rss: m.rss, heapUsed: m.heapUsed, external: m.external, cpuMicros: cpu.user + cpu.system, threads: threadsCpu(), eventsSent, ...peaks, activeStreams: live.size, openConnections, pendingChunkRows: 0, slowClientCloses: 0 });
  } else if (message.type === 'stop') {
    rssPeaks.stop();
    server.closeAllConnections();
    server.close();
    process.exit(0);
  }
});
const m = process.memoryUsage();
process.send!({ type: 'ready', rss: m.rss, heapUsed: m.heapUsed, port: (server.address() as AddressInfo).port, key: 'none', driver: 'none' });
