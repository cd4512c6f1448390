import { describe, expect, it } from 'vitest';
import { parseWireEvent } from './parse-wire-event';
import { toClientEvent } from './to-client-event';

describe('toClientEvent', () => {
  it("keeps an error event's receipt and usage (a stream a survivor billed after its instance died)", () => {
    const data = {
      v: 2,
      seq: 7,
      code: 'instance_lost',
      message: 'gone',
      retryable: false,
      usage: { inputTokens: 3, outputTokens: 5, totalTokens: 8 },
      cost: { currency: 'USD', total: '0.000123', estimated: true, recordId: 'rec_1' },
    };
    const wire = parseWireEvent('error', JSON.stringify(data))!;
    const event = toClientEvent(wire as never, () => undefined, false);
    expect(event).toMatchObject({ type: 'error', seq: 7, usage: data.usage, cost: data.cost });
    expect(event.type === 'error' && event.error.code).toBe('instance_lost');
    expect(event.type === 'error' && event.error.retryable).toBe(false);
  });
});
