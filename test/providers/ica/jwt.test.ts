/** The ICA claims the client and the tests read from a JWT (core/providers/ica/jwt.ts): exp, iat and sub, nothing else. */
import { describe, expect, it } from 'vitest';
import { decodeIcaClaims } from '../../../core/providers/ica/index.js';

const jwt = (payload: unknown) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

describe('decodeIcaClaims', () => {
  it('exp, iat and sub; other claims are not part of the result', () => {
    expect(decodeIcaClaims(jwt({ exp: 2_000, iat: 1_000, sub: 'user-1', tenant: 't', aud: 'x' }))).toEqual({ exp: 2_000, iat: 1_000, sub: 'user-1' });
  });

  it('a sub that is not a string is left out', () => {
    expect(decodeIcaClaims(jwt({ exp: 2_000, sub: 42 }))).toEqual({ exp: 2_000 });
  });

  it('undefined for a token that is not a JWT', () => {
    expect(decodeIcaClaims('opaque-token')).toBeUndefined();
  });
});
