import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as zlibConstants, createBrotliCompress, createDeflate, createGzip, type Gzip } from 'node:zlib';
import { SSE_HEARTBEAT, encodeSSE } from '@twin/core';
import { registerHeartbeat } from './heartbeat-ticker';
import type { TransportEncoding } from './negotiate-encoding';

/** Options of {@link openSSEResponse}. */
export interface SSEResponseOptions {
  encoding: TransportEncoding;
  /** `retry:` hint sent with the first comment. */
  retryMs: number;
  /** Heartbeat comment interval; a heartbeat is only written when nothing else was for that long. */
  heartbeatIntervalMs: number;
  /**
   * Bytes held for this connection while the socket reports backpressure. Past it, `onOverflow`
   * fires once: the caller closes the stream with an error event (the slow-client policy).
   */
  maxQueuedBytes: number;
  /** Extra response headers (e.g. `X-Twin-Stream-Id`). */
  headers?: Record<string, string>;
  /** The client went away (the response's `close` before we ended it). */
  onClientClose: () => void;
  /** The queue passed `maxQueuedBytes`. */
  onOverflow: () => void;
  /** Backpressure ended: everything queued was handed to the socket. */
  onDrain?: () => void;
  /**
   * Bytes (UTF-8, before transport compression) and events handed to the socket: what the stream is
   * metered and billed for. Frames dropped from the queue by the slow-client policy never count.
   */
  onWritten?: (bytes: number, events: number) => void;
}

/** One SSE connection: writes frames with backpressure, heartbeats and optional transport compression. */
export interface SSEResponse {
  /**
   * Writes one or more encoded frames. Returns false while the connection is backpressured (the
   * frames are queued, bounded by `maxQueuedBytes`): write less often and coalesce until `onDrain`.
   * `bytes`: their UTF-8 length when the caller already knows it (saves counting them again);
   * `events`: how many events they hold (reported to `onWritten` once they reach the socket).
   */
  write(frames: string, bytes?: number, events?: number): boolean;
  readonly backpressure: boolean;
  readonly queuedBytes: number;
  /** UTF-8 bytes of the queued frames (written before the response ends, unless it overflowed). */
  readonly queuedUtf8Bytes: number;
  /** Bytes handed to the transport (before compression). */
  readonly bytesWritten: number;
  readonly closed: boolean;
  /** The queue passed its bound: later writes are dropped until `end(finalFrames)`. */
  readonly overflowed: boolean;
  /**
   * Ends the response after `finalFrames` (written past the queue bound: it is the last word, and
   * small). The socket is destroyed if the client does not take it within `graceMs`.
   */
  end(finalFrames?: string, graceMs?: number): void;
}

/**
 * Starts an SSE response (docs/design.md "Wire protocol" headers) and sends an immediate first comment with the
 * `retry:` hint, so proxies and clients see bytes at once.
 *
 * Transport compression uses node:zlib and is flushed after every write (`Z_SYNC_FLUSH` /
 * `BROTLI_OPERATION_FLUSH`): no event ever waits inside a compressor for more input.
 */
export function openSSEResponse(req: IncomingMessage, res: ServerResponse, options: SSEResponseOptions): SSEResponse {
  const headers: Record<string, string> = {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
    Vary: 'Accept-Encoding',
    ...options.headers,
  };
  if (req.httpVersionMajor === 1) headers.Connection = 'keep-alive';
  if (options.encoding !== 'identity') headers['Content-Encoding'] = options.encoding;
  res.writeHead(200, headers);
  // Headers, the first comment, the start event and (usually) the first chunk are produced in this
  // turn: corked, they leave in one packet instead of three or four writes.
  const socket = res.socket;
  if (socket && options.encoding === 'identity') {
    socket.cork();
    setImmediate(() => socket.uncork());
  }
  req.socket.setNoDelay(true);
  req.socket.setKeepAlive(true, 30_000);

  // Small windows keep a compressor at tens of KB per connection instead of hundreds.
  let compressor: Gzip | undefined;
  let flushCompressor: (() => void) | undefined;
  if (options.encoding === 'gzip' || options.encoding === 'deflate') {
    const z = (options.encoding === 'gzip' ? createGzip : createDeflate)({ level: 6, windowBits: 13, memLevel: 6 });
    compressor = z;
    flushCompressor = () => z.flush(zlibConstants.Z_SYNC_FLUSH);
  } else if (options.encoding === 'br') {
    const b = createBrotliCompress({
      params: {
        [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
        [zlibConstants.BROTLI_PARAM_QUALITY]: 4,
        [zlibConstants.BROTLI_PARAM_LGWIN]: 16,
      },
    });
    compressor = b as unknown as Gzip;
    flushCompressor = () => b.flush(zlibConstants.BROTLI_OPERATION_FLUSH);
  }
  if (compressor) {
    compressor.pipe(res);
    compressor.on('error', () => res.destroy());
  }
  const target = compressor ?? res;

  let queue: string[] = [];
  let queuedBytes = 0;
  // UTF-8 bytes and events of the queued frames, reported when they are handed to the socket.
  let queuedUtf8 = 0;
  let queuedEvents = 0;
  let backpressure = false;
  let bytesWritten = 0;
  let closed = false;
  let endedByUs = false;
  let overflowed = false;
  let lastWriteAt = Date.now();

  const rawWrite = (text: string, bytes?: number, events = 0): boolean => {
    const utf8 = bytes ?? Buffer.byteLength(text);
    bytesWritten += utf8;
    options.onWritten?.(utf8, events);
    lastWriteAt = Date.now();
    const ok = target.write(text);
    flushCompressor?.();
    return ok;
  };

  const onDrain = () => {
    if (closed) return;
    if (overflowed) dropQueue();
    if (queue.length > 0) {
      const text = queue.join('');
      const utf8 = queuedUtf8;
      const events = queuedEvents;
      dropQueue();
      if (!rawWrite(text, utf8, events)) {
        target.once('drain', onDrain);
        return;
      }
    }
    backpressure = false;
    options.onDrain?.();
  };

  // Written after 0.9–1.15 intervals of silence (the shared ticker checks every quarter interval).
  const stopHeartbeat = registerHeartbeat(options.heartbeatIntervalMs, {
    beat(now) {
      if (closed || backpressure || endedByUs) return;
      if (now - lastWriteAt >= options.heartbeatIntervalMs * 0.9) rawWrite(SSE_HEARTBEAT);
    },
  });

  function dropQueue(): void {
    queue = [];
    queuedBytes = 0;
    queuedUtf8 = 0;
    queuedEvents = 0;
  }

  const cleanup = () => {
    if (closed) return;
    closed = true;
    stopHeartbeat();
    dropQueue();
  };
  res.on('close', () => {
    const byClient = !endedByUs;
    cleanup();
    if (byClient) options.onClientClose();
  });

  rawWrite(encodeSSE({ comment: 'twin', retry: options.retryMs }));

  return {
    write(frames, bytes, events = 0) {
      if (closed) return false;
      // Past the bound nothing more is queued: the caller ends the response with its closing event.
      if (overflowed) return false;
      if (backpressure) {
        queue.push(frames);
        queuedBytes += frames.length;
        queuedUtf8 += bytes ?? Buffer.byteLength(frames);
        queuedEvents += events;
        if (queuedBytes > options.maxQueuedBytes && !overflowed) {
          overflowed = true;
          options.onOverflow();
        }
        return false;
      }
      if (!rawWrite(frames, bytes, events)) {
        backpressure = true;
        target.once('drain', onDrain);
        return false;
      }
      return true;
    },
    get backpressure() {
      return backpressure;
    },
    get queuedBytes() {
      return queuedBytes;
    },
    get queuedUtf8Bytes() {
      return queuedUtf8;
    },
    get bytesWritten() {
      return bytesWritten;
    },
    get closed() {
      return closed;
    },
    get overflowed() {
      return overflowed;
    },
    end(finalFrames, graceMs = 5_000) {
      if (closed || endedByUs) return;
      endedByUs = true;
      // Whatever is queued goes first, so order holds. After an overflow the queue is dropped by
      // design: the client gets the closing event and resumes from its Last-Event-ID.
      const queued = overflowed ? '' : queue.join('');
      const queuedCounts = overflowed ? [0, 0] : [queuedUtf8, queuedEvents];
      dropQueue();
      if (queued) rawWrite(queued, queuedCounts[0], queuedCounts[1]);
      if (finalFrames) rawWrite(finalFrames, undefined, countEvents(finalFrames));
      stopHeartbeat();
      target.end();
      // A slow client still reading gets the closing event (slow_client, say) after the bytes ahead
      // of it: the socket is destroyed only when a whole grace period passed with no progress in
      // its send buffer (or after MAX_CLOSING_MS in all), never while the client drains it.
      const startedAt = Date.now();
      let lastPending = Number.POSITIVE_INFINITY;
      let killer: ReturnType<typeof setTimeout>;
      const check = () => {
        const pending = (res.socket?.writableLength ?? 0) + res.writableLength;
        if ((pending > 0 && pending >= lastPending) || Date.now() - startedAt > MAX_CLOSING_MS) {
          res.destroy();
          return;
        }
        lastPending = pending;
        killer = setTimeout(check, graceMs);
        killer.unref();
      };
      killer = setTimeout(check, graceMs);
      killer.unref();
      res.once('close', () => clearTimeout(killer));
    },
  };
}

/** The longest a response we ended may take to reach a client that keeps reading. */
const MAX_CLOSING_MS = 60_000;

/** Events in SSE text (frames that carry an `event:` line; heartbeats are comments). */
function countEvents(frames: string): number {
  let n = 0;
  for (let i = frames.indexOf('\nevent: '); i !== -1; i = frames.indexOf('\nevent: ', i + 1)) n++;
  return n;
}
