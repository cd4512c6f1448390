import { createStreamSession, streamConfigSchema } from '@twin/core';
import { describe, expect, it, vi } from 'vitest';
import { serverStreamConfig } from './twin-service-options';

describe('serverStreamConfig', () => {
  it("is resolved once: the server's streams open their sessions without parsing it again", () => {
    const config = serverStreamConfig({ retryMs: 2_000 });
    expect(config.retryMs).toBe(2_000);
    expect(config.buffer.replayWindowEvents).toBe(256); // the server's replay window over core's default
    expect(Object.isFrozen(config.buffer)).toBe(true);
    const parse = vi.spyOn(streamConfigSchema, 'parse');
    try {
      for (let i = 0; i < 3; i++) createStreamSession({ streamId: `s${i}`, provider: 'p', model: 'm', now: () => 0, config });
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});
