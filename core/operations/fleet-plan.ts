/**
 * Planning a sweep of a large fleet against Secrets Manager's account-wide quotas: how many calls
 * it makes, how long it must take at the budgets the settings allow, and, for the Step Functions
 * Distributed Map mode, the batch size and the map's maximum concurrency. Pure arithmetic, shared
 * by the CDK construct (which derives the map's concurrency from the write budget), the fleet-list
 * step (which splits the budgets between workers) and `npm run bench` (the 1,000,000-secret plan).
 *
 * Calls per secret, as core/operations/sweep.ts makes them:
 *   every secret  1/20 BatchGetSecretValue (+ 1/100 ListSecrets with tag discovery)
 *   every sweep   1 DescribeSecret per credential secret (its age: credential-age.ts), and with tag
 *                 discovery 1 more once a due secret opens its provider, where no binding names the
 *                 credential by ARN (core/providers/open.ts resolves it)
 *   due secret    + 1 DescribeSecret for its tags (is it paused?) when the fleet is named by ids;
 *                 a listed fleet has them
 *   refresh       1 DescribeSecret + 2 writes (PutSecretValue, UpdateSecretVersionStage) + 1 TagResource (its outcome)
 *   rotation      1 RotateSecret + 2 DescribeSecret (a look before it, so a failed rotation is
 *                 re-driven with one RotateSecret; its outcome after it), and 3 writes in the
 *                 rotation function
 *   settle        1 DescribeSecret + 1 GetSecretValue + 2 writes (remove AWSPREVIOUS, move SETTLED) + 1 TagResource
 */
import { SECRETS_MANAGER_ROTATE_QUOTA, SECRETS_MANAGER_WRITE_QUOTA } from '../settings.js';
import { BATCH_GET_LIMIT, WRITES_PER_ROTATION } from '../secrets/store.js';

/** Secrets Manager's read quotas the sweep lives under (per account and Region). */
export const SECRETS_MANAGER_BATCH_GET_QUOTA = 100;
export const SECRETS_MANAGER_LIST_QUOTA = 100;
/** TagResource and UntagResource together, per second (the outcome records of refreshes and settles). */
export const SECRETS_MANAGER_TAG_QUOTA = 50;
/** The share of the read quotas a sweep takes unless told otherwise (the rest for everyone else). */
export const DEFAULT_READ_SHARE = 0.8;
/** The share of the tag quota a sweep takes at most (40/s, as the default write budget of the 50/s write quota). */
export const DEFAULT_TAG_SHARE = 0.8;

/**
 * The tag budget of a whole sweep whose write budget is `writesPerSecond`: as many outcome records
 * a second as writes, never more than DEFAULT_TAG_SHARE of the tag quota. Tags have their own 50/s
 * quota: a write budget past it (scaled quotas in the bench, a raised write quota) must not pace
 * the records above it. A map splits it between its workers as it splits the writes (planMap).
 */
export function sweepTagsPerSecond(writesPerSecond: number): number {
  return Math.min(writesPerSecond, SECRETS_MANAGER_TAG_QUOTA * DEFAULT_TAG_SHARE);
}
/** ListSecrets returns at most this many secrets a call. */
export const LIST_PAGE_SIZE = 100;

export const WRITES_PER_REFRESH = 2;
export const WRITES_PER_SETTLE = 2;

/** Longest a Lambda invocation may run; a batch of the map must fit in it with room to spare. */
const LAMBDA_MAX_SECONDS = 900;

export interface FleetPlanInput {
  secrets: number;
  /** Share of secrets refreshed in place per sweep (0..1). */
  refreshFraction: number;
  /** Share of secrets rotated per sweep (0..1). */
  rotateFraction: number;
  /** Share of secrets settled per sweep (usually the previous sweep's rotations). */
  settleFraction: number;
  writesPerSecond: number;
  rotationsPerSecond: number;
  /** Share of the read quotas the sweep may use (default 0.8). */
  readShare?: number;
  tagDiscovery?: boolean;
  /** Credential secrets the fleet's token secrets name, each described once per sweep (its age). Default 1. */
  credentialSecrets?: number;
}

export interface QuotaCheck {
  quota: string;
  /** Calls per second the plan reaches at most. */
  peakPerSecond: number;
  limitPerSecond: number;
  ok: boolean;
}

export interface FleetPlan {
  calls: { batchGet: number; list: number; describe: number; getSecretValue: number; writes: number; rotations: number; tags: number };
  /** Seconds the sweep needs at least, bound by the slowest budget. */
  expectedSeconds: number;
  /** Which budget bounds it. */
  boundBy: 'reads' | 'writes' | 'rotations';
  checks: QuotaCheck[];
}

export function planSweep(input: FleetPlanInput): FleetPlan {
  const readShare = input.readShare ?? DEFAULT_READ_SHARE;
  const n = input.secrets;
  const refreshes = n * input.refreshFraction;
  const rotations = n * input.rotateFraction;
  const settles = n * input.settleFraction;
  const acting = refreshes + rotations + settles;
  // Each credential is described once a sweep for its age, and with tag discovery once more when a
  // due secret opens its provider (no binding names it by ARN: core/providers/open.ts resolves it).
  const credentialDescribes = (input.credentialSecrets ?? 1) * (input.tagDiscovery && acting > 0 ? 2 : 1);
  const calls = {
    batchGet: Math.ceil(n / BATCH_GET_LIMIT),
    list: input.tagDiscovery ? Math.ceil(n / LIST_PAGE_SIZE) : 0,
    // A secret named by id is described once more before acting, for its tags (core/operations/sweep.ts).
    describe: Math.round(acting + rotations + (input.tagDiscovery ? 0 : acting)) + credentialDescribes,
    getSecretValue: Math.round(settles),
    writes: Math.round(refreshes * WRITES_PER_REFRESH + settles * WRITES_PER_SETTLE + rotations * WRITES_PER_ROTATION),
    rotations: Math.round(rotations),
    tags: Math.round(refreshes + settles),
  };
  const readSeconds = calls.batchGet / (SECRETS_MANAGER_BATCH_GET_QUOTA * readShare);
  const writeSeconds = calls.writes / input.writesPerSecond;
  const rotationSeconds = calls.rotations / input.rotationsPerSecond;
  const expectedSeconds = Math.max(readSeconds, writeSeconds, rotationSeconds);
  const boundBy = expectedSeconds === writeSeconds ? 'writes' : expectedSeconds === rotationSeconds ? 'rotations' : 'reads';
  const checks: QuotaCheck[] = [
    check('writes (PutSecretValue + UpdateSecret + UpdateSecretVersionStage)', input.writesPerSecond, SECRETS_MANAGER_WRITE_QUOTA),
    check('RotateSecret', input.rotationsPerSecond, SECRETS_MANAGER_ROTATE_QUOTA),
    check('BatchGetSecretValue', SECRETS_MANAGER_BATCH_GET_QUOTA * readShare, SECRETS_MANAGER_BATCH_GET_QUOTA),
    // One outcome record per refresh or settle, each of which takes at least WRITES_PER_REFRESH writes.
    check('TagResource + UntagResource', input.writesPerSecond / Math.min(WRITES_PER_REFRESH, WRITES_PER_SETTLE), SECRETS_MANAGER_TAG_QUOTA),
    ...(input.tagDiscovery ? [check('ListSecrets', SECRETS_MANAGER_LIST_QUOTA * readShare, SECRETS_MANAGER_LIST_QUOTA)] : []),
  ];
  return { calls, expectedSeconds, boundBy, checks };
}

function check(quota: string, peakPerSecond: number, limitPerSecond: number): QuotaCheck {
  return { quota, peakPerSecond, limitPerSecond, ok: peakPerSecond <= limitPerSecond };
}

export interface MapPlanInput extends FleetPlanInput {
  /** Ids per worker invocation. Default 1,000. */
  batchSize?: number;
}

export interface MapPlan extends FleetPlan {
  batchSize: number;
  batches: number;
  /** The Distributed Map's MaxConcurrency: enough workers to use the budgets, no more. */
  maxConcurrency: number;
  /** What each worker gets of the account-wide budgets (they are split evenly). */
  perWorker: { writesPerSecond: number; rotationsPerSecond: number; batchGetPerSecond: number; tagsPerSecond: number };
  /** Seconds one batch needs at its share of the budgets; must stay well under Lambda's 900 s. */
  batchSeconds: number;
}

/**
 * The Distributed Map's shape: workers split the budgets evenly, so the concurrency is what keeps
 * each worker at a useful share (at least 1 write/s) while a batch still fits in one invocation.
 */
export function planMap(input: MapPlanInput): MapPlan {
  const sweep = planSweep(input);
  const batchSize = input.batchSize ?? 1_000;
  const batches = Math.max(1, Math.ceil(input.secrets / batchSize));
  // Each worker should keep at least one write per second of budget, or a batch crawls.
  const byWrites = Math.max(1, Math.floor(input.writesPerSecond));
  const maxConcurrency = Math.max(1, Math.min(batches, byWrites, 1_000));
  const perWorker = {
    writesPerSecond: input.writesPerSecond / maxConcurrency,
    rotationsPerSecond: input.rotationsPerSecond / maxConcurrency,
    batchGetPerSecond: (SECRETS_MANAGER_BATCH_GET_QUOTA * (input.readShare ?? DEFAULT_READ_SHARE)) / maxConcurrency,
    tagsPerSecond: sweepTagsPerSecond(input.writesPerSecond) / maxConcurrency,
  };
  const share = batchSize / Math.max(1, input.secrets);
  const batchSeconds = Math.max(
    (sweep.calls.writes * share) / perWorker.writesPerSecond,
    (sweep.calls.rotations * share) / perWorker.rotationsPerSecond,
    Math.ceil(batchSize / BATCH_GET_LIMIT) / perWorker.batchGetPerSecond,
  );
  const rounds = Math.ceil(batches / maxConcurrency);
  return {
    ...sweep,
    expectedSeconds: Math.max(sweep.expectedSeconds, rounds * batchSeconds),
    batchSize,
    batches,
    maxConcurrency,
    perWorker,
    batchSeconds,
    checks: [...sweep.checks, check('one batch within a Lambda invocation (seconds)', batchSeconds, LAMBDA_MAX_SECONDS / 2)],
  };
}
