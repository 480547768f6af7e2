/**
 * Issue 22: a pending token the server refuses for good is re-driven a bounded number of times,
 * then abandoned for a fresh token. The sweep (real SDK, the local endpoint's asynchronous
 * RotateSecret) drives the rotation; the rotation steps run in place of the rotation function with
 * an in-memory provider whose server refuses what it mints until told otherwise.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweep } from '../../core/operations/sweep.js';
import { ROTATION_ERROR_TAG } from '../../core/names.js';
import { parseFailureRecord } from '../../core/rotation/failure-record.js';
import { runRotationStep, type RotationStep } from '../../core/rotation/steps.js';
import { DEFAULT_SETTINGS, type OperationalSettings } from '../../core/settings.js';
import { MemoryProvider, memoryOpener } from '../helpers/memory-provider.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();
let provider: MemoryProvider;
let settings: OperationalSettings;

beforeEach(() => {
  provider = new MemoryProvider({ now: () => fx.clock.now(), lifetimeSeconds: 30 * DAY, capabilities: { refresh: 'none' } });
  settings = { ...DEFAULT_SETTINGS, newTokenPatienceSeconds: 0 };
  fx.aws.setRotationInvoker(async (event) => {
    const request = { secretId: event.SecretId, clientRequestToken: event.ClientRequestToken, step: event.Step as RotationStep };
    await runRotationStep(request, fx.deps(memoryOpener(provider)), { settings });
  });
});
afterEach(() => fx.aws.setRotationInvoker(undefined));

async function sweepOnce(arn: string) {
  const summary = await sweep({ kind: 'ids', ids: [arn] }, fx.deps(memoryOpener(provider)), { settings });
  await fx.aws.rotationsSettled(arn);
  return summary;
}

const pendingVersion = (arn: string) => Object.entries(fx.labels(arn)).find(([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'))?.[0];
const record = (arn: string) => parseFailureRecord(fx.aws.inspectSecret(arn)!.tags[ROTATION_ERROR_TAG]);

/** A managed secret whose token is due (a day left of 30). */
async function dueSecret() {
  const { token } = await provider.issue();
  const { arn, versionId } = await fx.createSecret('redrive/s', tokenJson(fx.clock, token, DAY));
  return { arn, token, versionId };
}

describe('a pending token the server refuses for good', () => {
  it('is re-tested on two re-drives without minting, then abandoned on the third (revoked, AWSPENDING removed), and the next sweep mints afresh and finishes; AWSCURRENT untouched until then', async () => {
    const a = await dueSecret();
    provider.refuseNew = true; // e.g. revoked by an admin, or minted under a credential rotated since
    const mintsBefore = provider.calls.issue;

    await sweepOnce(a.arn);
    const first = pendingVersion(a.arn)!;
    expect(first).toBeDefined();
    const refused = fx.aws.inspectSecret(a.arn)!.versions.find((v) => v.versionId === first)!;
    const refusedToken = String(JSON.parse(refused.secretString!).token);
    expect(record(a.arn)).toMatchObject({ versionId: first, step: 'testSecret', pendingTokenAttempts: { attempt: 1, of: 3, abandoned: false } });

    await sweepOnce(a.arn);
    expect(pendingVersion(a.arn)).toBe(first);
    expect(record(a.arn)?.pendingTokenAttempts).toEqual({ attempt: 2, of: 3, abandoned: false });
    expect(provider.calls.issue - mintsBefore).toBe(1); // re-drives reuse the pending token

    await sweepOnce(a.arn);
    expect(record(a.arn)?.pendingTokenAttempts).toEqual({ attempt: 3, of: 3, abandoned: true });
    expect(pendingVersion(a.arn)).toBeUndefined();
    expect(provider.live.has(refusedToken)).toBe(false); // the orphan was revoked
    // AWSCURRENT never moved, and its token still works.
    expect(fx.valueAt(a.arn, 'AWSCURRENT')!.token).toBe(a.token);
    expect(fx.labels(a.arn)[a.versionId]).toContain('AWSCURRENT');
    expect(provider.isLive(a.token)).toBe(true);

    provider.refuseNew = false; // the server accepts new tokens again
    await sweepOnce(a.arn);
    const current = fx.valueAt(a.arn, 'AWSCURRENT')!;
    expect(current.token).not.toBe(a.token);
    expect(current.token).not.toBe(refusedToken);
    expect(provider.isLive(String(current.token))).toBe(true);
    expect(provider.calls.issue - mintsBefore).toBe(2);
    expect(pendingVersion(a.arn)).toBeUndefined();
    expect(fx.aws.inspectSecret(a.arn)!.tags[ROTATION_ERROR_TAG]).toBeUndefined();
  });

  it('pendingTokenAttempts (the settings) sets how many attempts are made', async () => {
    const a = await dueSecret();
    settings = { ...DEFAULT_SETTINGS, newTokenPatienceSeconds: 0, pendingTokenAttempts: 5 };
    provider.refuseNew = true;
    for (let i = 1; i <= 4; i++) {
      await sweepOnce(a.arn);
      expect(record(a.arn)?.pendingTokenAttempts).toEqual({ attempt: i, of: 5, abandoned: false });
    }
    await sweepOnce(a.arn);
    expect(record(a.arn)?.pendingTokenAttempts).toEqual({ attempt: 5, of: 5, abandoned: true });
    expect(pendingVersion(a.arn)).toBeUndefined();
    expect(fx.valueAt(a.arn, 'AWSCURRENT')!.token).toBe(a.token);
  });
});
