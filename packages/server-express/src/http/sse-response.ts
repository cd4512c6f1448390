import { OutgoingMessage, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { constants as zlibConstants, createBrotliCompress, createDeflate, createGzip, type Gzip } from 'node:zlib';
import { SSE_HEARTBEAT, encodeSSE } from '@twin/core';
import { QUIET_CHECKS, registerHeartbeat, unregisterHeartbeat, type HeartbeatMember } from './heartbeat-ticker';
import type { TransportEncoding } from './negotiate-encoding';

/**
 * Options of {@link openSSEResponse}. The callbacks are called as methods of this object
 * (`options.onDrain()`), so it may be an instance whose callbacks are methods (the stream hub passes
 * its connection object to the built-in formats; a format of the app's own gets a plain object it
 * may spread or take callbacks off).
 */
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
  /** The socket refused a write: frames queue (bounded by `maxQueuedBytes`) until `onDrain`. */
  onBackpressure?: () => void;
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
  /**
   * Sends now what the response's first turn holds back: its headers, first comment and first
   * events are corked together until the turn ends, and a stream calls this once it wrote its first
   * content, which should not wait behind the rest of the turn. Optional: a response without such a
   * hold has nothing to do.
   */
  flush?(): void;
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
  // turn: corked, they leave in one packet instead of three or four writes. The cork ends at the
  // first content (`flush`, called by the stream once it wrote it) or with the turn, whichever
  // comes first: the rest of the turn (the billing opening's statement built and posted to the
  // database's worker, other streams' callbacks) held the first chunk some 0.5 ms at the median.
  const socket = res.socket;
  const corked = socket && options.encoding === 'identity' ? socket : undefined;
  corked?.cork();
  req.socket.setNoDelay(true);
  req.socket.setKeepAlive(true, 30_000);
  const connection = new SSEConnection(res, options, openCompressor(options.encoding, res), corked);
  if (corked) setImmediate(flushConnection, connection);
  return connection;
}

function flushConnection(connection: SSEConnection): void {
  connection.flush();
}

/** The transport compressor of an encoding (piped into `res`), with its flush; none for identity. */
function openCompressor(encoding: TransportEncoding, res: ServerResponse): Compressor | undefined {
  let stream: Gzip;
  let flush: () => void;
  // Small windows keep a compressor at tens of KB per connection instead of hundreds.
  if (encoding === 'gzip' || encoding === 'deflate') {
    const z = (encoding === 'gzip' ? createGzip : createDeflate)({ level: 6, windowBits: 13, memLevel: 6 });
    stream = z;
    flush = () => z.flush(zlibConstants.Z_SYNC_FLUSH);
  } else if (encoding === 'br') {
    const b = createBrotliCompress({
      params: {
        [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
        [zlibConstants.BROTLI_PARAM_QUALITY]: 4,
        [zlibConstants.BROTLI_PARAM_LGWIN]: 16,
      },
    });
    stream = b as unknown as Gzip;
    flush = () => b.flush(zlibConstants.BROTLI_OPERATION_FLUSH);
  } else {
    return undefined;
  }
  stream.pipe(res);
  stream.on('error', () => res.destroy());
  return { stream, flush };
}

interface Compressor {
  stream: Gzip;
  flush: () => void;
}

/**
 * One connection's state as one object with its methods on the prototype: thousands of open
 * connections each held a dozen closures and an object of getters (some 2 KiB apiece) before.
 */
class SSEConnection implements SSEResponse, HeartbeatMember {
  /** Frames waiting for the socket to drain (allocated on the first backpressured write). */
  private queue: string[] | undefined;
  queuedBytes = 0;
  // UTF-8 bytes and events of the queued frames, reported when they are handed to the socket.
  queuedUtf8Bytes = 0;
  private queuedEvents = 0;
  backpressure = false;
  bytesWritten = 0;
  closed = false;
  private endedByUs = false;
  overflowed = false;
  /**
   * The heartbeat's view of the connection, kept by the ticker instead of a clock read per write:
   * `bytesWritten` as the last check saw it, and how many checks since found it unchanged.
   */
  private beatBytes = -1;
  private quietChecks = 0;
  private readonly target: NodeJS.WritableStream;
  /** The socket's `drain` listener, made at the first backpressure (most connections never see one). */
  private onSocketDrain: (() => void) | undefined;
  /** The socket the chunks are framed and written to directly, once the headers are out (see {@link chunkedSocket}). */
  private readonly socket: Socket | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SSEResponseOptions,
    private readonly compressor: Compressor | undefined,
    /** The socket corked for the first turn (see {@link openSSEResponse}) until {@link flush}. */
    private corked: Socket | undefined,
  ) {
    this.target = compressor?.stream ?? res;
    // Written after 0.9–1.125 intervals of silence (see beat).
    registerHeartbeat(options.heartbeatIntervalMs, this);
    res.on('close', () => {
      const byClient = !this.endedByUs;
      this.cleanup();
      if (byClient) options.onClientClose();
    });
    // Through res: the headers go out with it.
    this.rawWrite(encodeSSE({ comment: 'twin', retry: options.retryMs }));
    this.socket = compressor ? undefined : chunkedSocket(res);
  }

  flush(): void {
    const socket = this.corked;
    if (socket === undefined) return;
    this.corked = undefined;
    socket.uncork();
  }

  /**
   * A check of the shared ticker (every 0.225 interval, see heartbeat-ticker.ts). A write
   * since the previous check makes this one the start of the silence; the heartbeat goes out at the
   * {@link QUIET_CHECKS}th check after it, so after 0.9 to 1.125 intervals of silence (0.9 to 1.15
   * when every write read the clock, one read per event).
   */
  beat(): void {
    if (this.closed || this.endedByUs) return;
    if (this.bytesWritten !== this.beatBytes) {
      this.beatBytes = this.bytesWritten;
      this.quietChecks = 0;
      return;
    }
    if (++this.quietChecks < QUIET_CHECKS || this.backpressure) return;
    this.rawWrite(SSE_HEARTBEAT);
    this.beatBytes = this.bytesWritten;
    this.quietChecks = 0;
  }

  write(frames: string, bytes?: number, events = 0): boolean {
    // After our end nothing more goes out (res would throw "write after end" at its caller).
    if (this.closed || this.endedByUs) return false;
    // Past the bound nothing more is queued: the caller ends the response with its closing event.
    if (this.overflowed) return false;
    if (this.backpressure) {
      (this.queue ??= []).push(frames);
      this.queuedBytes += frames.length;
      this.queuedUtf8Bytes += bytes ?? Buffer.byteLength(frames);
      this.queuedEvents += events;
      if (this.queuedBytes > this.options.maxQueuedBytes && !this.overflowed) {
        this.overflowed = true;
        this.options.onOverflow();
      }
      return false;
    }
    if (!this.rawWrite(frames, bytes, events)) {
      this.backpressure = true;
      this.drainSource().once('drain', (this.onSocketDrain ??= () => this.drained()));
      this.options.onBackpressure?.();
      return false;
    }
    return true;
  }

  end(finalFrames?: string, graceMs = 5_000): void {
    if (this.closed || this.endedByUs) return;
    this.endedByUs = true;
    // Whatever is queued goes first, so order holds. After an overflow the queue is dropped by
    // design: the client gets the closing event and resumes from its Last-Event-ID.
    const queued = this.overflowed || !this.queue ? '' : this.queue.join('');
    const utf8 = this.queuedUtf8Bytes;
    const events = this.queuedEvents;
    this.dropQueue();
    if (queued) this.rawWrite(queued, utf8, events);
    if (finalFrames) this.rawWrite(finalFrames, undefined, countEvents(finalFrames));
    this.stopHeartbeat();
    this.target.end();
    // A slow client still reading gets the closing event (slow_client, say) after the bytes ahead
    // of it: the socket is destroyed only when a whole grace period passed with no progress in
    // its send buffer (or after MAX_CLOSING_MS in all), never while the client drains it.
    const res = this.res;
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
  }

  private rawWrite(text: string, bytes?: number, events = 0): boolean {
    const utf8 = bytes ?? Buffer.byteLength(text);
    this.bytesWritten += utf8;
    this.options.onWritten?.(utf8, events);
    const socket = this.socket;
    // Never past res.end(): on a kept-alive socket the bytes would land in the next response.
    // `writable` (false once destroyed, errored or ending) reads the socket's writable state, which
    // the write reads anyway; `destroyed` read its readable state too, one more object per event.
    if (socket !== undefined && text !== '' && socket.writable && !this.res.writableEnded) {
      // The chunk's size is `bytes` as given: write()'s contract is their UTF-8 length (the stream's
      // writers count it exactly, and the bill's streamed bytes rest on the same figure).
      return socket.write(`${chunkHead(utf8)}${text}\r\n`);
    }
    const ok = this.target.write(text);
    this.compressor?.flush();
    return ok;
  }

  /** What emits the `drain` that ends backpressure: the socket when written directly. */
  private drainSource(): NodeJS.EventEmitter {
    return this.socket !== undefined && !this.res.writableEnded ? this.socket : this.target;
  }

  private drained(): void {
    if (this.closed) return;
    if (this.overflowed) this.dropQueue();
    const queue = this.queue;
    if (queue && queue.length > 0) {
      const text = queue.join('');
      const utf8 = this.queuedUtf8Bytes;
      const events = this.queuedEvents;
      this.dropQueue();
      if (!this.rawWrite(text, utf8, events)) {
        this.drainSource().once('drain', this.onSocketDrain!);
        return;
      }
    }
    this.backpressure = false;
    this.options.onDrain?.();
  }

  private dropQueue(): void {
    this.queue = undefined;
    this.queuedBytes = 0;
    this.queuedUtf8Bytes = 0;
    this.queuedEvents = 0;
  }

  private stopHeartbeat(): void {
    unregisterHeartbeat(this.options.heartbeatIntervalMs, this);
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeat();
    this.dropQueue();
  }
}

/** What node:http keeps private on a response and is read by {@link chunkedSocket}. */
interface ResponseInternals {
  chunkedEncoding?: boolean;
  _headerSent?: boolean;
  _hasBody?: boolean;
  outputSize?: number;
}

/**
 * The socket of a chunked HTTP/1.1 response whose headers are already on it and nothing else is
 * queued in `res`, else undefined (HTTP/2, HTTP/1.0, a HEAD, a response still waiting behind a
 * pipelined one: those keep going through `res.write`). Node's `res.write` of a chunked response
 * costs, per call, a cork with a nextTick to uncork and four socket writes (size, CRLF, data,
 * CRLF) buffered and handed to writev as four buffers; the same bytes, framed here as one string,
 * are one `socket.write` and one write(2). Every SSE frame crosses it, at 10 events/s per stream.
 * A response whose `write` something else replaced (a compression or byte-counting middleware of
 * the app that mounts the router), or that carries a `Content-Encoding` it did not get from us,
 * keeps going through `res.write` too: bytes written past that layer would reach the client raw.
 */
function chunkedSocket(res: ServerResponse): Socket | undefined {
  if (res.write !== OutgoingMessage.prototype.write || res.getHeader('content-encoding') !== undefined) return undefined;
  const socket = res.socket;
  const internals = res as unknown as ResponseInternals;
  if (!socket || (socket as { _httpMessage?: unknown })._httpMessage !== res) return undefined;
  if (internals.chunkedEncoding !== true || internals._headerSent !== true || internals._hasBody === false || internals.outputSize !== 0) return undefined;
  return socket;
}

/** Chunk-size lines, as written: an SSE frame is some 100 to 300 bytes, one of a few hundred sizes. */
const CACHED_CHUNK_SIZES = 4_096;
// Its full length up front: filled out of order, a growing array would turn into a dictionary.
const CHUNK_HEADS = new Array<string | undefined>(CACHED_CHUNK_SIZES);

/**
 * `bytes` in hex with its CRLF (the chunk-size line), cached below 4 KiB: `toString(16)` made a
 * string per frame, and the size joined to its CRLF another.
 */
function chunkHead(bytes: number): string {
  if (bytes >= CACHED_CHUNK_SIZES) return `${bytes.toString(16)}\r\n`;
  return (CHUNK_HEADS[bytes] ??= `${bytes.toString(16)}\r\n`);
}

/** The longest a response we ended may take to reach a client that keeps reading. */
const MAX_CLOSING_MS = 60_000;

/** Events in SSE text (frames that carry an `event:` line; heartbeats are comments). */
function countEvents(frames: string): number {
  let n = 0;
  for (let i = frames.indexOf('\nevent: '); i !== -1; i = frames.indexOf('\nevent: ', i + 1)) n++;
  return n;
}
