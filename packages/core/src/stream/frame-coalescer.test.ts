import { describe, expect, it } from 'vitest';
import { FrameCoalescer, REASONING, TEXT } from './frame-coalescer';

describe('FrameCoalescer', () => {
  it('concatenates same-kind deltas into one frame and closes the frame when the kind changes', () => {
    const frames = new FrameCoalescer();
    frames.addText(TEXT, 'a', 1, 10);
    frames.addText(TEXT, 'b', 1, 11);
    frames.addText(REASONING, 'r', 1, 12);
    frames.addTool('t', 0, 'f', '{"x"', false, undefined, 5, 13);
    frames.addTool('t', 0, undefined, ':1}', false, undefined, 3, 13);
    frames.addText(TEXT, 'c', 1, 14);
    expect({ parts: frames.parts, bytes: frames.bytes, since: frames.since, closed: frames.hasClosedFrames }).toEqual({ parts: 6, bytes: 12, since: 10, closed: true });
    expect(frames.drain()).toEqual([
      { content: { text: 'ab' }, bytes: 2 },
      { content: { reasoning: 'r' }, bytes: 1 },
      { content: { tools: [{ id: 't', index: 0, name: 'f', argsDelta: '{"x":1}' }] }, bytes: 8 },
      { content: { text: 'c' }, bytes: 1 },
    ]);
    expect({ parts: frames.parts, bytes: frames.bytes, kind: frames.kind, closed: frames.hasClosedFrames }).toEqual({ parts: 0, bytes: 0, kind: 0, closed: false });
  });

  it('starts a new tool entry after a done piece, so a finished call is never reopened', () => {
    const frames = new FrameCoalescer();
    frames.addTool('t', 0, 'f', undefined, true, { a: 1 }, 1, 0);
    frames.addTool('t', 0, undefined, 'x', false, undefined, 1, 0);
    expect(frames.drain()[0]!.content.tools).toEqual([
      { id: 't', index: 0, name: 'f', args: { a: 1 }, done: true },
      { id: 't', index: 0, argsDelta: 'x' },
    ]);
  });
});
