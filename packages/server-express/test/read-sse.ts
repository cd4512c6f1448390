import { request, type IncomingMessage } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One received SSE event with the time it arrived. */
export interface ReceivedEvent extends EventSourceMessage {
  at: number;
  json: Record<string, unknown>;
}

export interface SSEReader {
  status: number;
  headers: IncomingMessage['headers'];
  events: ReceivedEvent[];
  comments: string[];
  retry: number | undefined;
  /** The body of an error answer (status 400 and above), as text. */
  errorBody: string;
  /** Resolves when the response ends. */
  done: Promise<void>;
  /** Resolves once `n` events arrived (or the response ended). */
  waitFor(predicate: (events: ReceivedEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Destroys the connection (a client disconnect). */
  close(): void;
  response: IncomingMessage;
}

/**
 * Opens an SSE request over a real socket and parses it with eventsource-parser, decompressing the
 * transport encoding the server chose.
 */
export function openSSE(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; pause?: boolean } = {},
): Promise<SSEReader> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...init.headers };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    const req = request(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers }, (res) => {
      const events: ReceivedEvent[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      const reader: SSEReader = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        retry: undefined,
        errorBody: '',
        // Set below, once the decoding pipeline exists: the end of the DECODED stream, so nothing a
        // decompressor still holds is missed.
        done: undefined as unknown as Promise<void>,
        waitFor(predicate, timeoutMs = 60_000) {
          return new Promise((ok, fail) => {
            if (predicate(events)) return ok();
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`timed out waiting; got ${events.length} events: ${events.map((e) => e.event).join(',')}`));
            }, timeoutMs);
            const check = () => {
              if (predicate(events)) {
                clearTimeout(timer);
                waiters.delete(check);
                ok();
              }
            };
            waiters.add(check);
            void reader.done.then(() => {
              if (waiters.has(check)) {
                clearTimeout(timer);
                waiters.delete(check);
                if (predicate(events)) ok();
                else fail(new Error(`stream ended; got ${events.length} events: ${events.map((e) => e.event).join(',')}`));
              }
            });
          });
        },
        close() {
          req.destroy();
          res.destroy();
        },
        response: res,
      };
      const parser = createParser({
        onEvent(message) {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(message.data) as Record<string, unknown>;
          } catch {
            // Non-JSON data is kept as the raw message only.
          }
          events.push({ ...message, at: performance.now(), json });
          for (const w of [...waiters]) w();
        },
        onComment(comment) {
          comments.push(comment);
        },
        onRetry(ms) {
          reader.retry = ms;
        },
      });
      const encoding = res.headers['content-encoding'];
      const source =
        encoding === 'gzip' ? res.pipe(createGunzip()) : encoding === 'deflate' ? res.pipe(createInflate()) : encoding === 'br' ? res.pipe(createBrotliDecompress()) : res;
      reader.done = new Promise<void>((r) => {
        source.on('end', () => r());
        source.on('error', () => r());
        res.on('close', () => {
          if (!res.complete) r();
        });
      });
      source.setEncoding('utf8');
      if (!init.pause) source.on('data', (text: string) => (reader.status >= 400 ? (reader.errorBody += text) : parser.feed(text)));
      resolve(reader);
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/** A JSON request. */
export async function fetchJson(url: string, init: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}) });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
