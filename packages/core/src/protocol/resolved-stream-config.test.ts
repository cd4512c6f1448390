import { describe, expect, it, vi } from 'vitest';
import { createStreamSession } from '../stream/stream-session';
import { resolveStreamConfig, streamConfigOf } from './resolved-stream-config';
import { DEFAULT_STREAM_CONFIG, streamConfigSchema } from './stream-config';

describe('resolveStreamConfig', () => {
  it('resolves once: a session created with a resolved config does not parse it again', () => {
    const config = resolveStreamConfig({ flush: { maxAgeMs: 5 } });
    expect(config.flush.maxAgeMs).toBe(5);
    expect(config.flush.maxBytes).toBe(DEFAULT_STREAM_CONFIG.flush.maxBytes);
    const parse = vi.spyOn(streamConfigSchema, 'parse');
    try {
      expect(streamConfigOf(config)).toBe(config);
      createStreamSession({ streamId: 's', provider: 'p', model: 'm', now: () => 0, config });
      expect(parse).not.toHaveBeenCalled();
      // A plain input is still checked and resolved per session, as before.
      createStreamSession({ streamId: 's', provider: 'p', model: 'm', now: () => 0, config: { retryMs: 10 } });
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('freezes what it resolved, nested objects included, so what was checked is what sessions read', () => {
    const config = resolveStreamConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.flush)).toBe(true);
    expect(() => {
      (config.timeouts as { idleMs: number }).idleMs = -1;
    }).toThrow(TypeError);
  });

  it('refuses an invalid config as the schema does', () => {
    expect(() => resolveStreamConfig({ retryMs: 0 })).toThrow();
  });

  it('a plain object equal to a resolved one is parsed (only the resolved object itself is trusted)', () => {
    const copy = { ...resolveStreamConfig({}) };
    expect(streamConfigOf(copy)).not.toBe(copy);
    expect(streamConfigOf(undefined)).toBe(DEFAULT_STREAM_CONFIG);
  });
});
