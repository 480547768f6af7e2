/**
 * A shared rate budget for Secrets Manager calls that have an account-wide quota: writes
 * (PutSecretValue, UpdateSecret, UpdateSecretVersionStage together: 50/s per account and Region),
 * RotateSecret (50/s) and BatchGetSecretValue (100/s). Every such call of a sweep takes a slot first, so a sweep of thousands
 * of secrets stays under the quota instead of being throttled, and a throttling answer (another
 * writer in the account) halves the rate for a while: additive increase, multiplicative decrease.
 *
 * A token bucket with a capacity of one second's worth of calls; `take` waits for a slot. The
 * clock is the real one: budgets pace real calls, whatever the product's (possibly fake) clock says.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RateBudgetOptions {
  /** Calls per second when nothing is throttled. */
  ratePerSecond: number;
  /** Lowest rate after repeated throttling. Default 1/s. */
  minRatePerSecond?: number;
  /**
   * Most calls that may go at once after a pause (the bucket's capacity). Default: one second's
   * worth, as AWS's own buckets allow. 1 paces strictly: no window of any length sees more than
   * the rate (plus the one call that opens it), which a budget that must never be exceeded wants
   * (the read budget: issue 22 measured 85/s against 80/s, a burst after the sweep's start).
   */
  maxBurst?: number;
  /** Milliseconds since an arbitrary origin (tests). Default performance.now. */
  now?: () => number;
  /** Waits `ms` (tests). Default a real timer. */
  wait?: (ms: number) => Promise<void>;
}

export class RateBudget {
  private rate: number;
  private tokens: number;
  private last: number;
  private readonly maxRate: number;
  private readonly minRate: number;
  private readonly maxBurst: number | undefined;
  private readonly now: () => number;
  private readonly wait: (ms: number) => Promise<void>;
  /** Calls granted so far. */
  granted = 0;
  /** Throttling answers reported so far. */
  throttles = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(options: RateBudgetOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.maxRate = options.ratePerSecond;
    this.minRate = Math.min(options.minRatePerSecond ?? 1, this.maxRate);
    this.rate = this.maxRate;
    if (options.maxBurst !== undefined && !(options.maxBurst >= 1)) throw new RangeError('maxBurst must be at least 1');
    this.maxBurst = options.maxBurst;
    this.now = options.now ?? (() => performance.now());
    this.wait = options.wait ?? ((ms) => sleep(ms));
    this.tokens = 1;
    this.last = this.now();
  }

  /** The rate currently allowed (calls per second). */
  get currentRate(): number {
    return this.rate;
  }

  /** Resolves when one call may be made. Callers are served in order. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.acquire());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** A call was answered ThrottlingException: slow down. */
  throttled(): void {
    this.throttles++;
    this.rate = Math.max(this.minRate, this.rate / 2);
    this.tokens = Math.min(this.tokens, 0);
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    // Recover towards the configured rate: +5 % of it per second without throttling.
    this.rate = Math.min(this.maxRate, this.rate + elapsed * this.maxRate * 0.05);
    this.tokens = Math.min(this.maxBurst ?? Math.max(1, this.rate), this.tokens + elapsed * this.rate);
  }

  private async acquire(): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        this.granted++;
        return;
      }
      await this.wait(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    }
  }
}

/**
 * A sweep's budgets: writes and rotations with AWS's one-second burst, reads paced strictly
 * (maxBurst 1), so the read budget is never exceeded over any window (issue 22).
 */
export function sweepBudgets(
  rates: { writesPerSecond: number; rotationsPerSecond: number; batchGetPerSecond: number; tagsPerSecond?: number },
  clock: Pick<RateBudgetOptions, 'now' | 'wait'> = {},
): Required<StoreBudgets> {
  return {
    writes: new RateBudget({ ratePerSecond: rates.writesPerSecond, ...clock }),
    rotations: new RateBudget({ ratePerSecond: rates.rotationsPerSecond, ...clock }),
    batchReads: batchReadBudget(rates.batchGetPerSecond, clock),
    // TagResource + UntagResource share a 50/s quota of their own (fleet-plan.ts tagsPerSecondFor). A
    // sweep records each outcome and failure in tags and removes a failure on recovery
    // (failure-record.ts): after an outage of thousands of secrets, unpaced, those calls would be throttled.
    tags: new RateBudget({ ratePerSecond: rates.tagsPerSecond ?? rates.writesPerSecond, ...clock }),
  };
}

/**
 * BatchGetSecretValue's budget: no burst, so a reader never goes past its rate even over a second
 * (the quota is per second, and a Distributed Map's workers share it).
 */
export function batchReadBudget(batchGetPerSecond: number, clock: Pick<RateBudgetOptions, 'now' | 'wait'> = {}): RateBudget {
  return new RateBudget({ ratePerSecond: batchGetPerSecond, maxBurst: 1, ...clock });
}

/** The budgets a store's calls share; absent ones are unlimited. */
export interface StoreBudgets {
  writes?: RateBudget;
  rotations?: RateBudget;
  /** BatchGetSecretValue (100/s per account and Region), which a Distributed Map's workers share. */
  batchReads?: RateBudget;
  /** TagResource and UntagResource (50/s together): the failure record. */
  tags?: RateBudget;
}
