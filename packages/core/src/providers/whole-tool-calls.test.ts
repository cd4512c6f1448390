import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../protocol/stream-part';
import { WholeToolCalls } from './whole-tool-calls';

const FINISH = { STOP: 'stop', MAX_TOKENS: 'length' } as const;
const sequence = (values: number[]) => () => values.shift() ?? 0;

describe('WholeToolCalls', () => {
  it('numbers the calls and appends start, delta and call for each', () => {
    const calls = new WholeToolCalls(sequence([]));
    const out: StreamPart[] = [];
    calls.push(out, { id: 'a', name: 'get_weather', args: { city: 'Oslo' }, argsText: '{"city":"Oslo"}' });
    calls.push(out, { id: 'b', name: 'get_time', args: {}, argsText: '{}' });
    expect(out).toEqual([
      { type: 'tool-call-start', toolCallId: 'a', index: 0, toolName: 'get_weather' },
      { type: 'tool-call-delta', toolCallId: 'a', index: 0, argsTextDelta: '{"city":"Oslo"}' },
      { type: 'tool-call', toolCallId: 'a', index: 0, toolName: 'get_weather', args: { city: 'Oslo' }, argsText: '{"city":"Oslo"}' },
      { type: 'tool-call-start', toolCallId: 'b', index: 1, toolName: 'get_time' },
      { type: 'tool-call-delta', toolCallId: 'b', index: 1, argsTextDelta: '{}' },
      { type: 'tool-call', toolCallId: 'b', index: 1, toolName: 'get_time', args: {}, argsText: '{}' },
    ]);
  });

  it('names a call sent without an id after the first response id seen, or else from random once', () => {
    const fromResponse = new WholeToolCalls(sequence([]));
    fromResponse.useResponseId('r1');
    fromResponse.useResponseId('r2');
    const out: StreamPart[] = [];
    fromResponse.push(out, { id: undefined, name: 7, args: {}, argsText: '{}' });
    expect(out[0]).toEqual({ type: 'tool-call-start', toolCallId: 'call_r1_0', index: 0, toolName: '' });

    const fromRandom = new WholeToolCalls(sequence([0, 0, 0, 0.5, 0.5, 0.5]));
    const ids: StreamPart[] = [];
    fromRandom.push(ids, { id: undefined, name: 'f', args: {}, argsText: '{}' });
    fromRandom.push(ids, { id: undefined, name: 'f', args: {}, argsText: '{}' });
    const starts = ids.filter((p) => p.type === 'tool-call-start').map((p) => (p.type === 'tool-call-start' ? p.toolCallId : ''));
    expect(starts).toEqual(['call_000000000000_0', 'call_000000000000_1']);
  });

  it('turns the provider stop after calls into tool-calls and maps other reasons', () => {
    const calls = new WholeToolCalls(sequence([]));
    expect(calls.finishPart('STOP', FINISH)).toEqual({ type: 'finish', reason: 'stop', rawReason: 'STOP' });
    expect(calls.finishPart('SOMETHING_NEW', FINISH)).toEqual({ type: 'finish', reason: 'other', rawReason: 'SOMETHING_NEW' });
    calls.push([], { id: 'a', name: 'f', args: {}, argsText: '{}' });
    expect(calls.finishPart('STOP', FINISH)).toEqual({ type: 'finish', reason: 'tool-calls', rawReason: 'STOP' });
    expect(calls.finishPart('MAX_TOKENS', FINISH)).toEqual({ type: 'finish', reason: 'length', rawReason: 'MAX_TOKENS' });
  });
});
