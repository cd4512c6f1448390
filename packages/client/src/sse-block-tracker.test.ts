import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSSEBlockTracker } from './sse-block-tracker';

describe('createSSEBlockTracker', () => {
  it('keeps the id of a block without data, and keeps it across blocks that set none', () => {
    const tracker = createSSEBlockTracker();
    const blocks = tracker.feed('id: 1\ndata: a\n\nid: 5\n\n: hb\n\ndata: b\n\n');
    expect(blocks).toEqual([
      { hasData: true, lastEventId: '1', setsId: true },
      { hasData: false, lastEventId: '5', setsId: true },
      { hasData: false, lastEventId: '5', setsId: false },
      { hasData: true, lastEventId: '5', setsId: false },
    ]);
  });

  it('ignores an id with NUL, as the spec says', () => {
    expect(createSSEBlockTracker('3').feed('id: a\u0000b\n\n')).toEqual([{ hasData: false, lastEventId: '3', setsId: false }]);
  });

  it('reports one data block per event eventsource-parser dispatches, however the text is split', () => {
    const unit = fc.constantFrom('id: 7', 'id:8', 'data: x', 'data', ': c', 'event: e', 'retry: 10', '', 'id', '\uFEFF');
    const eol = fc.constantFrom('\n', '\r', '\r\n');
    fc.assert(
      fc.property(fc.array(fc.tuple(unit, eol), { maxLength: 16 }), fc.array(fc.nat(), { maxLength: 4 }), (lines, cuts) => {
        const text = lines.map(([l, e]) => l + e).join('');
        const ids: Array<string | undefined> = [];
        const parser = createParser({ onEvent: (e) => ids.push(e.id) });
        const tracker = createSSEBlockTracker();
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const blocks = [];
        let from = 0;
        for (const p of [...points, text.length]) {
          parser.feed(text.slice(from, p));
          blocks.push(...tracker.feed(text.slice(from, p)));
          from = p;
        }
        const withData = blocks.filter((b) => b.hasData);
        expect(withData.length).toBe(ids.length);
        // Where the parser reports an id (set in that block), the tracker agrees.
        withData.forEach((b, i) => {
          if (ids[i] !== undefined) expect(b.lastEventId).toBe(ids[i]);
        });
      }),
      { numRuns: 500 },
    );
  });
});
