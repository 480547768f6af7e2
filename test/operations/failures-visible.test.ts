/**
 * Issue 22, failures that stay visible: the same failure on consecutive sweeps is a new failure
 * record each time (its instant moves on) and is in every sweep's `failed` (the Failures metric is
 * its length), and fleet status counts a secret whose in-place refresh fails (TigerGraph 3.x) as
 * failing, not only as due, until a refresh succeeds. Local endpoint, in-memory provider.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PutSecretValueCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { ROTATION_ERROR_TAG } from '../../core/names.js';
import { fleetStatus } from '../../core/operations/status.js';
import { sweep } from '../../core/operations/sweep.js';
import { parseFailureRecord, recordSweepFailure } from '../../core/rotation/failure-record.js';
import { runRotationStep, type RotationStep } from '../../core/rotation/steps.js';
import { DEFAULT_SETTINGS, type OperationalSettings } from '../../core/settings.js';
import { MemoryProvider, memoryOpener } from '../helpers/memory-provider.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();
const settings: OperationalSettings = { ...DEFAULT_SETTINGS, newTokenPatienceSeconds: 0 };
let provider: MemoryProvider;

beforeEach(() => {
  provider = new MemoryProvider({ now: () => fx.clock.now(), lifetimeSeconds: 30 * DAY });
});
/** The rotation steps run in place of the rotation function (set once the secret exists: its setup's test run would fail and be recorded). */
function rotationFunction() {
  fx.aws.setRotationInvoker(async (event) => {
    await runRotationStep({ secretId: event.SecretId, clientRequestToken: event.ClientRequestToken, step: event.Step as RotationStep }, fx.deps(memoryOpener(provider)), { settings });
  });
}
afterEach(async () => {
  await fx.aws.rotationsSettled();
  fx.aws.setRotationInvoker(undefined);
});

async function sweepOnce(arn: string) {
  const summary = await sweep({ kind: 'ids', ids: [arn] }, fx.deps(memoryOpener(provider)), { settings, rotationOutcomeWaitMs: 5_000 });
  await fx.aws.rotationsSettled();
  return summary;
}
const record = (arn: string) => parseFailureRecord(fx.aws.inspectSecret(arn)!.tags[ROTATION_ERROR_TAG]);
const status = async (arn: string) => (await fleetStatus({ kind: 'ids', ids: [arn] }, fx.deps(memoryOpener(provider)), { settings })).counts;

async function dueSecret() {
  const { token } = await provider.issue();
  const { arn } = await fx.createSecret('visible/s', tokenJson(fx.clock, token, DAY));
  rotationFunction();
  return { arn, token };
}

describe('a TigerGraph 3.x-style in-place refresh that keeps failing', () => {
  it('is failed on every sweep, with a new failure record each time, and fleet status counts it failing until a refresh succeeds', async () => {
    const a = await dueSecret();
    expect(await status(a.arn)).toMatchObject({ due: 1, failing: 0 });
    provider.failRefresh = new Error('HTTP 503 from REST++');

    const first = await sweepOnce(a.arn);
    expect(first.failed).toEqual([{ secretId: a.arn, error: 'refresh: HTTP 503 from REST++' }]);
    const r1 = record(a.arn)!;
    expect(r1).toMatchObject({ step: 'refresh', reason: 'Error: HTTP 503 from REST++' });
    expect(await status(a.arn)).toMatchObject({ due: 1, failing: 1 });

    await new Promise((resolve) => setTimeout(resolve, 5)); // the next sweep, a moment later
    const second = await sweepOnce(a.arn);
    expect(second.failed).toHaveLength(1); // the Failures metric is non-zero again
    const r2 = record(a.arn)!;
    expect(Date.parse(r2.at!)).toBeGreaterThan(Date.parse(r1.at!));
    expect(await status(a.arn)).toMatchObject({ failing: 1 });

    provider.failRefresh = undefined;
    expect(await sweepOnce(a.arn)).toMatchObject({ refreshed: 1, failed: [] });
    expect(fx.aws.inspectSecret(a.arn)!.tags[ROTATION_ERROR_TAG]).toBeUndefined();
    expect(await status(a.arn)).toMatchObject({ due: 0, failing: 0, healthy: 1 });
  });
});

describe('a rotation that keeps failing', () => {
  it('is failed on every sweep, re-driven each time, and its record is renewed each time', async () => {
    provider = new MemoryProvider({ now: () => fx.clock.now(), lifetimeSeconds: 30 * DAY, capabilities: { refresh: 'none' } });
    const a = await dueSecret();
    provider.failIssue = new Error('token API down');
    expect((await sweepOnce(a.arn)).failed).toHaveLength(1);
    const r1 = record(a.arn)!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await sweepOnce(a.arn)).failed).toHaveLength(1);
    const r2 = record(a.arn)!;
    expect(r2.versionId).toBe(r1.versionId);
    expect(Date.parse(r2.at!)).toBeGreaterThan(Date.parse(r1.at!));
    expect(await status(a.arn)).toMatchObject({ failing: 1, rotationPending: 0 }); // no AWSPENDING listed in ids mode
  });
});

describe('recordSweepFailure', () => {
  it('never writes over the record of a pending rotation (that one re-drives by it, and records its own next failure)', async () => {
    const a = await dueSecret();
    const pending = await fx.client.send(new PutSecretValueCommand({ SecretId: a.arn, SecretString: JSON.stringify({ pending: true }), VersionStages: ['AWSPENDING'] }));
    const rotationRecord = `${pending.VersionId} testSecret Error: refused at 2030-01-01T00:00:00.000Z`;
    await fx.client.send(new TagResourceCommand({ SecretId: a.arn, Tags: [{ Key: ROTATION_ERROR_TAG, Value: rotationRecord }] }));
    await recordSweepFailure(fx.store(), a.arn, 'refresh', new Error('other'));
    expect(fx.aws.inspectSecret(a.arn)!.tags[ROTATION_ERROR_TAG]).toBe(rotationRecord);
  });
});
