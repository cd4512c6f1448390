import { TwinError } from '../errors/twin-error';

/**
 * One Server-Sent Events message, as the WHATWG HTML "server-sent events" section defines its
 * fields. Every field is optional; what is set is written in a fixed order: comment, `retry`, `id`,
 * `event`, `data`, then the blank line that dispatches the event.
 *
 * Round trip (what a spec-conforming parser such as eventsource-parser gives back):
 * - `data` comes back exactly, except that `\r\n` and lone `\r` come back as `\n`: SSE has only one
 *   line separator inside data, so line breaks are normalised. `data: ''` is written as `data: ` and
 *   IS dispatched with empty data (the spec only skips events without any `data:` line).
 * - A message without `data` dispatches no event: its `id` (and `retry`) still update the parser's
 *   state, which is what the spec allows and nothing more.
 * - `event: ''` is the same as no event name (the spec resets the type to `message`), so the encoder
 *   writes no `event:` line for it.
 * - A space always follows the field colon, so values that start with a space survive (parsers strip
 *   exactly one).
 */
export interface SSEMessage {
  /** The event id (`Last-Event-ID` on reconnect). Must not contain CR, LF or NUL. */
  id?: string | number;
  /** The event type. Must not contain CR, LF or NUL. `''` means the default (`message`). */
  event?: string;
  /** The payload. Any text; line breaks (`\r\n`, `\r`, `\n`) split it into several `data:` lines. */
  data?: string;
  /**
   * Reconnection delay hint in milliseconds; a positive integer. `0` is refused: it would make every
   * client of a failing server reconnect at once, in a tight loop.
   */
  retry?: number;
  /** A comment (invisible to EventSource clients); line breaks split it into several comment lines. */
  comment?: string;
}

/** The heartbeat: one comment line and a blank line. Keeps proxies from closing an idle connection. */
export const SSE_HEARTBEAT = ': hb\n\n';

// One regex object reused for every multi-line payload; `split` with a global-less regex is safe.
const LINE_BREAK = /\r\n|\r|\n/;

function hasLineBreak(value: string): boolean {
  return value.indexOf('\n') !== -1 || value.indexOf('\r') !== -1;
}

function invalid(field: string, reason: string): TwinError {
  return new TwinError('invalid_argument', `SSE field "${field}" ${reason}.`, { details: { field } });
}

// String.prototype.isWellFormed is native in Node 20+ and current browsers (and far faster than a
// regex); older runtimes get the equivalent regex.
const nativeIsWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormed: (value: string) => boolean = nativeIsWellFormed
  ? (value) => nativeIsWellFormed.call(value)
  : (value) => !LONE_SURROGATE.test(value);

/**
 * Lone UTF-16 surrogates cannot be written as UTF-8: they would reach the client as U+FFFD and the
 * round trip would not be exact, so they are refused rather than silently replaced.
 */
function checkWellFormed(field: string, value: string): void {
  if (!isWellFormed(value)) throw invalid(field, 'contains a lone UTF-16 surrogate (not encodable as UTF-8)');
}

/**
 * Encodes one SSE message to its wire text (UTF-8 encode it when writing). Throws a
 * {@link TwinError} `invalid_argument` naming the field when a value cannot be represented:
 * CR/LF/NUL in `id` or `event`, a `retry` that is not a positive integer, lone surrogates.
 *
 * Runs once per event, so the common case (single-line data, numeric id) is a handful of string
 * concatenations and no arrays.
 */
export function encodeSSE(message: SSEMessage): string {
  let out = '';
  const { id, event, data, retry, comment } = message;
  if (comment !== undefined) out = encodeSSEComment(comment);
  if (retry !== undefined) {
    if (!Number.isSafeInteger(retry) || retry < 1) throw invalid('retry', 'must be a positive integer (0 would make clients reconnect in a tight loop)');
    out += `retry: ${retry}\n`;
  }
  if (id !== undefined) {
    if (typeof id === 'number') {
      if (!Number.isSafeInteger(id) || id < 0) throw invalid('id', 'must be a non-negative integer when it is a number');
      out += `id: ${id}\n`;
    } else {
      if (hasLineBreak(id) || id.indexOf('\0') !== -1) throw invalid('id', 'must not contain CR, LF or NUL');
      checkWellFormed('id', id);
      out += `id: ${id}\n`;
    }
  }
  if (event !== undefined && event !== '') {
    if (hasLineBreak(event) || event.indexOf('\0') !== -1) throw invalid('event', 'must not contain CR, LF or NUL');
    checkWellFormed('event', event);
    out += `event: ${event}\n`;
  }
  if (data !== undefined) {
    checkWellFormed('data', data);
    if (!hasLineBreak(data)) {
      out += `data: ${data}\n`;
    } else {
      const lines = data.split(LINE_BREAK);
      for (let i = 0; i < lines.length; i++) out += `data: ${lines[i]}\n`;
    }
  }
  return out + '\n';
}

/**
 * Encodes comment lines only (no blank line): `text` split on line breaks, each line written as
 * `: line`. Use {@link SSE_HEARTBEAT} for the heartbeat.
 */
export function encodeSSEComment(text: string): string {
  checkWellFormed('comment', text);
  if (!hasLineBreak(text)) return `: ${text}\n`;
  let out = '';
  const lines = text.split(LINE_BREAK);
  for (let i = 0; i < lines.length; i++) out += `: ${lines[i]}\n`;
  return out;
}
