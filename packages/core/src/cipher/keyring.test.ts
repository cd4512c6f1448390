import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring } from './keyring';

const key = () => new Uint8Array(randomBytes(32));

describe('keyring', () => {
  it('uses the last entry as current and finds every key by id', () => {
    const k1 = key();
    const k2 = key();
    const ring = createKeyring([{ id: 'k1', key: k1 }, { id: 'k2', key: k2 }]);
    expect(ring.current().id).toBe('k2');
    expect(ring.get('k1').key).toEqual(k1);
    expect(ring.ids()).toEqual(['k1', 'k2']);
  });

  it('rotates: the new key becomes current, old keys stay available', () => {
    const ring = createKeyring([{ id: 'k1', key: key() }]);
    ring.rotate({ id: 'k2', key: key() });
    expect(ring.current().id).toBe('k2');
    expect(ring.has('k1')).toBe(true);
    ring.add({ id: 'k0', key: key() });
    expect(ring.current().id).toBe('k2');
  });

  it('throws unknown_key for an id it does not hold, and after a key is removed', () => {
    const ring = createKeyring([{ id: 'k1', key: key() }, { id: 'k2', key: key() }]);
    expect(() => ring.get('nope')).toThrowError(expect.objectContaining({ code: 'unknown_key' }));
    ring.remove('k1');
    expect(() => ring.get('k1')).toThrowError(expect.objectContaining({ code: 'unknown_key' }));
    expect(() => ring.remove('k2')).toThrowError(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('copies keys, so the caller changing its array does not change the ring', () => {
    const k1 = key();
    const copy = k1.slice();
    const ring = createKeyring([{ id: 'k1', key: k1 }]);
    k1.fill(0);
    expect(ring.get('k1').key).toEqual(copy);
  });

  it('guards entries precisely and never prints key bytes', () => {
    const err = (message: string) => expect.objectContaining({ code: 'invalid_argument', message });
    expect(() => createKeyring([])).toThrowError(err('entries must be a non-empty array of { id, key }'));
    expect(() => createKeyring([{ id: 'k1', key: new Uint8Array(16) }])).toThrowError(err('entries[0].key must be 32 bytes, got 16'));
    expect(() => createKeyring([{ id: '', key: key() }])).toThrowError(err('entries[0].id must be 1–128 characters, got 0'));
    expect(() => createKeyring([{ id: 'k1', key: 'secret' as never }])).toThrowError(err('entries[0].key must be a Uint8Array, got string'));
    const ring = createKeyring([{ id: 'k1', key: key() }]);
    expect(() => ring.rotate({ id: 'k1', key: key() })).toThrowError(err("entry.id 'k1' is already in the keyring with a different key"));
    expect(JSON.stringify(ring)).toBe('{}');
  });
});
