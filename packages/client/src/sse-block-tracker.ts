/** One SSE block (the lines up to a blank line), as far as the last-event-ID rules need it. */
export interface SSEBlock {
  /** True when the block has a `data` field: eventsource-parser dispatched exactly one event for it. */
  hasData: boolean;
  /** The last-event-ID string after this block (persistent: a block without `id` keeps the previous one). */
  lastEventId: string;
  /** True when this block itself set the id. */
  setsId: boolean;
}

/**
 * Follows the WHATWG last-event-ID rules next to eventsource-parser, which dispatches only blocks
 * with data and forgets the id of a block without: per the spec an `id:` line updates the stream's
 * last event ID when its block ends, data or not, and the id persists across later blocks that set
 * none. Fed the same text as the parser, it reports each block in order (one `hasData` block per
 * event the parser dispatched), so the two can be merged without a second full SSE parser: only
 * line splitting (CRLF, CR, LF, across chunk boundaries) and the `id`/`data` field names are read.
 */
export function createSSEBlockTracker(initialLastEventId = ''): { feed(text: string): SSEBlock[] } {
  let pending = '';
  let first = true;
  let idBuffer = initialLastEventId;
  let hasData = false;
  let setsId = false;

  const line = (text: string, out: SSEBlock[]) => {
    if (text === '') {
      out.push({ hasData, lastEventId: idBuffer, setsId });
      hasData = false;
      setsId = false;
      return;
    }
    if (text.charCodeAt(0) === 0x3a) return; // comment
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    if (field === 'data') hasData = true;
    else if (field === 'id') {
      let value = colon === -1 ? '' : text.slice(colon + 1);
      if (value.charCodeAt(0) === 0x20) value = value.slice(1);
      if (!value.includes('\0')) {
        idBuffer = value;
        setsId = true;
      }
    }
  };

  return {
    feed(text) {
      const out: SSEBlock[] = [];
      pending += text;
      if (first && pending.length > 0) {
        if (pending.charCodeAt(0) === 0xfeff) pending = pending.slice(1);
        first = pending.length === 0;
      }
      let start = 0;
      for (let i = 0; i < pending.length; i++) {
        const c = pending.charCodeAt(i);
        if (c !== 0x0a && c !== 0x0d) continue;
        // A CR at the end of the text may be the first half of a CRLF: wait for the next chunk, as
        // eventsource-parser does, so both see the same lines at the same time.
        if (c === 0x0d && i + 1 === pending.length) break;
        line(pending.slice(start, i), out);
        if (c === 0x0d && pending.charCodeAt(i + 1) === 0x0a) i++;
        start = i + 1;
      }
      pending = pending.slice(start);
      return out;
    },
  };
}
