import { describe, expect, it } from 'vitest';
import { TwinError, isTwinError, toTwinError } from './twin-error';

describe('TwinError', () => {
  it('derives retryable and HTTP status from the code', () => {
    expect(new TwinError('rate_limited', 'slow down').retryable).toBe(true);
    expect(new TwinError('rate_limited', 'slow down').status).toBe(429);
    expect(new TwinError('invalid_request', 'bad').retryable).toBe(false);
    expect(new TwinError('invalid_request', 'bad').status).toBe(400);
  });

  it('round-trips through its wire payload without cause or details', () => {
    const err = new TwinError('provider_overloaded', 'busy', { provider: 'anthropic', retryAfterMs: 2000, cause: new Error('x'), details: { a: 1 } });
    const payload = err.toPayload();
    expect(payload).toEqual({ code: 'provider_overloaded', message: 'busy', retryable: true, provider: 'anthropic', retryAfterMs: 2000 });
    const back = TwinError.fromPayload(payload);
    expect(back.code).toBe('provider_overloaded');
    expect(isTwinError(back)).toBe(true);
  });

  it('wraps unknown throws and maps AbortError to aborted, keeping cause', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(toTwinError(abort).code).toBe('aborted');
    const wrapped = toTwinError(new Error('boom'));
    expect(wrapped.code).toBe('internal');
    expect((wrapped.cause as Error).message).toBe('boom');
  });
});
