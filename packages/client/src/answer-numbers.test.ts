import { describe, expect, it } from 'vitest';
import { answerNumbers } from './answer-numbers';
import type { ChatAnswer } from './chat-message';
import { IDLE_SNAPSHOT } from './stream-snapshot';
import { TwinClientError } from './twin-client-error';

const metrics = { ...IDLE_SNAPSHOT.metrics, outputTokens: 31 };
const answer = (a: Partial<ChatAnswer>): ChatAnswer => ({ status: 'done', metrics, ...a });
const receipt = { currency: 'USD', total: '0.001307', estimated: true, usage: { inputTokens: 9, outputTokens: 33, estimated: true } };

describe('answerNumbers', () => {
  it('prefers the receipt’s counts, then the complete event’s, then the live estimate (marked estimated)', () => {
    expect(answerNumbers(answer({ status: 'aborted', streamId: 's', cost: receipt, usage: { outputTokens: 30 } }))).toEqual({
      outputTokens: 33,
      inputTokens: 9,
      estimated: false,
      cost: receipt,
      billing: 'billed',
    });
    expect(answerNumbers(answer({ streamId: 's', usage: { inputTokens: 5, outputTokens: 30 } }))).toMatchObject({ outputTokens: 30, inputTokens: 5, estimated: false });
    expect(answerNumbers(answer({ status: 'streaming', streamId: 's' }))).toEqual({ outputTokens: 31, estimated: true, billing: 'pending' });
  });

  it('tells what was billed: pending while stopped without a receipt, not billed for an HTTP refusal, unknown otherwise', () => {
    expect(answerNumbers(answer({ status: 'aborted', streamId: 's' })).billing).toBe('pending');
    const refused = new TwinClientError('unauthorized', 'bad key', { status: 401 });
    expect(answerNumbers(answer({ status: 'error', error: refused })).billing).toBe('not-billed');
    // A connection that failed before the start event: the server may have started (and billed) a stream.
    expect(answerNumbers(answer({ status: 'error', error: new TwinClientError('network_error', 'down', { retryable: true }) })).billing).toBe('unknown');
    expect(answerNumbers(answer({ status: 'error', streamId: 's', error: new TwinClientError('provider_error', 'boom') })).billing).toBe('unknown');
    expect(answerNumbers(answer({ status: 'aborted' })).billing).toBe('unknown');
  });
});
