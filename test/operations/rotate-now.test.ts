/**
 * rotateNow against the local Secrets Manager endpoint, whose rotation runs the real rotation steps
 * (core/rotation/steps.ts) in the background with an in-memory provider, as on AWS: what it answers
 * once the rotation finished, while it is still running and when it failed; how a rotation left
 * pending by an earlier failure is driven again; and how often it looks while it waits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { RotateSecretCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import type { Deps } from '../../core/deps.js';
import { RotationStateError } from '../../core/errors.js';
import { ROTATION_ERROR_TAG } from '../../core/names.js';
import { rotateNow, RotationFailedError } from '../../core/operations/rotate-now.js';
import { runRotationStep } from '../../core/rotation/steps.js';
import { MemoryProvider, memoryOpener } from '../helpers/memory-provider.js';
import { rejection } from '../helpers/fakes.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();
const WAIT = { timeoutMs: 5_000, pollMs: 20 };

afterEach(async () => {
  await fx.aws.rotationsSettled();
  fx.aws.setRotationInvoker(undefined);
});

function memory(): MemoryProvider {
  return new MemoryProvider({ now: () => fx.clock.now(), lifetimeSeconds: 30 * DAY });
}

/** Deps whose RotateSecret runs the four rotation steps in the background, after `delayMs`. */
function rotating(provider: MemoryProvider, delayMs = 0): Deps {
  const deps = fx.deps(memoryOpener(provider));
  fx.aws.setRotationInvoker(async (event) => {
    if (delayMs > 0) await sleep(delayMs);
    await runRotationStep({ secretId: event.SecretId, clientRequestToken: event.ClientRequestToken, step: event.Step }, deps);
  });
  return deps;
}

async function tokenSecret(provider: MemoryProvider) {
  const { token } = await provider.issue();
  return fx.createSecret('rotate-now/s', tokenJson(fx.clock, token, 20 * DAY));
}

const currentVersion = (arn: string) => Object.entries(fx.labels(arn)).find(([, l]) => l.includes('AWSCURRENT'))![0];
const pendingVersion = (arn: string) => Object.entries(fx.labels(arn)).find(([, l]) => l.includes('AWSPENDING'))?.[0];

describe('rotateNow: the outcome', () => {
  it('once the new version is AWSCURRENT: finished, its version id and the new token’s expiry', async () => {
    const provider = memory();
    const deps = rotating(provider, 50);
    const { arn } = await tokenSecret(provider);
    const result = await rotateNow(arn, deps, WAIT);
    expect(result).toEqual({ method: 'rotate', versionId: currentVersion(arn), state: 'finished', expiresAt: fx.valueAt(arn, 'AWSCURRENT')!.expiresAt });
    expect(Math.abs(Date.parse(String(result.expiresAt)) - (fx.clock.now() + 30 * DAY * 1000))).toBeLessThan(5_000);
  });

  it('a new token that never expires: expiresAt null', async () => {
    const provider = memory();
    const issue = provider.issue.bind(provider);
    const deps = rotating(provider);
    const { arn } = await tokenSecret(provider);
    provider.issue = async (request) => ({ ...(await issue(request)), expiresAt: null });
    expect(await rotateNow(arn, deps, WAIT)).toEqual({ method: 'rotate', versionId: currentVersion(arn), state: 'finished', expiresAt: null });
  });

  it('not waited for: pending on the version RotateSecret created, after one look', async () => {
    const provider = memory();
    const deps = fx.deps(memoryOpener(provider)); // no rotation function: AWSPENDING stays
    const { arn } = await tokenSecret(provider);
    fx.aws.resetRequestLog();
    const result = await rotateNow(arn, deps);
    expect(result).toEqual({ method: 'rotate', versionId: pendingVersion(arn), state: 'pending' });
    expect(fx.aws.countCalls('DescribeSecret')).toBe(1);
  });

  it('a failure the rotation function recorded for this version: RotationFailedError with its step and reason', async () => {
    const provider = memory();
    const deps = rotating(provider, 50);
    const { arn } = await tokenSecret(provider);
    provider.failIssue = new Error('connection refused');
    const error = await rejection(rotateNow(arn, deps, WAIT));
    expect(error).toBeInstanceOf(RotationFailedError);
    const versionId = pendingVersion(arn)!;
    expect(error.message).toMatch(new RegExp(`^The rotation of ${arn} \\(version ${versionId}\\) failed: createSecret Error: connection refused at `));
  });

  it('a failure recorded once the new version is current (finishSecret could not take AWSPENDING off): finished, not failed', async () => {
    const provider = memory();
    const deps = rotating(provider, 50);
    deps.store.removeStage = async () => {
      throw Object.assign(new Error('ThrottlingException: simulated'), { name: 'ThrottlingException' });
    };
    const { arn } = await tokenSecret(provider);
    const result = await rotateNow(arn, deps, { timeoutMs: 1_500, pollMs: 20 });
    expect(result).toMatchObject({ method: 'rotate', state: 'finished', versionId: currentVersion(arn) });
    expect(fx.aws.lastRotationError(arn)?.step).toBe('finishSecret');
  });

  it('a recorded failure of another version is not this rotation’s outcome', async () => {
    const provider = memory();
    const deps = fx.deps(memoryOpener(provider));
    const { arn, versionId: older } = await tokenSecret(provider);
    await fx.client.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: ROTATION_ERROR_TAG, Value: `${older} createSecret Error: old at 2030-01-01T00:00:00.000Z` }] }));
    expect(await rotateNow(arn, deps)).toMatchObject({ state: 'pending', versionId: pendingVersion(arn) });
  });
});

describe('rotateNow: a rotation already pending', () => {
  it('one that failed is run again on its own version and its outcome reported, not the old failure', async () => {
    const provider = memory();
    const deps = rotating(provider, 50);
    const { arn } = await tokenSecret(provider);
    // Rotated once before: an AWSPREVIOUS version sits beside the current and the pending one.
    await fx.putVersion(arn, tokenJson(fx.clock, (await provider.issue()).token, 20 * DAY), ['AWSCURRENT']);
    provider.failIssue = new Error('connection refused');
    await expect(rotateNow(arn, deps, WAIT)).rejects.toThrow(RotationFailedError);
    const failed = pendingVersion(arn)!;
    provider.failIssue = undefined;
    const result = await rotateNow(arn, deps, WAIT);
    expect(result).toMatchObject({ method: 'rotate', versionId: failed, state: 'finished' });
    expect(currentVersion(arn)).toBe(failed);
    expect(fx.valueAt(arn, 'AWSCURRENT')!.token).toBe([...provider.live.keys()].at(-1));
  });

  it('one that fails again reports the new failure', async () => {
    const provider = memory();
    const deps = rotating(provider, 50);
    const { arn } = await tokenSecret(provider);
    provider.failIssue = new Error('connection refused');
    await expect(rotateNow(arn, deps, WAIT)).rejects.toThrow(RotationFailedError);
    const failed = pendingVersion(arn)!;
    provider.failIssue = new Error('still down');
    const error = await rejection(rotateNow(arn, deps, WAIT));
    expect(error).toBeInstanceOf(RotationFailedError);
    expect(error.message).toContain(`(version ${failed}) failed: createSecret Error: still down`);
  });

  it.each([
    ['no failure is recorded', undefined],
    ['the recorded failure names another version', (current: string) => `${current} createSecret Error: old`],
  ])('one still running (%s): "already in progress", nothing started', async (_what, record) => {
    const provider = memory();
    const deps = fx.deps(memoryOpener(provider));
    const { arn, versionId } = await tokenSecret(provider);
    await fx.client.send(new RotateSecretCommand({ SecretId: arn })); // AWSPENDING stays: no rotation function
    if (record) await fx.client.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: ROTATION_ERROR_TAG, Value: record(versionId) }] }));
    const pending = pendingVersion(arn);
    const error = await rejection(rotateNow(arn, deps));
    expect(error).toBeInstanceOf(RotationStateError);
    expect(error).not.toBeInstanceOf(RotationFailedError);
    expect(error.message).toBe(`A rotation of ${arn} is already in progress; try again when it has finished`);
    expect(pendingVersion(arn)).toBe(pending);
  });

  it.each([
    ['previous rotation isn’t complete', "A previous rotation isn't complete. That rotation will be reattempted.", true],
    ['a rotation in progress', 'Secret rotation is already in progress for this secret', true],
    ['another InvalidRequestException', 'You can’t perform this operation on the secret because it was marked for deletion.', false],
  ])('RotateSecret refused with %s: %s', async (_what, message, inProgress) => {
    const provider = memory();
    const deps = fx.deps(memoryOpener(provider));
    const { arn } = await tokenSecret(provider);
    const refusal = Object.assign(new Error(message), { name: 'InvalidRequestException' });
    deps.store.rotate = async () => {
      throw refusal;
    };
    const error = await rejection(rotateNow(arn, deps));
    if (inProgress) {
      expect(error).not.toBe(refusal);
      expect(error).toBeInstanceOf(RotationStateError);
      expect(error.message).toBe(`A rotation of ${arn} is already in progress; try again when it has finished`);
    } else expect(error).toBe(refusal);
  });
});

describe('rotateNow: waiting', () => {
  /** A secret whose rotation never finishes (no rotation function), and the DescribeSecret calls made while waiting. */
  async function looks(wait: { timeoutMs: number; pollMs?: number }) {
    const provider = memory();
    const deps = fx.deps(memoryOpener(provider));
    const { arn } = await tokenSecret(provider);
    fx.aws.resetRequestLog();
    const started = performance.now();
    const result = await rotateNow(arn, deps, wait);
    return { result, elapsed: performance.now() - started, describes: fx.aws.countCalls('DescribeSecret') };
  }

  it('gives up when the wait ends: pending, after about the time allowed', async () => {
    const { result, elapsed } = await looks({ timeoutMs: 300, pollMs: 50 });
    expect(result.state).toBe('pending');
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('looks often early and then every pollMs, not in a busy loop', async () => {
    const { describes } = await looks({ timeoutMs: 1_000, pollMs: 50 });
    // Ideally 1 + 25, 50, 50 … ms: about 21 looks; slow machines make fewer, a busy loop hundreds.
    expect(describes).toBeGreaterThanOrEqual(9);
    expect(describes).toBeLessThanOrEqual(30);
  });

  it('ends on time when pollMs is longer than the time left', async () => {
    const { result, elapsed } = await looks({ timeoutMs: 1_000, pollMs: 5_000 });
    // Looks at 0, 25, 75, 175, 375 and 775 ms, then sleeps only the 225 ms left (not 800).
    expect(result.state).toBe('pending');
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(1_400);
  });

  it('without pollMs backs off to one look every 500 ms', async () => {
    const { describes } = await looks({ timeoutMs: 1_200 });
    // At 0, 25, 75, 175, 375, 775 ms and at the end (1 200 ms).
    expect(describes).toBeGreaterThanOrEqual(5);
    expect(describes).toBeLessThanOrEqual(8);
  });
});
