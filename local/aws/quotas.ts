/**
 * Optional request-rate quotas for the local Secrets Manager, so a benchmark or a pacing test sees
 * ThrottlingException where AWS would answer it. Off unless `quotas` is given.
 *
 * Grouping and defaults follow the Secrets Manager quotas page (docs.aws.amazon.com/secretsmanager/
 * latest/userguide/reference_limits.html), each "per second, per Region, not adjustable":
 * - GetSecretValue + DescribeSecret combined: 10,000. (An AWS announcement of March 2025 gives
 *   DescribeSecret 40,000 on its own; the quotas page still shows the combined row. Unsure: the
 *   combined, stricter, row is used.)
 * - PutSecretValue + UpdateSecret + UpdateSecretVersionStage combined (with the replication
 *   operations, not implemented here): 50.
 * - RotateSecret + CancelRotateSecret combined: 50. RestoreSecret: 50 on its own.
 * - TagResource + UntagResource combined: 50.
 * - BatchGetSecretValue: 100. ListSecrets: 100.
 * - CreateSecret, DeleteSecret, ListSecretVersionIds: 50 each. Not confirmed from the page (only
 *   its first rows could be read); taken as separate 50/s quotas.
 * SSM is never limited here.
 *
 * Each group is a token bucket over real time (not the endpoint's clock, which tests move by
 * days): it holds at most `perSecond` tokens, so a burst of one second's worth passes at once,
 * and refills at `perSecond` per `windowMs`. AWS does not document its algorithm; a token bucket
 * is the usual one and gives the documented sustained rate. Tests shrink `windowMs` (or pass
 * `now`) instead of sleeping through whole seconds.
 */

export type QuotaGroup =
  | 'getSecretValue'
  | 'writes'
  | 'rotate'
  | 'restore'
  | 'tag'
  | 'batchGetSecretValue'
  | 'listSecrets'
  | 'createSecret'
  | 'deleteSecret'
  | 'listSecretVersionIds';

/** The group each Secrets Manager operation counts against. */
export const QUOTA_GROUP_OF: Readonly<Record<string, QuotaGroup>> = {
  GetSecretValue: 'getSecretValue',
  DescribeSecret: 'getSecretValue',
  PutSecretValue: 'writes',
  UpdateSecret: 'writes',
  UpdateSecretVersionStage: 'writes',
  RotateSecret: 'rotate',
  CancelRotateSecret: 'rotate',
  RestoreSecret: 'restore',
  TagResource: 'tag',
  UntagResource: 'tag',
  BatchGetSecretValue: 'batchGetSecretValue',
  ListSecrets: 'listSecrets',
  CreateSecret: 'createSecret',
  DeleteSecret: 'deleteSecret',
  ListSecretVersionIds: 'listSecretVersionIds',
};

/** Requests per second per group, as AWS sets them by default (see the header). */
export const DEFAULT_QUOTAS: Readonly<Record<QuotaGroup, number>> = {
  getSecretValue: 10_000,
  writes: 50,
  rotate: 50,
  restore: 50,
  tag: 50,
  batchGetSecretValue: 100,
  listSecrets: 100,
  createSecret: 50,
  deleteSecret: 50,
  listSecretVersionIds: 50,
};

export interface QuotaOptions {
  /** Overrides of DEFAULT_QUOTAS; `Infinity` leaves a group unlimited. */
  perSecond?: Partial<Record<QuotaGroup, number>>;
  /** The length of the "second" the rates are per. Default 1000 ms; tests shorten it. */
  windowMs?: number;
  /** Monotonic time in ms. Default `performance.now`. */
  now?: () => number;
}

interface Bucket {
  readonly capacity: number;
  tokens: number;
  refilledAt: number;
}

export class QuotaLimiter {
  private readonly buckets = new Map<QuotaGroup, Bucket>();
  private readonly limits: Record<QuotaGroup, number>;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: QuotaOptions = {}) {
    this.limits = { ...DEFAULT_QUOTAS, ...options.perSecond };
    for (const [group, limit] of Object.entries(this.limits)) {
      if (!(limit > 0)) throw new RangeError(`quotas.perSecond.${group} must be greater than 0`);
    }
    this.windowMs = options.windowMs ?? 1000;
    if (!(this.windowMs > 0)) throw new RangeError('quotas.windowMs must be greater than 0');
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes one token for `operation`; false means the request is over its group's quota. */
  take(operation: string): boolean {
    const group = QUOTA_GROUP_OF[operation];
    if (!group) return true;
    const capacity = this.limits[group];
    if (capacity === Infinity) return true;
    const now = this.now();
    let bucket = this.buckets.get(group);
    if (!bucket) {
      bucket = { capacity, tokens: capacity, refilledAt: now };
      this.buckets.set(group, bucket);
    }
    const elapsed = Math.max(0, now - bucket.refilledAt);
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (elapsed * bucket.capacity) / this.windowMs);
    bucket.refilledAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
