import { describe, expect, it } from 'vitest';
import { createAutoCodecPolicy, FLUSH_OVERHEAD_BYTES } from './auto-codec-policy';

describe('auto codec policy', () => {
  it('keeps small frames as identity', () => {
    const policy = createAutoCodecPolicy({ encrypted: false });
    expect(policy.choose(10)).toBe('identity');
    expect(policy.choose(63)).toBe('identity');
    expect(policy.choose(400)).toBe('deflate');
  });

  it('stops compressing when the achieved ratio does not beat base64 overhead, and probes again periodically', () => {
    const policy = createAutoCodecPolicy({ encrypted: false, probeEvery: 4 });
    // Incompressible frames: the compressed size is the raw size plus the flush overhead.
    for (let i = 0; i < 10; i++) policy.record(300, 300 + FLUSH_OVERHEAD_BYTES);
    expect(policy.ratio).toBeGreaterThan(0.9);
    const choices = Array.from({ length: 8 }, () => policy.choose(300));
    expect(choices).toEqual(['identity', 'identity', 'identity', 'deflate', 'identity', 'identity', 'identity', 'deflate']);
  });

  it('needs a better ratio without a cipher (4/3 base64 overhead) than with one', () => {
    const plain = createAutoCodecPolicy({ encrypted: false, initialRatio: 0.8, probeEvery: 1_000 });
    const sealed = createAutoCodecPolicy({ encrypted: true, initialRatio: 0.8, probeEvery: 1_000 });
    expect(plain.choose(500)).toBe('identity');
    expect(sealed.choose(500)).toBe('deflate');
  });

  it('recovers when content becomes compressible again', () => {
    const policy = createAutoCodecPolicy({ encrypted: false, probeEvery: 2 });
    for (let i = 0; i < 10; i++) policy.record(300, 306);
    expect(policy.choose(300)).toBe('identity');
    for (let i = 0; i < 10; i++) policy.record(300, 60);
    expect(policy.choose(300)).toBe('deflate');
  });
});
