import { describe, expect, it } from 'vitest';
import { parseErrorBody, parseWireEvent } from './parse-wire-event';
import { TwinClientError } from './twin-client-error';

describe('parseWireEvent', () => {
  it('reads plain and sealed chunks apart by their codec field', () => {
    expect(parseWireEvent('chunk', '{"v":1,"seq":3,"text":"hi","extra":true}')).toEqual({
      type: 'chunk',
      seq: 3,
      content: { v: 1, seq: 3, text: 'hi', extra: true },
    });
    const sealed = parseWireEvent('chunk', '{"v":1,"seq":4,"codec":"gzip","alg":"aes-256-gcm","kid":"k","data":"AAAA"}');
    expect(sealed).toEqual({ type: 'chunk', seq: 4, sealed: { codec: 'gzip', alg: 'aes-256-gcm', kid: 'k', data: 'AAAA' } });
  });

  it('ignores event types it does not know (clients ignore unknowns)', () => {
    expect(parseWireEvent('usage-preview', '{"anything":1}')).toBeUndefined();
    expect(parseWireEvent(undefined, 'not json')).toBeUndefined();
  });

  it('refuses malformed known events with a message naming the problem', () => {
    expect(() => parseWireEvent('chunk', 'not json')).toThrow(TwinClientError);
    expect(() => parseWireEvent('chunk', '{"v":1,"seq":-1,"text":"x"}')).toThrow(/seq/);
    expect(() => parseWireEvent('chunk', '{"v":1,"seq":1,"text":5}')).toThrow(/text/);
    expect(() => parseWireEvent('chunk', '{"v":1,"seq":1,"tools":[{"index":0}]}')).toThrow(/tool/);
    expect(() => parseWireEvent('start', '{"v":1,"seq":0}')).toThrow(/streamId/);
    expect(() => parseWireEvent('resync', '{"v":1,"seq":5,"reason":"x"}')).toThrow(/text/);
    expect(() => parseWireEvent('error', '{"v":1,"seq":5}')).toThrow(/code/);
  });

  it('reads HTTP error bodies in both shapes and tolerates garbage', () => {
    expect(parseErrorBody('{"error":{"code":"unauthorized","message":"no key","retryable":false}}')).toEqual({
      code: 'unauthorized',
      message: 'no key',
      retryable: false,
      provider: undefined,
    });
    expect(parseErrorBody('{"code":"rate_limited","message":"slow down"}').code).toBe('rate_limited');
    expect(parseErrorBody('<html>502</html>')).toEqual({});
  });
});
