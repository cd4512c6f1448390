import type { PayloadSealer } from '../payload/payload-sealer';
import { formatEventId } from '../protocol/event-id';
import { PROTOCOL_VERSION } from '../protocol/version';
import type { CipherAlg, CodecName, StreamEvent } from '../protocol/stream-event';
import { SSE_HEARTBEAT } from '../sse/encode-sse';
import { utf8ByteLength } from '../sse/utf8-byte-length';
import { jsonVerbatimExtraBytes } from '../sse/json-verbatim';

export interface ConnectionWriterOptions {
  streamId: string;
  /** Seals chunk and resync content on this connection; without it they go out plain. */
  sealer?: PayloadSealer;
  /** Announced in the `start` event when the sealer compresses (omit for identity). */
  codec?: CodecName;
  /** Announced in the `start` event when the sealer encrypts. */
  alg?: CipherAlg;
  /** Key id announced in the `start` event. Never the key itself. */
  kid?: string;
  /** Written once, before the first event, as the `retry:` reconnection hint. */
  retryMs?: number;
  /** Told the UTF-8 bytes and events of every write, for metering (e.g. `session.recordWrite`). */
  onWrite?: (bytes: number, events: number) => void;
}

/** Turns events into SSE text for one connection. Keep one per connection (a sealer's compression context is per connection). */
export interface ConnectionWriter {
  /** The SSE text for `events`, in order (UTF-8 encode it when writing to the socket). */
  write(events: readonly StreamEvent[]): string;
  /** A heartbeat comment (invisible to clients). */
  heartbeat(): string;
  /** UTF-8 bytes of all text this writer produced. */
  readonly bytesWritten: number;
  readonly eventsWritten: number;
}

class SSEConnectionWriter implements ConnectionWriter {
  bytesWritten = 0;
  eventsWritten = 0;
  private pendingRetry: number | undefined;
  // `id: <streamId>:` — the part of every event's id line that never changes (protocol 2).
  private readonly idPrefix: string;
  // The options read on every write, kept here: across thousands of connections the options
  // object is one more cold cache line per event.
  private readonly sealer: PayloadSealer | undefined;
  private readonly onWrite: ((bytes: number, events: number) => void) | undefined;

  constructor(private readonly options: ConnectionWriterOptions) {
    this.sealer = options.sealer;
    this.onWrite = options.onWrite;
    // `retry: 0` would make every client of a failing server reconnect at once: no hint instead.
    const retry = options.retryMs;
    this.pendingRetry = retry !== undefined && Number.isSafeInteger(retry) && retry >= 1 ? retry : undefined;
    const zero = formatEventId(options.streamId, 0);
    this.idPrefix = `id: ${zero.slice(0, zero.length - 1)}`;
  }

  write(events: readonly StreamEvent[]): string {
    let out = '';
    if (this.pendingRetry !== undefined) {
      out = `retry: ${this.pendingRetry}\n\n`;
      this.pendingRetry = undefined;
    }
    let count = 0;
    // UTF-8 bytes beyond one per UTF-16 unit: only JSON can hold non-ASCII (the framing never does),
    // so the bytes are counted on it alone, not on the whole (often not yet flattened) frame.
    let extraBytes = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (event.type === 'heartbeat') {
        out += SSE_HEARTBEAT;
        continue;
      }
      count++;
      // The fields are safe by construction, so encodeSSE's guards are skipped on this hot path:
      // the stream id is `[A-Za-z0-9_-]`, `seq` an integer, the type one of five names, and
      // JSON.stringify escapes CR, LF and lone surrogates, so the JSON is always one line.
      if (event.type === 'chunk' && this.sealer === undefined) {
        // A text chunk's frame in one template: fewer intermediate strings than frame + JSON apart.
        const data = event.data as PlainTextChunk;
        const field = plainTextField(data);
        if (field !== undefined) {
          const content = (field === TEXT_FIELD ? data.text : data.reasoning)!;
          // Seven pieces, each a rope node of the result (and the seq's digits made once, not
          // twice): the constant middle holds the protocol version every chunk of it carries.
          const seq = `${data.seq}`;
          const middle = data.v === PROTOCOL_VERSION ? CHUNK_MIDDLE : `\nevent: chunk\ndata: {"v":${data.v},"seq":`;
          const extra = jsonVerbatimExtraBytes(content);
          if (extra >= 0) {
            // Nothing to escape: the text itself between the quotes (JSON.stringify would copy it
            // into a new string, in a call out of the JIT's code, for the same characters).
            extraBytes += extra;
            out += `${this.idPrefix}${seq}${middle}${seq}${field === TEXT_FIELD ? TEXT_OPEN : REASONING_OPEN}${content}${STRING_CLOSE}`;
            continue;
          }
          const text = JSON.stringify(content);
          extraBytes += utf8ByteLength(text) - text.length;
          out += `${this.idPrefix}${seq}${middle}${seq}${field === TEXT_FIELD ? TEXT_KEY : REASONING_KEY}${text}}\n\n`;
          continue;
        }
      }
      const json = this.json(event);
      extraBytes += utf8ByteLength(json) - json.length;
      out += `${this.idPrefix}${event.data.seq}\nevent: ${event.type}\ndata: ${json}\n\n`;
    }
    this.record(out, out.length + extraBytes, count);
    return out;
  }

  heartbeat(): string {
    this.record(SSE_HEARTBEAT, SSE_HEARTBEAT.length, 0);
    return SSE_HEARTBEAT;
  }

  private record(text: string, bytes: number, events: number): void {
    if (text === '') return;
    this.bytesWritten += bytes;
    this.eventsWritten += events;
    this.onWrite?.(bytes, events);
  }

  private json(event: Exclude<StreamEvent, { type: 'heartbeat' }>): string {
    const sealer = this.sealer;
    if (event.type === 'start') {
      const { codec, alg, kid } = this.options;
      if (codec === undefined && alg === undefined && kid === undefined) return JSON.stringify(event.data);
      return JSON.stringify({ ...event.data, codec, alg, kid });
    }
    if (sealer !== undefined && this.options.alg !== undefined && (event.type === 'complete' || event.type === 'error')) {
      // The ending of an encrypted connection is the last frame of its chain (protocol 2).
      const fields: Record<string, unknown> = { ...event.data };
      delete fields.v;
      delete fields.seq;
      delete fields.seal;
      return JSON.stringify({ ...event.data, seal: sealer.seal(event.type, event.data.seq, fields) });
    }
    if (sealer === undefined || (event.type !== 'chunk' && event.type !== 'resync')) return JSON.stringify(event.data);
    if (event.type === 'chunk') {
      const { v, seq, ...content } = event.data as Record<string, unknown> & { v: number; seq: number };
      return JSON.stringify({ v, seq, ...sealer.seal('chunk', seq, content) });
    }
    const { v, seq, reason, ...state } = event.data as Record<string, unknown> & { v: number; seq: number; reason: string };
    return JSON.stringify({ v, seq, reason, ...sealer.seal('resync', seq, state) });
  }
}

interface PlainTextChunk {
  v: number;
  seq: number;
  text?: string;
  reasoning?: string;
}

const TEXT_FIELD = '"text":';
const REASONING_FIELD = '"reasoning":';
// What goes between a plain text chunk's id and its JSON's seq, and from the seq to the content.
const CHUNK_MIDDLE = `\nevent: chunk\ndata: {"v":${PROTOCOL_VERSION},"seq":`;
const TEXT_KEY = `,${TEXT_FIELD}`;
const REASONING_KEY = `,${REASONING_FIELD}`;
// The same keys with the string's opening quote, and what closes the string, the JSON and the event.
const TEXT_OPEN = `${TEXT_KEY}"`;
const REASONING_OPEN = `${REASONING_KEY}"`;
const STRING_CLOSE = '"}\n\n';

/**
 * For a chunk that holds exactly `v`, `seq` and one of `text` / `reasoning` — the event a text
 * stream is made of — the key of its content, for JSON built by hand: identical to
 * `JSON.stringify` of the buffer's events (the test suite checks that) but about four times
 * faster, since only the text needs escaping. Anything else (tools, sealed fields, extra keys)
 * gives `undefined` and takes the generic path.
 */
function plainTextField(data: PlainTextChunk): typeof TEXT_FIELD | typeof REASONING_FIELD | undefined {
  let keys = 0;
  for (const _key in data) keys++;
  if (keys !== 3 || !Number.isSafeInteger(data.v) || !Number.isSafeInteger(data.seq)) return undefined;
  if (typeof data.text === 'string') return TEXT_FIELD;
  if (typeof data.reasoning === 'string') return REASONING_FIELD;
  return undefined;
}

/** Creates the per-connection {@link ConnectionWriter}. */
export function createConnectionWriter(options: ConnectionWriterOptions): ConnectionWriter {
  return new SSEConnectionWriter(options);
}
