import type { StreamEvent } from '@twin/core';
import { describe, expect, it } from 'vitest';
import { AuditSegmentWriter, auditRowItems, auditRowText } from './audit-segment';
import type { ChunkRow } from './store-rows';

const events = [
  { type: 'chunk', data: { v: 1, seq: 1, text: 'Hel' } },
  { type: 'heartbeat' },
  { type: 'chunk', data: { v: 1, seq: 2, text: 'lo', reasoning: ' (why)' } },
] as unknown as StreamEvent[];

function writer(sealed: boolean, clock: { t: number }) {
  const rows: ChunkRow[] = [];
  const w = new AuditSegmentWriter({ streamId: 's1', tenantId: 't1' }, sealed, (row) => rows.push(row), () => clock.t);
  return { w, rows };
}

describe('AuditSegmentWriter + auditRowText', () => {
  it('writes a segment once it is a second old, and reads back its text and reasoning', () => {
    const clock = { t: 0 };
    const { w, rows } = writer(false, clock);
    w.add(events);
    w.flush(false);
    expect(rows).toHaveLength(0); // not due yet
    clock.t = 1_000;
    w.flush(false);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ streamId: 's1', tenantId: 't1', seq: 1, lastSeq: 2, event: 'segment' });
    expect(auditRowText(rows[0]!.event, rows[0]!.data)).toBe('Hello (why)');
  });

  it("judges a segment's age by the caller's clock reading when given one, and reads its own clock only without one", () => {
    let reads = 0;
    const rows: ChunkRow[] = [];
    const w = new AuditSegmentWriter({ streamId: 's1', tenantId: 't1' }, false, (row) => rows.push(row), () => (reads++, 5_000));
    const chunk = (seq: number) => ({ type: 'chunk', data: { v: 1, seq, text: `t${seq}` } }) as StreamEvent;
    w.add([chunk(1)], 100);
    w.flush(false, 1_099);
    w.add([chunk(2)], 1_099);
    expect(rows).toHaveLength(0);
    w.flush(false, 1_100);
    expect(reads).toBe(0);
    expect(rows.map((r) => [r.seq, r.lastSeq, r.data])).toEqual([[1, 2, '{"v":1,"seq":1,"texts":["t1","t2"]}']]);
    // Without a reading: its own clock (5,000), for the segment's start and for the check.
    w.add([chunk(3)]);
    w.flush(false);
    expect(reads).toBe(2);
    expect(rows).toHaveLength(1);
  });

  it('a one-event segment is named after its event; a sealed stream keeps no text', () => {
    const { w, rows } = writer(true, { t: 0 });
    w.add(events.slice(0, 1));
    w.flush(true);
    expect(rows[0]!.event).toBe('chunk');
    expect(rows[0]!.data).toBe('[{"event":"chunk","data":{"v":1,"seq":1,"sealed":true}}]');
    expect(auditRowText(rows[0]!.event, rows[0]!.data)).toBe('');
  });

  it('reads a single event row (not a segment) and ignores rows that are not JSON', () => {
    expect(auditRowText('chunk', '{"v":1,"seq":3,"text":"x"}')).toBe('x');
    expect(auditRowText('complete', '{"v":1,"seq":4}')).toBe('');
    expect(auditRowText('chunk', 'not json')).toBe('');
  });

  it('stores a segment of plain text chunks compactly and reads back exactly those events', () => {
    const { w, rows } = writer(false, { t: 0 });
    const plain = [1, 2, 3].map((seq) => ({ type: 'chunk', data: { v: 1, seq, text: `t"${seq}\n` } })) as unknown as StreamEvent[];
    w.add(plain);
    w.flush(true);
    expect(rows[0]).toMatchObject({ seq: 1, lastSeq: 3, event: 'texts', data: '{"v":1,"seq":1,"texts":["t\\"1\\n","t\\"2\\n","t\\"3\\n"]}' });
    expect(auditRowItems(rows[0]!.event, rows[0]!.data)).toEqual(plain.map((e) => ({ event: e.type, data: (e as { data: unknown }).data })));
    expect(auditRowText(rows[0]!.event, rows[0]!.data)).toBe('t"1\nt"2\nt"3\n');
  });

  it('turns a compact segment general when another event joins it, keeping every event in order', () => {
    const { w, rows } = writer(false, { t: 0 });
    const mixed = [
      { type: 'chunk', data: { v: 1, seq: 4, text: 'a' } },
      { type: 'chunk', data: { v: 1, seq: 5, text: 'b' } },
      { type: 'complete', data: { v: 1, seq: 6, finishReason: 'stop' } },
    ] as unknown as StreamEvent[];
    w.add(mixed);
    w.flush(true);
    expect(rows[0]).toMatchObject({ seq: 4, lastSeq: 6, event: 'segment' });
    expect(auditRowItems(rows[0]!.event, rows[0]!.data)).toEqual(mixed.map((e) => ({ event: e.type, data: (e as { data: unknown }).data })));
  });

  it('writes segment after segment from one array of texts: each row holds exactly its own, in order, whether it has more or fewer than the last', () => {
    const clock = { t: 0 };
    const { w, rows } = writer(false, clock);
    let seq = 0;
    const chunk = () => ({ type: 'chunk', data: { v: 1, seq: ++seq, text: `w${seq} ` } }) as unknown as StreamEvent;
    const segments = [3, 5, 1, 2, 4];
    for (const [i, count] of segments.entries()) {
      for (let k = 0; k < count; k++) w.add([chunk()]);
      clock.t += 1_000;
      // Every second segment is written by the sweeper's forced flush, the others when due.
      w.flush(i % 2 === 1);
    }
    expect(rows.map((r) => r.event)).toEqual(segments.map(() => 'texts'));
    let next = 1;
    for (const [i, row] of rows.entries()) {
      const expected = Array.from({ length: segments[i]! }, () => ({ event: 'chunk', data: { v: 1, seq: next, text: `w${next++} ` } }));
      expect(row).toMatchObject({ seq: expected[0]!.data.seq, lastSeq: expected.at(-1)!.data.seq, bytes: Buffer.byteLength(row.data) });
      expect(auditRowItems(row.event, row.data)).toEqual(expected);
    }
  });
});
