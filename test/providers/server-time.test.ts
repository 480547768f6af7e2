/** Skew-proof token times (core/providers/server-time.ts): what counts as skew, and a server instant moved onto our clock. */
import { describe, expect, it } from 'vitest';
import { clockSkewMs, onOurClock, SKEW_TOLERANCE_MS } from '../../core/providers/server-time.js';

const OURS = Date.parse('2030-01-01T00:00:00.000Z');

describe('clockSkewMs', () => {
  it('is 0 when the server gave no usable "now"', () => {
    expect(clockSkewMs(undefined, OURS)).toBe(0);
    expect(clockSkewMs(Number.NaN, OURS)).toBe(0);
    expect(clockSkewMs(Number.POSITIVE_INFINITY, OURS)).toBe(0);
  });

  it('is 0 within the tolerance on either side (rounding and latency), the tolerance itself included', () => {
    expect(SKEW_TOLERANCE_MS).toBe(2_000);
    for (const d of [0, 1, -1, 2_000, -2_000]) expect(clockSkewMs(OURS + d, OURS)).toBe(0);
  });

  it('is the server clock minus ours past the tolerance, ahead or behind', () => {
    expect(clockSkewMs(OURS + 2_001, OURS)).toBe(2_001);
    expect(clockSkewMs(OURS - 2_001, OURS)).toBe(-2_001);
    expect(clockSkewMs(OURS + 600_000, OURS)).toBe(600_000);
  });
});

describe('onOurClock', () => {
  it('moves a server instant back by a server clock that runs ahead, forward by one behind', () => {
    const exp = OURS + 3_600_000;
    expect(onOurClock(exp, 600_000).toISOString()).toBe(new Date(exp - 600_000).toISOString());
    expect(onOurClock(exp, -600_000).toISOString()).toBe(new Date(exp + 600_000).toISOString());
    expect(onOurClock(exp, 0).getTime()).toBe(exp);
  });
});
