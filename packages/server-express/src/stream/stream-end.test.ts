import { describe, expect, it } from 'vitest';
import { SHUTDOWN_STOP, SLOW_CLIENT_STOP } from './stop-reason';
import { classifyEnd } from './stream-end';

describe('classifyEnd', () => {
  it('a stream whose provider finished completes', () => {
    expect(classifyEnd({ errorSent: false, stopReason: undefined }, undefined)).toEqual({ endReason: 'complete', status: 'completed' });
  });
  it('our stop reason wins over the error it caused', () => {
    expect(classifyEnd({ errorSent: true, stopReason: SHUTDOWN_STOP }, 'aborted')).toEqual({ endReason: 'interrupted', status: 'interrupted' });
    expect(classifyEnd({ errorSent: true, stopReason: SLOW_CLIENT_STOP }, 'slow_client')).toEqual({ endReason: 'error', status: 'error' });
  });
  it('an error that went out is billed as error, or timeout when the stream timed out', () => {
    expect(classifyEnd({ errorSent: true, stopReason: undefined }, 'provider_error')).toEqual({
      endReason: 'error',
      status: 'error',
    });
    expect(classifyEnd({ errorSent: true, stopReason: undefined }, 'stream_timeout')).toEqual({
      endReason: 'timeout',
      status: 'error',
    });
  });
});
