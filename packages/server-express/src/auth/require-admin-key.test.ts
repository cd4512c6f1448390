import { describe, expect, it } from 'vitest';
import type { AuthContext } from './authenticator';
import { requireAdminKey } from './require-admin-key';

const as = (role: AuthContext['role']): AuthContext => ({ tenantId: 't', apiKeyId: 'k', role });

describe('requireAdminKey', () => {
  it('requireAdminKey lets admin keys through and refuses the others with the message given', () => {
    expect(() => requireAdminKey(as('admin'), 'x')).not.toThrow();
    for (const role of ['tenant-admin', 'member'] as const) {
      expect(() => requireAdminKey(as(role), 'Only admin keys may x.')).toThrow(expect.objectContaining({ code: 'forbidden', message: 'Only admin keys may x.' }));
    }
  });
});
