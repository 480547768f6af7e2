/**
 * core/operations/fleet-plan.ts, the arithmetic behind on-demand `plan`, the construct's map
 * concurrency, the list step's budget shares and the bench's minimums: each call counted as
 * sweep.ts makes it, the bound that sets the time, the quota checks, and the map's split.
 */
import { describe, expect, it } from 'vitest';
import { planMap, planSweep, sweepTagsPerSecond } from '../../core/operations/fleet-plan.js';

const BUDGETS = { writesPerSecond: 40, rotationsPerSecond: 40 };

describe('planSweep', () => {
  it('a not-due fleet named by ids: one batched read per 20 secrets and the credential age, nothing else', () => {
    const plan = planSweep({ secrets: 1_000, refreshFraction: 0, rotateFraction: 0, settleFraction: 0, ...BUDGETS });
    expect(plan.calls).toEqual({ batchGet: 50, list: 0, describe: 1, getSecretValue: 0, writes: 0, rotations: 0, tags: 0 });
    expect(plan.boundBy).toBe('reads');
    expect(plan.expectedSeconds).toBeCloseTo(50 / 80, 6);
  });

  it('with tag discovery: ListSecrets pages, no describe for the tags, and the credential resolved once a due secret opens it', () => {
    const quiet = planSweep({ secrets: 1_000, refreshFraction: 0, rotateFraction: 0, settleFraction: 0, ...BUDGETS, tagDiscovery: true });
    expect(quiet.calls).toMatchObject({ list: 10, describe: 1 });
    const due = planSweep({ secrets: 1_000, refreshFraction: 0.1, rotateFraction: 0, settleFraction: 0, ...BUDGETS, tagDiscovery: true, credentialSecrets: 3 });
    // 100 refreshes: 1 describe each; 3 credentials, each aged and resolved.
    expect(due.calls).toMatchObject({ describe: 100 + 6, writes: 200, tags: 100 });
  });

  it('due work by ids: refresh 2 describes + 2 writes + 1 tag, rotation 3 describes + 3 writes + 1 RotateSecret, settle 2 describes + 1 read + 2 writes + 1 tag', () => {
    const plan = planSweep({ secrets: 100, refreshFraction: 0.5, rotateFraction: 0.2, settleFraction: 0.1, ...BUDGETS, credentialSecrets: 2 });
    // 50 refreshes, 20 rotations, 10 settles.
    expect(plan.calls).toEqual({ batchGet: 5, list: 0, describe: 50 * 2 + 20 * 3 + 10 * 2 + 2, getSecretValue: 10, writes: 50 * 2 + 20 * 3 + 10 * 2, rotations: 20, tags: 60 });
    expect(plan.boundBy).toBe('writes');
    expect(plan.expectedSeconds).toBeCloseTo(180 / 40, 6);
  });

  it('a rotation budget below the rotations needed binds the time', () => {
    const plan = planSweep({ secrets: 1_000, refreshFraction: 0, rotateFraction: 1, settleFraction: 0, writesPerSecond: 50, rotationsPerSecond: 10 });
    expect(plan.boundBy).toBe('rotations');
    expect(plan.expectedSeconds).toBeCloseTo(100, 6);
  });

  it('checks each budget against its quota, and says which one is exceeded', () => {
    const ok = planSweep({ secrets: 10, refreshFraction: 1, rotateFraction: 0, settleFraction: 0, ...BUDGETS });
    expect(ok.checks.every((c) => c.ok)).toBe(true);
    expect(ok.checks.map((c) => c.quota)).toEqual(['writes (PutSecretValue + UpdateSecret + UpdateSecretVersionStage)', 'RotateSecret', 'BatchGetSecretValue', 'TagResource + UntagResource']);
    const over = planSweep({ secrets: 10, refreshFraction: 1, rotateFraction: 0, settleFraction: 0, writesPerSecond: 60, rotationsPerSecond: 40, readShare: 1.2, tagDiscovery: true });
    expect(over.checks.filter((c) => !c.ok).map((c) => c.quota)).toEqual(['writes (PutSecretValue + UpdateSecret + UpdateSecretVersionStage)', 'BatchGetSecretValue', 'ListSecrets']);
    expect(over.checks.find((c) => c.quota === 'ListSecrets')).toMatchObject({ peakPerSecond: 120, limitPerSecond: 100 });
  });
});

describe('planMap', () => {
  it('splits the budgets evenly over MaxConcurrency workers, one write per second each at least, never more workers than batches', () => {
    const plan = planMap({ secrets: 100_000, refreshFraction: 0.05, rotateFraction: 0, settleFraction: 0, ...BUDGETS, tagDiscovery: true });
    expect(plan).toMatchObject({ batchSize: 1_000, batches: 100, maxConcurrency: 40 });
    expect(plan.perWorker).toEqual({ writesPerSecond: 1, rotationsPerSecond: 1, batchGetPerSecond: 2, tagsPerSecond: 1 });
    const small = planMap({ secrets: 2_500, refreshFraction: 0.05, rotateFraction: 0, settleFraction: 0, ...BUDGETS, batchSize: 500 });
    expect(small).toMatchObject({ batches: 5, maxConcurrency: 5 });
    expect(small.perWorker.writesPerSecond).toBe(8);
  });

  it('expects at least the rounds of batches, and refuses a batch that would not fit half a Lambda invocation', () => {
    const plan = planMap({ secrets: 10_000, refreshFraction: 1, rotateFraction: 0, settleFraction: 0, writesPerSecond: 2, rotationsPerSecond: 2, batchSize: 1_000 });
    // 2 workers at 1 write/s each: a batch of 1,000 refreshes is 2,000 s of writes.
    expect(plan.maxConcurrency).toBe(2);
    expect(plan.batchSeconds).toBeCloseTo(2_000, 6);
    expect(plan.expectedSeconds).toBeCloseTo(5 * 2_000, 6);
    expect(plan.checks.find((c) => c.quota.startsWith('one batch'))).toMatchObject({ ok: false, limitPerSecond: 450 });
  });
});

describe('planMap: what bounds a batch, and the rounds (issue 25)', () => {
  it('a batch bound by rotations: its share of the rotations at the worker\'s share of the rotation budget', () => {
    const plan = planMap({ secrets: 2_000, refreshFraction: 0, rotateFraction: 1, settleFraction: 0, writesPerSecond: 1_000, rotationsPerSecond: 4, batchSize: 1_000 });
    // 2 workers at 2 rotations/s each, 1,000 rotations a batch.
    expect(plan.maxConcurrency).toBe(2);
    expect(plan.batchSeconds).toBeCloseTo(500, 6);
  });

  it('a batch bound by writes: its share of the writes at the worker\'s share of the write budget', () => {
    const plan = planMap({ secrets: 2_000, refreshFraction: 1, rotateFraction: 0, settleFraction: 0, writesPerSecond: 8, rotationsPerSecond: 8, batchSize: 1_000 });
    // 2 workers at 4 writes/s each, 2,000 writes a batch.
    expect(plan.perWorker.writesPerSecond).toBe(4);
    expect(plan.batchSeconds).toBeCloseTo(500, 6);
  });

  it('a batch bound by reads: its batched reads at the worker\'s share of the read budget', () => {
    const plan = planMap({ secrets: 40_000, refreshFraction: 0, rotateFraction: 0, settleFraction: 0, ...BUDGETS, batchSize: 1_000 });
    // 40 workers share 80 BatchGetSecretValue/s: 2/s each for 50 reads a batch.
    expect(plan.perWorker.batchGetPerSecond).toBe(2);
    expect(plan.batchSeconds).toBeCloseTo(25, 6);
  });

  it('an uneven last round still takes a whole batch time: more than the sweep at full budget', () => {
    const plan = planMap({ secrets: 2_500, refreshFraction: 1, rotateFraction: 0, settleFraction: 0, writesPerSecond: 2, rotationsPerSecond: 2, batchSize: 1_000 });
    // 3 batches on 2 workers: 2 rounds of 2,000 s, where the whole sweep's writes alone take 2,500 s.
    expect(planSweep({ secrets: 2_500, refreshFraction: 1, rotateFraction: 0, settleFraction: 0, writesPerSecond: 2, rotationsPerSecond: 2 }).expectedSeconds).toBeCloseTo(2_500, 6);
    expect(plan.batchSeconds).toBeCloseTo(2_000, 6);
    expect(plan.expectedSeconds).toBeCloseTo(4_000, 6);
  });

  it('a budget exactly at its quota passes the check', () => {
    const plan = planSweep({ secrets: 10, refreshFraction: 1, rotateFraction: 0, settleFraction: 0, writesPerSecond: 50, rotationsPerSecond: 50 });
    expect(plan.checks.find((c) => c.quota.startsWith('writes'))).toMatchObject({ peakPerSecond: 50, limitPerSecond: 50, ok: true });
  });
});

describe('sweepTagsPerSecond', () => {
  it('follows the write budget up to 40/s, the same share of the 50/s tag quota as the default writes take of theirs', () => {
    expect([10, 40, 50, 120].map(sweepTagsPerSecond)).toEqual([10, 40, 40, 40]);
  });
});
