/** The zod/mini building blocks shared by the token secret, the providers' fields and the CDK config (core/secrets/fields.ts). */
import { describe, expect, it } from 'vitest';
import { hostUrlSchema, isoInstant, lifetimeSeconds, MAX_LIFETIME_SECONDS, MIN_LIFETIME_SECONDS, nonEmpty, nonNegativeInt, port } from '../../core/secrets/fields.js';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, v: unknown) => schema.safeParse(v).success;

describe('isoInstant', () => {
  it('an instant with Z or an offset', () => {
    for (const v of ['2026-12-22T10:00:00.000Z', '2026-12-22T10:00:00Z', '2026-12-22T10:00:00+01:00', '2026-12-22T10:00:00-05:30']) expect(ok(isoInstant, v)).toBe(true);
  });

  it('refuses one without a time zone, or no instant at all, saying what it expects', () => {
    for (const v of ['2026-12-22T10:00:00', 'Z', 'not a date Z', '2026-12-22T10:00:00+0100']) expect(ok(isoInstant, v)).toBe(false);
    // JavaScript's own date strings parse, but their zone is not where ISO-8601 puts it: refused.
    for (const v of ['Tue Dec 22 2026 10:00:00 GMT+01:00 (CET)', 'Dec 22 2026 10:00 Z (x)']) expect(ok(isoInstant, v), v).toBe(false);
    expect(isoInstant.safeParse('2026-12-22T10:00:00').error?.issues[0]?.message).toBe('expected a UTC ISO-8601 timestamp such as 2026-12-22T10:00:00.000Z');
  });
});

describe('hostUrlSchema', () => {
  it('accepts an origin, and plain http only where the deployment is not asked for', () => {
    expect(ok(hostUrlSchema(), 'https://h.example.com:8443')).toBe(true);
    expect(ok(hostUrlSchema(), 'http://h.example.com')).toBe(true);
    expect(ok(hostUrlSchema({ deployed: true }), 'https://h.example.com')).toBe(true);
    expect(ok(hostUrlSchema({ deployed: false }), 'http://h.example.com')).toBe(true);
  });

  it('refuses plain http for deployed functions, saying why', () => {
    const issue = hostUrlSchema({ deployed: true }).safeParse('http://h.example.com').error?.issues[0]?.message;
    expect(issue).toContain('(deployed functions never use plain HTTP)');
  });

  it('refuses a path, a query or another scheme (origin only) with the reason as the issue', () => {
    for (const v of ['https://h.example.com/api', 'https://h.example.com?x=1', 'ftp://h.example.com', 'not a url']) {
      const r = hostUrlSchema().safeParse(v);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/\S/);
    }
  });
});

describe('numbers and strings', () => {
  it('port: whole numbers 1 to 65535', () => {
    expect([1, 443, 65535].map((v) => ok(port(), v))).toEqual([true, true, true]);
    expect([0, 65536, 1.5, -1, '443'].map((v) => ok(port(), v))).toEqual([false, false, false, false, false]);
  });

  it('nonEmpty: a string of at least one character', () => {
    expect([ok(nonEmpty(), 'x'), ok(nonEmpty(), ''), ok(nonEmpty(), 1)]).toEqual([true, false, false]);
  });

  it('nonNegativeInt: 0 and whole positive numbers', () => {
    expect([0, 7].map((v) => ok(nonNegativeInt(), v))).toEqual([true, true]);
    expect([-1, 0.5].map((v) => ok(nonNegativeInt(), v))).toEqual([false, false]);
  });

  it('lifetimeSeconds: whole seconds from a minute to ten years', () => {
    expect(MIN_LIFETIME_SECONDS).toBe(60);
    expect(MAX_LIFETIME_SECONDS).toBe(10 * 365 * 86_400);
    expect([60, 3_600, MAX_LIFETIME_SECONDS].map((v) => ok(lifetimeSeconds(), v))).toEqual([true, true, true]);
    expect([59, MAX_LIFETIME_SECONDS + 1, 60.5].map((v) => ok(lifetimeSeconds(), v))).toEqual([false, false, false]);
  });
});
