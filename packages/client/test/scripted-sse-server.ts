import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeSSE, encodeSSEComment } from '@twin/core';

/** One event the test server streams; its seq is its index in the script. */
export interface ScriptedEvent {
  event: string;
  data: Record<string, unknown>;
}

/** What one connection does. Unset fields: serve every remaining event, then end. */
export interface ConnectionPlan {
  /** Answer with this HTTP status and JSON body instead of a stream. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Write only this many bytes of the remaining stream (cutting mid-frame), then drop the socket. */
  cutAtByte?: number;
  /** End the response cleanly after this many bytes instead of dropping the socket. */
  endAtByte?: number;
  /** After this many events, send nothing more and keep the connection open. */
  stallAfterEvents?: number;
  /** Heartbeat comments every `heartbeatMs` while stalled. */
  heartbeatMs?: number;
  /** Start replay this many events BEFORE what Last-Event-ID asked for (an over-eager server). */
  overlap?: number;
  /** `retry:` hint sent first. */
  retry?: number;
  /** Raw SSE text written before the events (e.g. `retry: 0`, which encodeSSE refuses to write). */
  prefix?: string;
  /** Raw SSE text written after the events; with `stallAfterEvents` the response then ends early. */
  suffix?: string;
  /** Milliseconds between events (default 0: everything in one write). */
  eventDelayMs?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  lastEventId: string | undefined;
  authorization: string | undefined;
  body: string;
}

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  deletes: RecordedRequest[];
  close(): Promise<void>;
}

/** Rewrites events as one connection sends them (e.g. a per-connection payload sealer). */
export type ConnectionTransform = (event: ScriptedEvent, seq: number) => ScriptedEvent;

/** The SSE frame of script entry `seq`, as the real server would write it. */
export function frame(script: ScriptedEvent[], seq: number, transform?: ConnectionTransform): string {
  const e = transform ? transform(script[seq] as ScriptedEvent, seq) : (script[seq] as ScriptedEvent);
  return encodeSSE({ id: seq, event: e.event, data: JSON.stringify({ v: 1, seq, ...e.data }) });
}

/**
 * A real HTTP server over a real socket that streams `script` as Twin SSE and follows `plans`, one per
 * connection in order (later connections serve normally). Resumes honour `Last-Event-ID`.
 */
export async function startScriptedServer(
  script: ScriptedEvent[],
  plans: ConnectionPlan[] = [],
  perConnection?: () => ConnectionTransform,
): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const deletes: RecordedRequest[] = [];
  const timers = new Set<ReturnType<typeof setInterval>>();
  const open = new Set<ServerResponse>();
  let connection = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const part of req) body += String(part);
    const record: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      lastEventId: req.headers['last-event-id'] as string | undefined,
      authorization: req.headers.authorization,
      body,
    };
    if (req.method === 'DELETE') {
      deletes.push(record);
      // Like the reference server: the stream's summary with the partial stream's receipt.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ stream: { id: record.url.split('/').pop(), cost: { currency: 'USD', total: '0.0042', estimated: true } } }));
      return;
    }
    requests.push(record);
    const plan = plans[connection++] ?? {};
    if (plan.status !== undefined) {
      res.writeHead(plan.status, { 'content-type': 'application/json', ...plan.headers });
      res.end(JSON.stringify(plan.body ?? {}));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform' });
    res.flushHeaders();
    open.add(res);
    res.on('close', () => open.delete(res));
    const from = record.lastEventId === undefined ? 0 : Number(record.lastEventId) + 1 - (plan.overlap ?? 0);
    let seqs = script.map((_, i) => i).slice(Math.max(0, from));
    if (plan.stallAfterEvents !== undefined) seqs = seqs.slice(0, plan.stallAfterEvents);
    const transform = perConnection?.();
    let text = (plan.prefix ?? '') + (plan.retry === undefined ? '' : encodeSSE({ retry: plan.retry }));
    const bytesLimit = plan.cutAtByte ?? plan.endAtByte;
    if (plan.eventDelayMs) {
      for (const seq of seqs) {
        if (res.destroyed) return;
        res.write(frame(script, seq, transform));
        await new Promise((r) => setTimeout(r, plan.eventDelayMs));
      }
    } else {
      for (const seq of seqs) text += frame(script, seq, transform);
      if (plan.suffix !== undefined) {
        res.end(text + plan.suffix);
        return;
      }
      const bytes = Buffer.from(text);
      if (bytesLimit !== undefined) {
        res.write(bytes.subarray(0, bytesLimit));
        if (plan.cutAtByte !== undefined) setTimeout(() => res.socket?.destroy(), 5);
        else res.end();
        return;
      }
      res.write(bytes);
    }
    if (plan.stallAfterEvents !== undefined) {
      if (plan.heartbeatMs) {
        const t = setInterval(() => res.write(encodeSSEComment('hb')), plan.heartbeatMs);
        timers.add(t);
        res.on('close', () => clearInterval(t));
      }
      return; // keep the connection open, silent (or heartbeating)
    }
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/stream`,
    requests,
    deletes,
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A typical script: start, `n` text chunks, complete with usage and a cost receipt. */
export function textScript(n: number, streamId = 'str_test'): ScriptedEvent[] {
  const script: ScriptedEvent[] = [
    { event: 'start', data: { streamId, provider: 'simulated', model: 'sim-1', createdAt: '2026-01-01T00:00:00.000Z' } },
  ];
  for (let i = 0; i < n; i++) script.push({ event: 'chunk', data: { text: `t${i} ` } });
  script.push({
    event: 'complete',
    data: {
      finishReason: 'stop',
      usage: { inputTokens: 5, outputTokens: n },
      cost: { currency: 'USD', total: '0.0123', estimated: false, recordId: 'bill_1' },
    },
  });
  return script;
}

/** The text `textScript(n)` streams. */
export const fullText = (n: number) => Array.from({ length: n }, (_, i) => `t${i} `).join('');
