/**
 * The rate budget of Secrets Manager calls with an account-wide quota (core/secrets/budget.ts), on
 * a virtual clock: how long each call waits, the burst after a pause, the slow-down on throttling
 * and the recovery, and a sweep's four budgets.
 */
import { describe, expect, it } from 'vitest';
import { RateBudget, sweepBudgets, type RateBudgetOptions } from '../../core/secrets/budget.js';

/** A clock that moves only when the budget waits (or the test says so). */
function virtual() {
  const state = { t: 0, waits: [] as number[] };
  const clock: Pick<RateBudgetOptions, 'now' | 'wait'> = {
    now: () => state.t,
    wait: async (ms) => {
      state.waits.push(ms);
      state.t += ms;
    },
  };
  return { state, clock };
}

async function takeN(budget: RateBudget, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await budget.take();
}

describe('RateBudget', () => {
  it('refuses a rate that is not positive and a burst under one call', () => {
    for (const ratePerSecond of [0, -1, Number.NaN]) expect(() => new RateBudget({ ratePerSecond })).toThrow(RangeError);
    expect(() => new RateBudget({ ratePerSecond: 1, maxBurst: 0.5 })).toThrow('maxBurst must be at least 1');
    expect(() => new RateBudget({ ratePerSecond: 1, maxBurst: 1 })).not.toThrow();
  });

  it('the first call goes at once; then one call every 1/rate seconds', async () => {
    const v = virtual();
    const budget = new RateBudget({ ratePerSecond: 10, ...v.clock });
    await takeN(budget, 5);
    expect(v.state.waits).toEqual([100, 100, 100, 100]);
    expect(budget.granted).toBe(5);
  });

  it('waits only for what the bucket lacks: half a slot refilled, half an interval to wait', async () => {
    const v = virtual();
    const budget = new RateBudget({ ratePerSecond: 10, ...v.clock });
    await budget.take();
    v.state.t += 50;
    await budget.take();
    expect(v.state.waits).toEqual([50]);
  });

  it('without a wait of its own it waits in real time', async () => {
    const budget = new RateBudget({ ratePerSecond: 20 });
    await budget.take();
    const begun = performance.now();
    await budget.take();
    // One slot at 20/s is 50 ms; a budget that did not wait would answer at once.
    expect(performance.now() - begun).toBeGreaterThanOrEqual(40);
  });

  it('after a pause, a second\'s worth of calls at once (the bucket), then paced again', async () => {
    const v = virtual();
    const budget = new RateBudget({ ratePerSecond: 10, ...v.clock });
    await budget.take();
    v.state.t += 5_000;
    await takeN(budget, 11);
    expect(v.state.waits).toEqual([100]);
  });

  it('maxBurst 1 paces strictly: after a pause, one call at once and the next a full interval later', async () => {
    const v = virtual();
    const budget = new RateBudget({ ratePerSecond: 10, maxBurst: 1, ...v.clock });
    v.state.t += 5_000;
    await takeN(budget, 3);
    expect(v.state.waits).toEqual([100, 100]);
  });

  it('a throttle halves the rate down to the floor, empties the bucket, and is counted', async () => {
    const v = virtual();
    const budget = new RateBudget({ ratePerSecond: 10, minRatePerSecond: 4, ...v.clock });
    budget.throttled();
    expect(budget.currentRate).toBe(5);
    budget.throttled();
    expect(budget.currentRate).toBe(4);
    expect(budget.throttles).toBe(2);
    await budget.take();
    expect(v.state.waits).toEqual([250]);
  });

  it('the floor is 1/s by default, never above the rate itself', () => {
    const fast = new RateBudget({ ratePerSecond: 8, ...virtual().clock });
    for (let i = 0; i < 10; i++) fast.throttled();
    expect(fast.currentRate).toBe(1);
    const slow = new RateBudget({ ratePerSecond: 0.5, ...virtual().clock });
    slow.throttled();
    expect(slow.currentRate).toBe(0.5);
  });

  it('recovers by 5 % of the configured rate per second without throttling, up to it', async () => {
    const v = virtual();
    const budget = new RateBudget({ ratePerSecond: 10, ...v.clock });
    budget.throttled();
    v.state.t += 1_000;
    await budget.take();
    expect(budget.currentRate).toBeCloseTo(5.5, 10);
    v.state.t += 60_000;
    await budget.take();
    expect(budget.currentRate).toBe(10);
  });

  it('serves callers in order, and a caller whose wait fails does not stop the others', async () => {
    const v = virtual();
    let fail = true;
    const order: number[] = [];
    const budget = new RateBudget({
      ratePerSecond: 10,
      now: v.clock.now,
      wait: async (ms) => {
        if (fail) {
          fail = false;
          throw new Error('aborted');
        }
        await v.clock.wait?.(ms);
      },
    });
    const calls = [0, 1, 2].map((i) =>
      budget.take().then(
        () => void order.push(i),
        () => void order.push(-i),
      ),
    );
    await Promise.all(calls);
    expect(order).toEqual([0, -1, 2]);
  });
});

describe('sweepBudgets', () => {
  it('writes, rotations and reads at their rates; reads paced strictly; tags at their own rate or the write rate', async () => {
    const v = virtual();
    const b = sweepBudgets({ writesPerSecond: 40, rotationsPerSecond: 20, batchGetPerSecond: 80, tagsPerSecond: 30 }, v.clock);
    expect([b.writes.currentRate, b.rotations.currentRate, b.batchReads.currentRate, b.tags.currentRate]).toEqual([40, 20, 80, 30]);
    expect(sweepBudgets({ writesPerSecond: 40, rotationsPerSecond: 20, batchGetPerSecond: 80 }, v.clock).tags.currentRate).toBe(40);
    v.state.t += 5_000;
    await takeN(b.batchReads, 2);
    expect(v.state.waits).toEqual([13]);
    v.state.waits.length = 0;
    await takeN(b.writes, 40);
    expect(v.state.waits).toEqual([]);
  });
});
