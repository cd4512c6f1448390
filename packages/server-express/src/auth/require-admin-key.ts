import { TwinError } from '@twin/core';
import type { AuthContext } from './authenticator';

/** Refuses (403, `message` saying what needs the admin key) any key but an admin key. */
export function requireAdminKey(auth: AuthContext, message: string): void {
  if (auth.role !== 'admin') throw new TwinError('forbidden', message);
}
