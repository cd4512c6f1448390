import { describe, expect, it } from 'vitest';
import { formatEventId, parseEventId } from './event-id';

describe('SSE event ids (protocol 2)', () => {
  it('round-trips stream id and position, so EventSource can resume the exact stream', () => {
    expect(formatEventId('str_AbC-9_x', 12)).toBe('str_AbC-9_x:12');
    expect(parseEventId('str_AbC-9_x:12')).toEqual({ streamId: 'str_AbC-9_x', seq: 12 });
    expect(parseEventId(' str_a:0 ')).toEqual({ streamId: 'str_a', seq: 0 });
  });

  it('still reads a protocol-1 id (the bare sequence number) and -1 for "from the start"', () => {
    expect(parseEventId('7')).toEqual({ seq: 7 });
    expect(parseEventId('-1')).toEqual({ seq: -1 });
    expect(parseEventId('str_a:-1')).toEqual({ streamId: 'str_a', seq: -1 });
  });

  it('refuses ids it would have to guess at', () => {
    for (const bad of ['', ':', 'str_a:', ':3', 'str_a:1.5', 'str_a:-2', 'str_a:01', 'a b:3', 'str_a:3:4x', 'x'.repeat(129) + ':1', '99999999999999999', 'str/a:1']) {
      expect(parseEventId(bad), bad).toBeUndefined();
    }
  });
});
