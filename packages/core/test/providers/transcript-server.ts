import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** Reads a fixture transcript (bytes exactly as stored). */
export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url))));
}

/** One scripted answer of the transcript server. */
export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Write the body in pieces of random size (1..maxChunk bytes), yielding to the event loop between them. */
  maxChunk?: number;
  /** After writing the body, keep the connection open without ending it (a stalled upstream). */
  hang?: boolean;
  /** Destroy the socket after the body instead of ending the response cleanly (a cut connection). */
  destroy?: boolean;
  /** Wait before answering (time to first byte). */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** Resolves when the server sees the client side of this request go away (or the response end). */
  closed: Promise<{ completed: boolean }>;
}

/** The test that is running now (vitest's own state), to tell whose scripted responses are whose. */
const currentTest = () => expect.getState().currentTestName;

/**
 * A local HTTP server that replays wire transcripts over a real socket, one scripted response per
 * request in order, and records each request (its JSON body, and whether the client closed the
 * connection before the response completed). Responses a test scripted but never used are dropped
 * when the next test makes a request: one test that fails half-way (a timeout on a loaded machine)
 * must not hand its leftovers to every test after it.
 */
export async function startTranscriptServer() {
  const queue: { response: ScriptedResponse; test: string | undefined }[] = [];
  const requests: RecordedRequest[] = [];
  const open = new Set<ServerResponse>();
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: keep the text.
      }
      let completed = false;
      const closed = new Promise<{ completed: boolean }>((resolve) => res.on('close', () => resolve({ completed })));
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, closed });
      const test = currentTest();
      while (queue.length > 0 && queue[0]!.test !== test) queue.shift();
      const script = queue.shift()?.response ?? { status: 500, body: '{"error":{"message":"transcript server: nothing scripted"}}' };
      open.add(res);
      res.on('close', () => open.delete(res));
      if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
      if (res.destroyed) return;
      res.writeHead(script.status ?? 200, {
        'content-type': (script.status ?? 200) >= 400 ? 'application/json' : 'text/event-stream',
        ...script.headers,
      });
      res.flushHeaders();
      const bytes = typeof script.body === 'string' ? Buffer.from(script.body) : Buffer.from(script.body ?? new Uint8Array());
      let at = 0;
      while (at < bytes.length && !res.destroyed) {
        const size = script.maxChunk ? 1 + Math.floor(random() * script.maxChunk) : bytes.length;
        res.write(bytes.subarray(at, at + size));
        at += size;
        if (script.maxChunk) await new Promise((r) => setImmediate(r));
      }
      if (script.hang || res.destroyed) return;
      if (script.destroy) {
        res.socket?.destroy();
        return;
      }
      completed = true;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Queue the next responses, in order. */
    script(...responses: ScriptedResponse[]) {
      const test = currentTest();
      queue.push(...responses.map((response) => ({ response, test })));
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TranscriptServer = Awaited<ReturnType<typeof startTranscriptServer>>;
