import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSSEParser } from './sse-parser';

const parse = (text: string) => createSSEParser(() => undefined).feed(text);

describe('createSSEParser', () => {
  it('reports every block: an id without data is kept, and persists across blocks that set none', () => {
    expect(parse('id: 1\nevent: chunk\ndata: a\n\nid: 5\n\n: hb\n\ndata: b\ndata:c\n\n')).toEqual([
      { event: 'chunk', data: 'a', lastEventId: '1', setsId: true },
      { event: undefined, data: undefined, lastEventId: '5', setsId: true },
      { event: undefined, data: undefined, lastEventId: '5', setsId: false },
      { event: undefined, data: 'b\nc', lastEventId: '5', setsId: false },
    ]);
  });

  it('ignores an id with NUL, as the spec says', () => {
    expect(parse('id: 3\n\nid: a\u0000b\n\n').at(-1)).toEqual({ event: undefined, data: undefined, lastEventId: '3', setsId: false });
  });

  it('reports retry: only when its value is all digits', () => {
    const hints: number[] = [];
    createSSEParser((ms) => hints.push(ms)).feed('retry: 0\nretry: 1.5\nretry: x\nretry:250\n\n');
    expect(hints).toEqual([0, 250]);
  });

  it('dispatches what eventsource-parser dispatches (event, data, the id the block set, retry), however the text is split', () => {
    const unit = fc.constantFrom('id: 7', 'id:8', 'id', 'data: x', 'data:y', 'data', 'data: a: b', ': c', 'event: e', 'event:', 'retry: 10', 'retry: 1x', 'other: z', '', '\uFEFF');
    const eol = fc.constantFrom('\n', '\r', '\r\n');
    fc.assert(
      fc.property(fc.array(fc.tuple(unit, eol), { maxLength: 16 }), fc.array(fc.nat(), { maxLength: 4 }), (lines, cuts) => {
        const text = lines.map(([l, e]) => l + e).join('');
        const expected: unknown[] = [];
        const expectedHints: number[] = [];
        const reference = createParser({ onEvent: (e) => expected.push(e), onRetry: (ms) => expectedHints.push(ms) });
        const actual: unknown[] = [];
        const hints: number[] = [];
        const parser = createSSEParser((ms) => hints.push(ms));
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const p of [...points, text.length]) {
          reference.feed(text.slice(from, p));
          for (const b of parser.feed(text.slice(from, p))) {
            if (b.data !== undefined) actual.push({ id: b.setsId ? b.lastEventId : undefined, event: b.event, data: b.data });
          }
          from = p;
        }
        expect(actual).toEqual(expected);
        expect(hints).toEqual(expectedHints);
      }),
      { numRuns: 1000 },
    );
  });
});
