import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitizeServerMessage } from '../../../core/http/failures.js';
import { decodeTigerGraphClaims, expiry3, parseTigerGraphVersion } from '../../../core/providers/tigergraph/index.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('decodeTigerGraphClaims', () => {
  it('reads exp, iat, sub, iss and graph from the payload', () => {
    const token = `${b64({ alg: 'HS256' })}.${b64({ sub: 'tigergraph', iat: 100, exp: 200, iss: 'TigerGraph', graph: 'g' })}.sig`;
    expect(decodeTigerGraphClaims(token)).toEqual({ sub: 'tigergraph', iat: 100, exp: 200, iss: 'TigerGraph', graph: 'g' });
  });

  it('returns undefined for opaque 3.x tokens and garbage payloads', () => {
    expect(decodeTigerGraphClaims('abcdefghijklmnopqrstuvwxyz012345')).toBeUndefined();
    expect(decodeTigerGraphClaims('a.!!!.c')).toBeUndefined();
    expect(decodeTigerGraphClaims(`x.${b64([1, 2])}.y`)).toBeUndefined();
  });

  it('omits a non-numeric exp', () => {
    expect(decodeTigerGraphClaims(`x.${b64({ exp: 'soon' })}.y`)).toEqual({});
  });
});

describe('expiry3 (3.x expiration normalisation)', () => {
  const now = Date.UTC(2026, 0, 1);
  it('unix seconds', () => {
    expect(expiry3(1_800_000_000, now).toISOString()).toBe(new Date(1_800_000_000_000).toISOString());
  });
  it('milliseconds (a value above 1e12)', () => {
    expect(expiry3(1_800_000_000_123, now).getTime()).toBe(1_800_000_000_123);
  });
  it('a lifetime instead of a timestamp (3.2 refresh bug) counts from now', () => {
    expect(expiry3(3600, now).getTime()).toBe(now + 3_600_000);
  });
});

describe('parseTigerGraphVersion', () => {
  it('parses the REST++ /version message', () => {
    const msg = 'TigerGraph RESTPP:\n --- Version ---\n TigerGraph version: 3.9.3\n product tg_3.9.3_dev';
    expect(parseTigerGraphVersion(JSON.stringify({ error: 'false', message: msg }))).toBe('3.9.3');
  });
  it('parses a generic "version": "4.1.0" field', () => {
    expect(parseTigerGraphVersion('{"version": "4.1.0"}')).toBe('4.1.0');
  });
  it('returns undefined without a version', () => {
    expect(parseTigerGraphVersion('<html>hello</html>')).toBeUndefined();
  });
});

describe('sanitizeServerMessage', () => {
  it("strips the token REST++ quotes in REST-10016", () => {
    const token = 'abcdefghijklmnopqrstuvwxyz012345';
    const out = sanitizeServerMessage(`Access Denied because the input token = '${token}' is invalid.`);
    expect(out).toBe("Access Denied because the input token = '[redacted]' is invalid.");
  });

  it('strips JWTs, Bearer values and known sensitive values, keeps the rest', () => {
    const jwt = `${b64({ alg: 'HS256' })}.${b64({ sub: 'x', exp: 1 })}.c2lnbmF0dXJlLXZhbHVl`;
    const out = sanitizeServerMessage(`The token ${jwt} failed; header Bearer abc.def; password hunter22 wrong`, ['hunter22']);
    expect(out).not.toContain(jwt);
    expect(out).not.toContain('abc.def');
    expect(out).not.toContain('hunter22');
    expect(out).toContain('failed');
    expect(out).toContain('wrong');
  });

  it('keeps ordinary words after "basic" or "bearer"', () => {
    expect(sanitizeServerMessage('basic auth required')).toBe('basic auth required');
    expect(sanitizeServerMessage('Authorization: Basic YWxpY2U6cGFzc3dvcmQ=')).toBe('Authorization: Basic [redacted]');
  });

  it('truncates long messages', () => {
    expect(sanitizeServerMessage('word '.repeat(200)).length).toBeLessThanOrEqual(301);
  });

  it('a 1 MiB body gives a bounded message with nothing token-like in it', () => {
    const jwt = `${b64({ alg: 'HS256' })}.${b64({ sub: 'tigergraph', iat: 1, exp: 2 })}.c2lnbmF0dXJlLXZhbHVlLXNpZ25hdHVyZQ`;
    const token = 'abcdefghijklmnopqrstuvwxyz012345';
    const chunk = `Access Denied because the input token = '${token}' is invalid; Bearer ${jwt}; token ${token} `;
    const body = chunk.repeat(Math.ceil((1024 * 1024) / chunk.length)).slice(0, 1024 * 1024);
    expect(body.length).toBe(1024 * 1024);
    for (const sensitive of [[], [token]]) {
      const out = sanitizeServerMessage(body, sensitive);
      expect(out.length).toBeLessThanOrEqual(301);
      expect(out).not.toContain(token);
      expect(out).not.toContain(jwt.split('.')[1]);
      expect(out).not.toMatch(/[A-Za-z0-9+/_-]{24,}/);
      expect(out).toContain('Access Denied');
    }
    // A token split by the cut-off point is not left half visible either.
    const cut = `${'word '.repeat(399)}x${token}${token} tail`;
    expect(sanitizeServerMessage(cut)).not.toMatch(/[a-z0-9]{12,}/);
  });

  it('never returns a 32-char alphanumeric token or a given secret, whatever surrounds it (property)', () => {
    const tokenArb = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')), minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), tokenArb, fc.string({ maxLength: 60 }), fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij0123456789'.split('')), minLength: 3, maxLength: 20 }), (pre, token, post, secret) => {
        const out = sanitizeServerMessage(`${pre}${token}${post} ${secret}`, [secret]);
        expect(out.includes(token)).toBe(false);
        expect(out.includes(secret) && !'[redacted]…'.includes(secret)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
