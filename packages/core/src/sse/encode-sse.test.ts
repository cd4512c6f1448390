import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTwinError } from '../errors/twin-error';
import { SSE_HEARTBEAT, encodeSSE, encodeSSEComment, type SSEMessage } from './encode-sse';

interface Decoded {
  events: EventSourceMessage[];
  comments: string[];
  retries: number[];
  errors: Error[];
}

/** Decodes SSE bytes the way a browser does: UTF-8 bytes arrive in arbitrary pieces. */
function decode(bytes: Uint8Array, cuts: number[]): Decoded {
  const out: Decoded = { events: [], comments: [], retries: [], errors: [] };
  const parser = createParser({
    onEvent: (event) => out.events.push(event),
    onComment: (comment) => out.comments.push(comment),
    onRetry: (retry) => out.retries.push(retry),
    onError: (error) => out.errors.push(error),
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    parser.feed(decoder.decode(bytes.subarray(start, cut), { stream: true }));
    start = cut;
  }
  parser.feed(decoder.decode());
  return out;
}

const normaliseLineBreaks = (text: string) => text.replace(/\r\n|\r/g, '\n');

// Payloads that stress the framing: astral characters, lone CR, CRLF, empty, only newlines, large.
const trickyData = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('\r', '\n', '\r\n', 'a', '😀', ' ', ':', '\0', 'é'), maxLength: 30 }),
  fc.constantFrom('', '\r', '\n', '\r\n', '\n\n\n', '\r\r', '\r\n\r\n', ' ', 'data: x', '\uFEFFbom'),
  fc.constant('x'.repeat(50_000) + '😀\r\n' + 'é'.repeat(25_000)),
);
const eventName = fc.option(fc.string({ unit: fc.constantFrom('a', 'b', '-', ' ', 'ü', '😀', ':'), maxLength: 12 }), { nil: undefined });
const idValue = fc.option(
  fc.oneof(fc.nat(), fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(/[\r\n\0]/g, ''))),
  { nil: undefined },
);
const message: fc.Arbitrary<SSEMessage> = fc.record(
  {
    id: idValue,
    event: eventName,
    data: fc.option(trickyData, { nil: undefined, freq: 6 }),
    retry: fc.option(fc.integer({ min: 1, max: 2 ** 31 }), { nil: undefined, freq: 4 }),
    comment: fc.option(fc.string({ unit: fc.constantFrom('h', 'b', '\n', '\r', '😀'), maxLength: 8 }), { nil: undefined, freq: 4 }),
  },
  { requiredKeys: [] },
);

describe('encodeSSE round trip through eventsource-parser', () => {
  it('gives back exactly the events (data, id, event), comments and retries, however the UTF-8 bytes are split', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (messages, rawCuts) => {
          const bytes = new TextEncoder().encode(messages.map(encodeSSE).join(''));
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const decoded = decode(bytes, cuts);

          const expected = messages
            .filter((m) => m.data !== undefined)
            .map((m) => ({
              id: m.id === undefined ? undefined : String(m.id),
              event: m.event === '' ? undefined : m.event,
              data: normaliseLineBreaks(m.data!),
            }));
          expect(decoded.errors).toEqual([]);
          expect(decoded.events).toEqual(expected);
          expect(decoded.retries).toEqual(messages.flatMap((m) => (m.retry === undefined ? [] : [m.retry])));
          expect(decoded.comments).toEqual(
            messages.flatMap((m) => (m.comment === undefined ? [] : normaliseLineBreaks(m.comment).split('\n'))),
          );
        },
      ),
      { numRuns: 400 },
    );
  }, 60_000);

  it('survives a split at every single byte boundary of a multi-byte, multi-line stream', () => {
    const messages: SSEMessage[] = [
      { id: 0, event: 'start', data: '{"v":1}' },
      { id: 'é😀', event: 'chunk', data: 'line1\r\nline2\rline3\nlast😀' },
      { comment: 'hb' },
      { id: 2, data: '' },
    ];
    const bytes = new TextEncoder().encode(messages.map(encodeSSE).join(''));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoded = decode(bytes, [cut]);
      expect(decoded.events).toEqual([
        { id: '0', event: 'start', data: '{"v":1}' },
        { id: 'é😀', event: 'chunk', data: 'line1\nline2\nline3\nlast😀' },
        { id: '2', event: undefined, data: '' },
      ]);
    }
  });
});

describe('encodeSSE framing', () => {
  it('writes fields in a fixed order with a space after every colon and a blank line at the end', () => {
    expect(encodeSSE({ id: 7, event: 'chunk', data: '{"a":1}', retry: 1000, comment: 'c' })).toBe(
      ': c\nretry: 1000\nid: 7\nevent: chunk\ndata: {"a":1}\n\n',
    );
  });

  it('prefixes every data line, splitting on CRLF, CR and LF', () => {
    expect(encodeSSE({ data: 'a\r\nb\rc\nd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    expect(encodeSSE({ data: '\n' })).toBe('data: \ndata: \n\n');
  });

  it('writes empty data as a data line so the event is still dispatched', () => {
    expect(encodeSSE({ data: '' })).toBe('data: \n\n');
  });

  it('omits an empty event name, which the spec treats as the default type', () => {
    expect(encodeSSE({ event: '', data: 'x' })).toBe('data: x\n\n');
  });

  it('makes the heartbeat a comment that no client sees as an event', () => {
    expect(encodeSSE({ comment: 'hb' })).toBe(SSE_HEARTBEAT);
    expect(decode(new TextEncoder().encode(SSE_HEARTBEAT), []).events).toEqual([]);
    expect(encodeSSEComment('a\r\nb')).toBe(': a\n: b\n');
  });
});

describe('encodeSSE argument guards', () => {
  const rejects = (message: SSEMessage, field: string) => {
    let thrown: unknown;
    try {
      encodeSSE(message);
    } catch (error) {
      thrown = error;
    }
    expect(isTwinError(thrown)).toBe(true);
    const error = thrown as { code: string; message: string };
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain(`"${field}"`);
  };

  it.each(['a\nb', 'a\rb', 'a\0b'])('refuses id %j (CR, LF and NUL cannot be represented)', (id) => rejects({ id, data: 'x' }, 'id'));
  it.each(['a\nb', 'a\rb', 'a\0b'])('refuses event %j (NUL too: parsers keep it and dispatch a type nobody listens to)', (event) =>
    rejects({ event, data: 'x' }, 'event'),
  );
  it.each([-1, 0, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses retry %s (0 would make clients reconnect in a tight loop)', (retry) =>
    rejects({ retry }, 'retry'),
  );
  it('refuses negative or fractional numeric ids', () => {
    rejects({ id: -1 }, 'id');
    rejects({ id: 0.5 }, 'id');
  });
  it('refuses lone surrogates, which UTF-8 would silently replace', () => {
    rejects({ data: 'a\uD800b' }, 'data');
    rejects({ data: '\uDC00' }, 'data');
    rejects({ id: '\uD83D' }, 'id');
    rejects({ event: 'x\uDE00' }, 'event');
    expect(encodeSSE({ data: '😀' })).toBe('data: 😀\n\n');
  });
});
