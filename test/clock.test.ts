/** The clock handlers use (core/clock.ts): the system clock, one a local run or a test sets, and the offset clock. */
import { afterEach, describe, expect, it } from 'vitest';
import { currentClock, OffsetClock, setClock, systemClock } from '../core/clock.js';

describe('the clock', () => {
  afterEach(() => setClock(systemClock));

  it('handlers use the system clock unless a local run or a test sets another', () => {
    expect(currentClock()).toBe(systemClock);
    const fixed = { now: () => 42 };
    setClock(fixed);
    expect(currentClock().now()).toBe(42);
  });

  it('OffsetClock keeps real time plus what it was moved ahead by', () => {
    const clock = new OffsetClock();
    const before = Date.now();
    clock.advance(3_600);
    const now = clock.now();
    expect(now).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(now).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });
});
