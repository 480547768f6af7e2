/**
 * Issue 22, honest outcomes: what a sweep reports is what happened. Against the local endpoint
 * (asynchronous RotateSecret, as on AWS) with the rotation steps run in place of the rotation
 * function and an in-memory provider: a rotation that fails at once is listed in `failed`; one
 * that finishes counts as rotated, one still running as pending, all as started; a secret whose
 * provider fields are malformed fails naming the field without a rotation being started; a
 * re-driven rotation costs one RotateSecret; and a token minted into a version that never became
 * current stays tracked until it is revoked or expires.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { ValidationError } from '../../core/errors.js';
import { sweep, type SweepSummary } from '../../core/operations/sweep.js';
import type { ProviderOpener } from '../../core/providers/open.js';
import { runRotationStep, type RotationStep } from '../../core/rotation/steps.js';
import { DEFAULT_SETTINGS, type OperationalSettings } from '../../core/settings.js';
import { MemoryProvider, memoryDefinition, memoryOpener } from '../helpers/memory-provider.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();
let provider: MemoryProvider;
let opener: ProviderOpener;
/** Steps the rotation function runs (all four unless a test stops it early), and a delay before each. */
let steps: readonly RotationStep[];
let stepDelayMs: number;
const settings: OperationalSettings = { ...DEFAULT_SETTINGS, newTokenPatienceSeconds: 0 };

function memory(options: ConstructorParameters<typeof MemoryProvider>[0] = {}) {
  return new MemoryProvider({ now: () => fx.clock.now(), lifetimeSeconds: 30 * DAY, capabilities: { refresh: 'none' }, ...options });
}

beforeEach(() => {
  provider = memory();
  opener = memoryOpener(provider);
  steps = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
  stepDelayMs = 0;
  fx.aws.setRotationInvoker(async (event) => {
    if (!steps.includes(event.Step as RotationStep)) return;
    if (stepDelayMs > 0) await sleep(stepDelayMs);
    await runRotationStep({ secretId: event.SecretId, clientRequestToken: event.ClientRequestToken, step: event.Step as RotationStep }, fx.deps(opener), { settings });
  });
});
afterEach(async () => {
  await fx.aws.rotationsSettled();
  fx.aws.setRotationInvoker(undefined);
});

async function sweepOnce(ids: string[], extra: { rotationOutcomeWaitMs?: number } = { rotationOutcomeWaitMs: 5_000 }): Promise<SweepSummary> {
  const summary = await sweep({ kind: 'ids', ids }, fx.deps(opener), { settings, ...extra });
  await fx.aws.rotationsSettled();
  return summary;
}

/** A managed secret whose token is due (a day left of 30). */
async function dueSecret(extra: Record<string, unknown> = {}) {
  const { token } = await provider.issue();
  const { arn, versionId } = await fx.createSecret('outcome/s', tokenJson(fx.clock, token, DAY, extra));
  return { arn, token, versionId };
}

const pendingVersion = (arn: string) => Object.entries(fx.labels(arn)).find(([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'))?.[0];
const currentVersion = (arn: string) => Object.entries(fx.labels(arn)).find(([, stages]) => stages.includes('AWSCURRENT'))![0];

describe('a sweep reports rotations started apart from rotations finished', () => {
  it('a rotation that finishes: started 1, rotated 1, nothing pending or failed', async () => {
    const a = await dueSecret();
    const summary = await sweepOnce([a.arn]);
    expect(summary).toMatchObject({ rotationsStarted: 1, rotated: 1, rotationsPending: 0, failed: [] });
    expect(fx.valueAt(a.arn, 'AWSCURRENT')!.token).not.toBe(a.token);
  });

  it('a rotation that fails at once (the token API down) is listed in failed with its step and reason, not counted as rotated', async () => {
    const a = await dueSecret();
    provider.failIssue = new Error('connect ECONNREFUSED: token API down');
    const summary = await sweepOnce([a.arn]);
    expect(summary).toMatchObject({ rotationsStarted: 1, rotated: 0, rotationsPending: 0 });
    expect(summary.failed).toEqual([{ secretId: a.arn, error: expect.stringMatching(/^rotation \(version \S+\) failed: createSecret Error: connect ECONNREFUSED: token API down at /) }]);
    expect(fx.valueAt(a.arn, 'AWSCURRENT')!.token).toBe(a.token);
  });

  it('a rotation still running when the wait ends is pending, neither rotated nor failed', async () => {
    const a = await dueSecret();
    stepDelayMs = 400;
    const summary = await sweepOnce([a.arn], { rotationOutcomeWaitMs: 100 });
    expect(summary).toMatchObject({ rotationsStarted: 1, rotated: 0, rotationsPending: 1, failed: [] });
  });

  it('the wait never outlasts the invocation: with no time left beyond the reserve, one look', async () => {
    const a = await dueSecret();
    stepDelayMs = 400;
    const started = performance.now();
    const summary = await sweep({ kind: 'ids', ids: [a.arn] }, fx.deps(opener), {
      settings,
      rotationOutcomeWaitMs: 30_000,
      remainingTimeMs: (() => {
        const end = Date.now() + 15_300;
        return () => end - Date.now();
      })(),
      reserveMs: 15_000,
    });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(summary).toMatchObject({ rotationsStarted: 1, rotationsPending: 1 });
  });
});

describe('honest outcomes (issue 22)', () => {
  it('a secret with a malformed provider field is listed in failed, naming the field, on every sweep; no rotation is started', async () => {
    opener = {
      ...memoryOpener(provider),
      definition: () => ({
        ...memoryDefinition,
        parseConfig: (secret) => {
          if (typeof secret.restppPort !== 'number') throw new ValidationError('memory: token secret is invalid: restppPort: expected number', 'restppPort');
          return secret;
        },
      }),
    };
    const a = await dueSecret({ restppPort: 'nine thousand' });
    for (let i = 0; i < 2; i++) {
      fx.aws.resetRequestLog();
      const summary = await sweepOnce([a.arn]);
      expect(summary).toMatchObject({ rotationsStarted: 0, rotated: 0 });
      expect(summary.failed).toEqual([{ secretId: a.arn, error: expect.stringContaining('restppPort: expected number') }]);
      expect(fx.aws.countCalls('RotateSecret')).toBe(0);
    }
  });

  it('a failed rotation re-driven by the next sweep costs one RotateSecret, on its own version', async () => {
    const a = await dueSecret();
    provider.failIssue = new Error('token API down');
    await sweepOnce([a.arn]);
    const failed = pendingVersion(a.arn)!;
    provider.failIssue = undefined;
    fx.aws.resetRequestLog();
    const summary = await sweepOnce([a.arn]);
    expect(fx.aws.countCalls('RotateSecret')).toBe(1);
    expect(summary).toMatchObject({ rotationsStarted: 1, rotated: 1, failed: [] });
    expect(currentVersion(a.arn)).toBe(failed);
  });

  it.each([
    ['revoked after the grace period', 'by-token' as const],
    ['tracked until it expires where the provider cannot revoke', 'none' as const],
  ])('a token minted into a version that never became current (an operator removed its AWSPENDING) is %s', async (_name, revoke) => {
    provider = memory({ capabilities: { refresh: 'none', revoke } });
    opener = memoryOpener(provider);
    const a = await dueSecret();
    steps = ['createSecret']; // the rotation stops after minting; an operator then removes AWSPENDING
    await sweepOnce([a.arn], { rotationOutcomeWaitMs: 0 });
    const orphanVersion = pendingVersion(a.arn)!;
    const orphan = String(JSON.parse(fx.aws.inspectSecret(a.arn)!.versions.find((v) => v.versionId === orphanVersion)!.secretString!).token);
    await fx.client.send(new UpdateSecretVersionStageCommand({ SecretId: a.arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: orphanVersion }));
    expect(provider.isLive(orphan)).toBe(true);

    steps = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
    expect(await sweepOnce([a.arn])).toMatchObject({ rotated: 1, failed: [] });
    expect(fx.valueAt(a.arn, 'AWSCURRENT')!.retiredVersionIds).toEqual(expect.arrayContaining([orphanVersion]));

    fx.clock.advance(settings.revokeGraceSeconds + 60);
    const settled = await sweepOnce([a.arn]);
    if (revoke === 'by-token') {
      expect(settled).toMatchObject({ revoked: 2, failed: [] }); // the replaced token and the orphan
      expect(provider.isLive(orphan)).toBe(false);
    } else {
      expect(settled).toMatchObject({ revoked: 0, expiring: 2, failed: [] });
    }
  });
});
