/** Reading (never verifying) a JWT's claims (core/providers/jwt.ts), as the TigerGraph 4.x and ICA clients learn a token's expiry. */
import { describe, expect, it } from 'vitest';
import { decodeJwtClaimsOf } from '../../core/providers/jwt.js';

const part = (payload: string) => Buffer.from(payload).toString('base64url');
const jwt = (payload: unknown) => `e30.${part(JSON.stringify(payload))}.c2ln`;

describe('decodeJwtClaimsOf', () => {
  it('exp and iat, and only the string claims asked for', () => {
    expect(decodeJwtClaimsOf(jwt({ exp: 2_000, iat: 1_000, sub: 'u', tenant: 't', aud: 'a' }), ['sub', 'tenant'])).toEqual({ exp: 2_000, iat: 1_000, sub: 'u', tenant: 't' });
    expect(decodeJwtClaimsOf(jwt({ exp: 2_000, sub: 'u' }), [])).toEqual({ exp: 2_000 });
  });

  it('exp and iat written as numeric strings are numbers; anything else is left out', () => {
    expect(decodeJwtClaimsOf(jwt({ exp: '2000', iat: '1000.25' }), [])).toStrictEqual({ exp: 2_000, iat: 1_000.25 });
    // Left out means no key at all, not a key holding undefined.
    for (const bad of ['20a0', '', '-5', '1e3', ' 12', '12 ', '1.', true, null, [1], { n: 1 }]) {
      expect(decodeJwtClaimsOf(jwt({ exp: bad, iat: bad }), [])).toStrictEqual({});
    }
  });

  it('a named claim that is not a string is left out', () => {
    expect(decodeJwtClaimsOf(jwt({ sub: 7, tenant: null }), ['sub', 'tenant'])).toEqual({});
  });

  it.each([
    ['not three parts', 'a.b'],
    ['four parts', `e30.${part('{"exp":1}')}.c2ln.x`],
    ['an empty payload', 'e30..c2ln'],
    ['a payload that is not JSON', `e30.${part('not json')}.c2ln`],
    ['a payload that is an array', jwt([1, 2])],
    ['a payload that is null', jwt(null)],
    ['a payload that is a number', jwt(5)],
  ])('undefined for %s, without throwing', (_what, token) => {
    expect(decodeJwtClaimsOf(token, ['sub'])).toBeUndefined();
  });
});
