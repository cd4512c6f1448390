import { TwinError } from '../errors/twin-error';
import { assertBytes, assertNonEmptyString } from './argument-guards';
import { CIPHER_KEY_BYTES } from './frame-cipher';

/** One key of a {@link Keyring}: a 256-bit secret and the id that travels in clear as `kid`. */
export interface KeyringEntry {
  /** 1–128 characters; sent with every sealed frame so the receiver picks the right key. */
  readonly id: string;
  /** 32 random bytes (or {@link deriveKeyFromPassword}). Never logged, never in errors. */
  readonly key: Uint8Array;
}

/**
 * Keys by id, with rotation: new frames are sealed with the current (newest) key, and every key
 * still in the ring opens the frames sealed with it, so a rotation never breaks a stream in flight.
 * Both ends hold a keyring with the same entries (the receiver may hold older ones).
 */
export interface Keyring {
  /** The key new frames are sealed with: the last one passed to `createKeyring` or `rotate`. */
  current(): KeyringEntry;
  /** The key with this id. Throws `unknown_key` when the ring does not hold it. */
  get(id: string): KeyringEntry;
  has(id: string): boolean;
  /** Makes `entry` the current key; older keys stay to open older frames. */
  rotate(entry: KeyringEntry): void;
  /** Adds a key that opens frames without becoming current (e.g. a retired key loaded from storage). */
  add(entry: KeyringEntry): void;
  /** Retires a key: frames sealed with it no longer open. The current key cannot be removed. */
  remove(id: string): void;
  /** Ids of all keys, oldest first. */
  ids(): string[];
}

/**
 * Creates a keyring; the last entry is the current key. Keys are copied, so later changes to the
 * caller's arrays do not affect the ring. The ring has no enumerable state, so logging it does not
 * print keys.
 */
export function createKeyring(entries: readonly KeyringEntry[]): Keyring {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new TwinError('invalid_argument', 'entries must be a non-empty array of { id, key }');
  }
  const keys = new Map<string, KeyringEntry>();
  let currentId = '';

  const insert = (entry: KeyringEntry, argument: string): KeyringEntry => {
    if (typeof entry !== 'object' || entry === null) {
      throw new TwinError('invalid_argument', `${argument} must be an object { id, key }`);
    }
    assertNonEmptyString(entry.id, `${argument}.id`, 128);
    assertBytes(entry.key, `${argument}.key`, CIPHER_KEY_BYTES);
    const existing = keys.get(entry.id);
    if (existing && !sameBytes(existing.key, entry.key)) {
      throw new TwinError('invalid_argument', `${argument}.id '${entry.id}' is already in the keyring with a different key`);
    }
    const stored = existing ?? Object.freeze({ id: entry.id, key: entry.key.slice() });
    keys.set(entry.id, stored);
    return stored;
  };

  entries.forEach((entry, i) => {
    currentId = insert(entry, `entries[${i}]`).id;
  });

  return {
    current: () => keys.get(currentId)!,
    get(id) {
      const entry = typeof id === 'string' ? keys.get(id) : undefined;
      if (!entry) throw new TwinError('unknown_key', `No key with id '${String(id)}' in the keyring.`);
      return entry;
    },
    has: (id) => keys.has(id),
    rotate(entry) {
      currentId = insert(entry, 'entry').id;
    },
    add(entry) {
      insert(entry, 'entry');
    },
    remove(id) {
      if (id === currentId) throw new TwinError('invalid_argument', `id '${id}' is the current key; rotate to another key before removing it`);
      keys.delete(id);
    },
    ids: () => [...keys.keys()],
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
