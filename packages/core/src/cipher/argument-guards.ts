import { describeValue } from '../codec/describe-value';
import { TwinError } from '../errors/twin-error';
import type { CipherAlg } from '../protocol/stream-event';

// Plain guards for the hot path (no zod here: the client bundle must stay small). Messages name the
// argument and its type or length, never its content: arguments here are keys and passwords.

export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TwinError('invalid_argument', `${name} must be a Uint8Array, got ${describeValue(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new TwinError('invalid_argument', `${name} must be ${length} bytes, got ${value.length}`);
  }
}

export function assertNonEmptyString(value: unknown, name: string, maxLength = 1_024): asserts value is string {
  if (typeof value !== 'string') {
    throw new TwinError('invalid_argument', `${name} must be a string, got ${describeValue(value)}`);
  }
  if (value.length === 0 || value.length > maxLength) {
    throw new TwinError('invalid_argument', `${name} must be 1–${maxLength} characters, got ${value.length}`);
  }
}

export function assertCipherAlg(value: unknown, name = 'alg'): asserts value is CipherAlg {
  if (value !== 'aes-256-gcm' && value !== 'xchacha20-poly1305') {
    throw new TwinError('invalid_argument', `${name} must be 'aes-256-gcm' or 'xchacha20-poly1305', got ${typeof value === 'string' ? `'${value}'` : describeValue(value)}`);
  }
}
