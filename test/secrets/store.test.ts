/**
 * The Secrets Manager store against the local endpoint: which answers mean "absent" (only a
 * missing version, or a stage not on the version asked for) and which must surface (throttling,
 * access denied, KMS), on every read and write path the operations use; batch reads that report
 * per-secret failures without hiding the others; and the write budget taking a slot per write.
 */
import { describe, expect, it } from 'vitest';
import { RateBudget, sweepBudgets } from '../../core/secrets/budget.js';
import { BATCH_GET_LIMIT } from '../../core/secrets/store.js';
import { FingerprintIndex } from '../../core/operations/holders.js';
import { settle } from '../../core/operations/settle.js';
import { loadManaged } from '../../core/operations/managed-secret.js';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { runRotationStep } from '../../core/rotation/steps.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { MemoryProvider, memoryOpener } from '../helpers/memory-provider.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();
const OTHER_ERRORS = ['ThrottlingException', 'AccessDeniedException', 'DecryptionFailure', 'InternalServiceError'];

describe('reads: only a missing value is "absent"', () => {
  it('tryGet resolves undefined for a missing version and for a stage that is not on the version asked for', async () => {
    const { arn, versionId } = await fx.createSecret('store/absent', { a: 1 });
    const store = fx.store();
    expect(await store.tryGet(arn, { stage: 'AWSPREVIOUS' })).toBeUndefined();
    expect(await store.tryGet(arn, { versionId: '00000000-0000-0000-0000-000000000000' })).toBeUndefined();
    expect(await store.tryGet(arn, { versionId, stage: 'AWSPENDING' })).toBeUndefined();
    expect((await store.tryGet(arn, { versionId, stage: 'AWSCURRENT' }))?.versionId).toBe(versionId);
  });

  it.each(OTHER_ERRORS)('tryGet surfaces %s instead of calling it absent', async (errorType) => {
    const { arn } = await fx.createSecret('store/err', { a: 1 });
    fx.aws.setFaults({ failNext: { operation: 'GetSecretValue', errorType, count: 1 } });
    await expect(fx.store().tryGet(arn, { stage: 'AWSPREVIOUS' })).rejects.toMatchObject({ name: errorType });
  });

  it('batchGet reports secrets it could not read by id, beside the ones it could', async () => {
    const { arn } = await fx.createSecret('store/batch', { a: 1 });
    const { values, errors } = await fx.store().batchGet([arn, 'store/never-created']);
    expect(values.map((v) => v.arn)).toEqual([arn]);
    expect(errors).toEqual([expect.objectContaining({ secretId: 'store/never-created', errorCode: 'ResourceNotFoundException' })]);
  });

  it(`batchGet refuses more than ${BATCH_GET_LIMIT} ids per call`, async () => {
    await expect(fx.store().batchGet(Array.from({ length: BATCH_GET_LIMIT + 1 }, (_, i) => `s${i}`))).rejects.toThrow(RangeError);
  });
});

describe('an AWS error of the wrong type never passes for "nothing to do"', () => {
  it.each(OTHER_ERRORS)('a settle whose read of AWSPREVIOUS fails with %s fails, keeps the label and revokes nothing', async (errorType) => {
    const provider = new MemoryProvider({ now: () => fx.clock.now() });
    const old = await provider.issue();
    const { arn } = await fx.createSecret('store/settle', tokenJson(fx.clock, old.token, 20 * DAY));
    fx.clock.advance(-7200);
    await fx.putVersion(arn, tokenJson(fx.clock, (await provider.issue()).token, 30 * DAY), ['AWSCURRENT']);
    fx.clock.advance(7200);
    const deps = fx.deps(memoryOpener(provider));
    const managed = await loadManaged(arn, deps.store);
    fx.aws.setFaults({ failNext: { operation: 'GetSecretValue', errorType, count: 1 } });
    await expect(settle(managed, deps, { settings: DEFAULT_SETTINGS, index: new FingerprintIndex() })).rejects.toMatchObject({ name: errorType });
    expect(provider.isLive(old.token)).toBe(true);
    expect(Object.values(fx.labels(arn)).flat()).toContain('AWSPREVIOUS');
  });

  it.each(OTHER_ERRORS)('createSecret whose read of AWSPENDING fails with %s mints nothing', async (errorType) => {
    const provider = new MemoryProvider({ now: () => fx.clock.now() });
    const { arn } = await fx.createSecret('store/create', tokenJson(fx.clock, (await provider.issue()).token, 20 * DAY));
    const { VersionId } = await fx.client.send(new RotateSecretCommand({ SecretId: arn })); // AWSPENDING, no value yet
    provider.calls.issue = 0;
    fx.aws.setFaults({ failNext: { operation: 'GetSecretValue', errorType, count: 1 } });
    const step = runRotationStep({ secretId: arn, clientRequestToken: VersionId!, step: 'createSecret' }, fx.deps(memoryOpener(provider)));
    await expect(step).rejects.toMatchObject({ name: errorType });
    expect(provider.calls.issue).toBe(0);
  });
});

describe('writes take a slot from the write budget', () => {
  it('every PutSecretValue and UpdateSecretVersionStage of the store waits for the budget, and a throttle halves the rate', async () => {
    const { arn, versionId } = await fx.createSecret('store/budget', { a: 1 });
    const writes = new RateBudget({ ratePerSecond: 1000 });
    const store = fx.store({ writes });
    const v2 = await store.put(arn, JSON.stringify({ a: 2 }), { stages: ['TGTEST'] });
    await store.moveStage(arn, 'AWSCURRENT', v2, versionId);
    expect(writes.granted).toBe(2);
    fx.aws.setFaults({ failNext: { operation: 'PutSecretValue', errorType: 'ThrottlingException', count: 1 } });
    await store.put(arn, JSON.stringify({ a: 3 }), { stages: ['TGTEST'] });
    expect(writes.throttles).toBe(1);
    expect(writes.currentRate).toBeLessThan(1000);
  });
});

describe('batched reads take a slot from the read budget', () => {
  it('every BatchGetSecretValue call of the store waits for the budget, and a throttle halves the rate', async () => {
    const a = await fx.createSecret('store/read-budget-a', { a: 1 });
    const b = await fx.createSecret('store/read-budget-b', { b: 1 });
    const batchReads = new RateBudget({ ratePerSecond: 1000 });
    const store = fx.store({ batchReads });
    const first = await store.batchGet([a.arn, b.arn]);
    expect(first.values.map((v) => v.arn).sort()).toEqual([a.arn, b.arn].sort());
    await store.batchGet([a.arn]);
    expect(batchReads.granted).toBe(2);
    fx.aws.setFaults({ failNext: { operation: 'BatchGetSecretValue', errorType: 'ThrottlingException', count: 1 } });
    await store.batchGet([b.arn]);
    expect(batchReads.throttles).toBe(1);
    expect(batchReads.currentRate).toBeLessThan(1000);
  });
});

describe('the read budget is never exceeded (issue 22)', () => {
  /** BatchGetSecretValue calls per second over their first-to-last window, as the endpoint answered them (and as `npm run bench` reports). */
  const achievedRate = () => {
    const c = fx.aws.operationCounters().BatchGetSecretValue!;
    return ((c.calls - 1) / (c.lastAtMs - c.firstAtMs)) * 1000;
  };

  it('a sweep of 400 not-due secrets reads at most the budget (20/s here), even after a pause that a bursting bucket would spend at once', async () => {
    const provider = new MemoryProvider({ now: () => fx.clock.now() });
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) ids.push((await fx.createSecret('store/pace', tokenJson(fx.clock, (await provider.issue()).token, 20 * DAY))).arn);
    // As the handler builds them (sweepBudgets). Created, then the settings load and the start take a moment.
    const { batchReads } = sweepBudgets({ writesPerSecond: 40, rotationsPerSecond: 40, batchGetPerSecond: 20 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    fx.aws.resetRequestLog();
    const { sweep } = await import('../../core/operations/sweep.js');
    await sweep({ kind: 'ids', ids }, fx.deps(memoryOpener(provider), { batchReads }), { settings: DEFAULT_SETTINGS });
    expect(fx.aws.countCalls('BatchGetSecretValue')).toBe(400 / BATCH_GET_LIMIT);
    expect(achievedRate()).toBeLessThanOrEqual(20);
  });

  it('the default bucket (a second’s worth of burst) would not keep it: the reason the read budget is strict', async () => {
    const a = await fx.createSecret('store/pace-burst', { a: 1 });
    const bursting = new RateBudget({ ratePerSecond: 20 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    fx.aws.resetRequestLog();
    const store = fx.store({ batchReads: bursting });
    for (let i = 0; i < 20; i++) await store.batchGet([a.arn]);
    expect(achievedRate()).toBeGreaterThan(20);
  });
});

describe('reads of a version and a stage: only a stage that is not there is "absent" (issue 17)', () => {
  it.each([...OTHER_ERRORS, 'InvalidRequestException'])('tryGet of a version and a stage surfaces %s that does not name the stage', async (errorType) => {
    const { arn, versionId } = await fx.createSecret('store/err-vs', { a: 1 });
    fx.aws.setFaults({ failNext: { operation: 'GetSecretValue', errorType, count: 1 } });
    await expect(fx.store().tryGet(arn, { versionId, stage: 'AWSPENDING' })).rejects.toMatchObject({ name: errorType });
  });
});
