/** A token secret as the operations see it (core/operations/managed-secret.ts): its parse, the time left, the token's lifetime and when it is due. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import {
  isRefreshDue,
  managedFrom,
  refreshPointSeconds,
  refreshWindowSeconds,
  secondsLeft,
  stableFraction,
  tokenLifetimeSeconds,
  type ManagedSecret,
} from '../../core/operations/managed-secret.js';
import type { TokenSecret } from '../../core/secrets/token-secret.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const clock = { now: () => NOW };
const iso = (ms: number) => new Date(ms).toISOString();
const secret = (fields: Record<string, unknown>) => ({ host: 'https://tg.example.com', credentialSecretId: 'c', ...fields }) as unknown as TokenSecret;

describe('managedFrom', () => {
  const value = { versionId: 'v1', secretString: JSON.stringify({ host: 'https://tg.example.com', credentialSecretId: 'c' }), stages: ['AWSCURRENT'] };

  it('the ARN the read carries, else the id it was asked by', () => {
    expect(managedFrom('name', { ...value, arn: 'arn:x' }).arn).toBe('arn:x');
    expect(managedFrom('name', value)).toMatchObject({ secretId: 'name', arn: 'name', current: { versionId: 'v1', stages: ['AWSCURRENT'] } });
  });

  it('a bad secret is a ValidationError naming it', () => {
    expect(() => managedFrom('app/token', { ...value, secretString: '{"host": 1}' })).toThrow(ValidationError);
    expect(() => managedFrom('app/token', { ...value, secretString: '{"host": 1}' })).toThrow(/token secret app\/token/);
  });
});

describe('secondsLeft', () => {
  it('whole seconds to the expiry; null for a token that never expires; undefined without a token or a known expiry', () => {
    expect(secondsLeft(secret({ token: 't', expiresAt: iso(NOW + 90_999) }), clock)).toBe(90);
    expect(secondsLeft(secret({ token: 't', expiresAt: iso(NOW - 1_000) }), clock)).toBe(-1);
    expect(secondsLeft(secret({ token: 't', expiresAt: null }), clock)).toBeNull();
    expect(secondsLeft(secret({ token: 't' }), clock)).toBeUndefined();
    expect(secondsLeft(secret({ expiresAt: iso(NOW + 90_000) }), clock)).toBeUndefined();
  });
});

describe('tokenLifetimeSeconds', () => {
  it('expiry minus the last refresh, else the issue', () => {
    expect(tokenLifetimeSeconds(secret({ expiresAt: iso(NOW + 3_600_000), issuedAt: iso(NOW - 3_600_000) }))).toBe(7_200);
    expect(tokenLifetimeSeconds(secret({ expiresAt: iso(NOW + 3_600_000), issuedAt: iso(NOW - 3_600_000), refreshedAt: iso(NOW) }))).toBe(3_600);
  });

  it('unknown without an expiry, without an instant to count from, or when the two make no lifetime', () => {
    expect(tokenLifetimeSeconds(secret({ issuedAt: iso(NOW) }))).toBeUndefined();
    expect(tokenLifetimeSeconds(secret({ expiresAt: null, issuedAt: iso(NOW) }))).toBeUndefined();
    expect(tokenLifetimeSeconds(secret({ expiresAt: iso(NOW) }))).toBeUndefined();
    expect(tokenLifetimeSeconds(secret({ expiresAt: iso(NOW), issuedAt: iso(NOW) }))).toBeUndefined();
    expect(tokenLifetimeSeconds(secret({ expiresAt: iso(NOW), issuedAt: iso(NOW + 1_000) }))).toBeUndefined();
    expect(tokenLifetimeSeconds(secret({ expiresAt: iso(NOW), issuedAt: 'not a date' }))).toBeUndefined();
  });
});

describe('the refresh point', () => {
  it('refreshWindowSeconds: refreshBeforeSeconds, at most half a known lifetime', () => {
    expect(refreshWindowSeconds(undefined, 259_200)).toBe(259_200);
    expect(refreshWindowSeconds(43_201, 259_200)).toBe(21_600);
    expect(refreshWindowSeconds(30 * 86_400, 259_200)).toBe(259_200);
  });

  it('refreshPointSeconds: the window plus a stable jitter of at most 10 % and at most an hour', () => {
    const twelveHours = secret({ expiresAt: iso(NOW + 43_200_000), issuedAt: iso(NOW) });
    const settings = { refreshBeforeSeconds: 259_200 };
    expect(refreshPointSeconds(twelveHours, settings, 'a')).toBe(21_600 + Math.floor(stableFraction('a') * 2_160));
    const long = secret({ expiresAt: iso(NOW + 30 * 86_400_000), issuedAt: iso(NOW) });
    expect(refreshPointSeconds(long, settings, 'a')).toBe(259_200 + Math.floor(stableFraction('a') * 3_600));
    for (const id of ['a', 'b', 'arn:x', 'arn:y']) {
      const p = refreshPointSeconds(twelveHours, settings, id);
      expect(p).toBeGreaterThanOrEqual(21_600);
      expect(p).toBeLessThan(21_600 + 2_160);
    }
  });

  it('isRefreshDue: at the refresh point and after it, not a second before; always without a known expiry; never for a token that never expires', () => {
    const managed = (fields: Record<string, unknown>) => ({ secretId: 'a', arn: 'a', current: { versionId: 'v', secretString: '', stages: [] }, secret: secret(fields) }) as ManagedSecret;
    const settings = { refreshBeforeSeconds: 3_600 };
    const point = refreshPointSeconds(secret({}), settings, 'a');
    expect(isRefreshDue(managed({ token: 't', expiresAt: iso(NOW + point * 1000) }), settings, clock)).toBe(true);
    expect(isRefreshDue(managed({ token: 't', expiresAt: iso(NOW + (point + 1) * 1000) }), settings, clock)).toBe(false);
    expect(isRefreshDue(managed({ token: 't', expiresAt: iso(NOW - 1_000) }), settings, clock)).toBe(true);
    expect(isRefreshDue(managed({ token: 't' }), settings, clock)).toBe(true);
    expect(isRefreshDue(managed({}), settings, clock)).toBe(true);
    expect(isRefreshDue(managed({ token: 't', expiresAt: null }), { refreshBeforeSeconds: 10 ** 9 }, clock)).toBe(false);
  });
});

describe('stableFraction', () => {
  it('FNV-1a of the key over 2^32: the same for the same key, in [0, 1)', () => {
    expect(stableFraction('')).toBe(0x811c9dc5 / 2 ** 32);
    expect(stableFraction('a')).toBe(0xe40c292c / 2 ** 32);
    expect(stableFraction('foobar')).toBe(0xbf9cf968 / 2 ** 32);
    expect(stableFraction('arn:x')).toBe(stableFraction('arn:x'));
    for (const k of ['a', 'b', 'arn:aws:secretsmanager:eu-west-1:1:secret:x-AbCdEf']) {
      expect(stableFraction(k)).toBeGreaterThanOrEqual(0);
      expect(stableFraction(k)).toBeLessThan(1);
    }
  });
});
