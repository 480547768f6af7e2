/**
 * Crash between steps: a rotation stopped at every point where a real Lambda could die or a call
 * could fail (after TigerGraph minted a token but before it was stored; after each of the four
 * steps; inside finishSecret between its two label updates). The next attempt, Secrets Manager's
 * retry of the same version (RotateSecret with the pending VersionId as ClientRequestToken),
 * completes, and the fail-safe invariants hold throughout. RotateSecret only starts a rotation (as
 * on AWS): every outcome below is read after the rotation settled (helpers.ts rotateSecret).
 *
 * "One more token" counts the distinct tokens TigerGraph handed to the product (helpers.ts
 * handedOut): a 4.x server may answer a token identical to one handed out in the same second,
 * which the client sets aside and mints again; the fake's `minted` counts that extra mint too.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { RotationEvent } from '../../local/aws/index.js';
import type { FakeTigerGraph } from '../../local/fakes/tigergraph/index.js';
import type { LocalStack } from '../../local/stack.js';
import { AWS_MAX_ATTEMPTS, DAY, Ledger, handedOut, invoke, realInvoker, rotateSecret, startStack, sweepSettled, tokenOf, untypedReason, withStage } from './helpers.js';

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

let stack: LocalStack;
let counter = 0;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});
beforeEach(() => {
  stack.tg3.setFaults({});
  stack.tg4.setFaults({});
  stack.aws.setFaults({});
  stack.aws.setRotationInvoker(realInvoker);
});

function tg(version: 3 | 4): FakeTigerGraph {
  return version === 3 ? stack.tg3 : stack.tg4;
}

/** A fresh secret after its first rotation, tracked by its own ledger, with the orphans that already existed. */
async function fixture(version: 3 | 4, fields: Record<string, unknown> = {}) {
  const arn = await stack.createTokenSecret(`crash/tg${version}/${++counter}`, { version, fields: { owner: 'crash-test', ...fields } });
  const ledger = new Ledger(stack);
  ledger.track(arn, version);
  ledger.check('after the first rotation', { requireNoPending: true });
  const orphansBefore = new Set(ledger.tokenCensus().orphans);
  const snap = ledger.snapshot(arn);
  const current = withStage(snap, 'AWSCURRENT')[0]!;
  return {
    arn,
    ledger,
    currentVersion: current.versionId,
    currentToken: tokenOf(current)!,
    minted: tg(version).minted,
    handedOut: handedOut(version),
    newOrphans: () => ledger.tokenCensus().orphans.filter((t) => !orphansBefore.has(t)),
  };
}

describe.each([3, 4] as const)('TigerGraph %s.x', (version) => {
  it('PutSecretValue fails after TigerGraph minted the token: the token is revoked, AWSCURRENT untouched; the retry completes with one more token', async () => {
    const f = await fixture(version);
    stack.aws.setFaults({ failNext: { operation: 'PutSecretValue', errorType: 'InternalServiceError', count: AWS_MAX_ATTEMPTS } });
    const { VersionId } = await rotateSecret(stack, f.arn);
    expect(stack.aws.lastRotationError(f.arn)).toMatchObject({ step: 'createSecret', clientRequestToken: VersionId });
    expect(handedOut(version)).toBe(f.handedOut + 1); // minted, then not stored...
    expect(f.newOrphans()).toEqual([]); // ...and revoked: no orphan
    const snap = f.ledger.snapshot(f.arn);
    expect(withStage(snap, 'AWSCURRENT')[0]!.versionId).toBe(f.currentVersion);
    expect(withStage(snap, 'AWSPENDING').map((v) => [v.versionId, v.secretString])).toEqual([[VersionId, undefined]]);
    f.ledger.check('after the failed put');

    stack.aws.setFaults({});
    await rotateSecret(stack, f.arn, VersionId);
    expect(stack.aws.lastRotationError(f.arn)).toBeUndefined();
    expect(handedOut(version)).toBe(f.handedOut + 2);
    const done = f.ledger.snapshot(f.arn);
    expect(withStage(done, 'AWSCURRENT')[0]!.versionId).toBe(VersionId);
    expect(tokenOf(withStage(done, 'AWSPREVIOUS')[0])).toBe(f.currentToken);
    expect(tg(version).isLive(f.currentToken)).toBe(true); // consumers still holding it keep working
    f.ledger.check('after the retry', { requireNoPending: true });
    expect(f.newOrphans()).toEqual([]);
  });

  it('PutSecretValue fails and TigerGraph refuses the revoke too: one orphan (bounded by that one failure), never stored, gone at its lifetime', async () => {
    const f = await fixture(version, { lifetimeSeconds: 600 });
    stack.aws.setFaults({ failNext: { operation: 'PutSecretValue', errorType: 'InternalServiceError', count: AWS_MAX_ATTEMPTS } });
    tg(version).setFaults({ errorRate: 1, errorStatus: 503, ops: ['delete', 'check'] });
    const { VersionId } = await rotateSecret(stack, f.arn);
    tg(version).setFaults({});
    stack.aws.setFaults({});
    expect(stack.aws.lastRotationError(f.arn)?.step).toBe('createSecret');
    const orphans = f.newOrphans();
    expect(orphans).toHaveLength(1);
    f.ledger.check('with the orphan');

    await rotateSecret(stack, f.arn, VersionId);
    expect(stack.aws.lastRotationError(f.arn)).toBeUndefined();
    expect(f.newOrphans()).toEqual(orphans); // the retry adds none
    f.ledger.check('after the retry', { requireNoPending: true });

    stack.clock.advance(601);
    expect(tg(version).isLive(orphans[0]!)).toBe(false);
    expect(f.newOrphans()).toEqual([]);
    // Time also expired the current token; the next rotation restores the invariants.
    await rotateSecret(stack, f.arn);
    f.ledger.check('after the next rotation', { requireNoPending: true });
  });

  it.each([1, 2, 3, 4])('the rotation function dies right after step %i: nothing is lost and the retry completes', async (n) => {
    const f = await fixture(version);
    const crashAfter = STEPS[n - 1]!;
    stack.aws.setRotationInvoker(async (event: RotationEvent) => {
      await realInvoker(event);
      if (event.Step === crashAfter) throw new Error(`Lambda died after ${crashAfter}`);
    });
    const { VersionId } = await rotateSecret(stack, f.arn);
    stack.aws.setRotationInvoker(realInvoker);
    expect(stack.aws.lastRotationError(f.arn)).toMatchObject({ step: crashAfter, clientRequestToken: VersionId });
    f.ledger.check(`after dying after ${crashAfter}`);
    expect(handedOut(version)).toBe(f.handedOut + 1);
    const crashed = f.ledger.snapshot(f.arn);
    const current = withStage(crashed, 'AWSCURRENT')[0]!;

    if (n < 4) {
      // Not finished: consumers still get the old token, and the new one waits on AWSPENDING.
      expect(current.versionId).toBe(f.currentVersion);
      expect(f.ledger.danglingPending(f.arn)).toBe(VersionId);
      await rotateSecret(stack, f.arn, VersionId);
      expect(stack.aws.lastRotationError(f.arn)).toBeUndefined();
    } else {
      // finishSecret completed before the crash: the rotation is done even though it was reported failed.
      expect(current.versionId).toBe(VersionId);
      expect(withStage(crashed, 'AWSPENDING')).toEqual([]);
      // Secrets Manager's retry of that version is refused (the version exists and is not pending)
      // with a typed service error, and changes nothing; the next rotation starts cleanly.
      const before = JSON.stringify(f.ledger.snapshot(f.arn).versions);
      const retry = await rotateSecret(stack, f.arn, VersionId).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (retry !== undefined) expect(untypedReason(retry)).toBeUndefined();
      expect(JSON.stringify(f.ledger.snapshot(f.arn).versions)).toBe(before);
    }

    const done = f.ledger.snapshot(f.arn);
    expect(withStage(done, 'AWSCURRENT')[0]!.versionId).toBe(VersionId);
    expect(tokenOf(withStage(done, 'AWSPREVIOUS')[0])).toBe(f.currentToken);
    expect(handedOut(version)).toBe(f.handedOut + 1); // the retry reused the stored token: no second mint
    f.ledger.check('after the retry', { requireNoPending: true });
    expect(f.newOrphans()).toEqual([]);

    await rotateSecret(stack, f.arn);
    expect(stack.aws.lastRotationError(f.arn)).toBeUndefined();
    f.ledger.check('after the next rotation', { requireNoPending: true });
  });

  it('dies inside finishSecret after AWSCURRENT moved but before AWSPENDING was removed: the retry cleans up', async () => {
    const f = await fixture(version);
    stack.aws.setRotationInvoker(async (event: RotationEvent) => {
      if (event.Step !== 'finishSecret') return realInvoker(event);
      // Half of finishSecret, as a function killed between its two UpdateSecretVersionStage calls.
      await stack.secretsManager.send(
        new UpdateSecretVersionStageCommand({
          SecretId: event.SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: event.ClientRequestToken,
          RemoveFromVersionId: f.currentVersion,
        }),
      );
      throw new Error('Lambda timed out in finishSecret');
    });
    const { VersionId } = await rotateSecret(stack, f.arn);
    stack.aws.setRotationInvoker(realInvoker);
    const half = f.ledger.snapshot(f.arn);
    expect(withStage(half, 'AWSCURRENT')[0]!.versionId).toBe(VersionId);
    expect(withStage(half, 'AWSPENDING')[0]!.versionId).toBe(VersionId);
    f.ledger.check('half finished');

    // Secrets Manager retries the failed step; the local endpoint treats a RotateSecret for a
    // version that is already AWSCURRENT as done, so the retried step is invoked directly.
    await invoke.rotation({ SecretId: f.arn, ClientRequestToken: VersionId, Step: 'finishSecret' });
    expect(withStage(f.ledger.snapshot(f.arn), 'AWSPENDING')).toEqual([]);
    expect(handedOut(version)).toBe(f.handedOut + 1);
    await rotateSecret(stack, f.arn);
    expect(stack.aws.lastRotationError(f.arn)).toBeUndefined();
    f.ledger.check('after the next rotation', { requireNoPending: true });
  });

  it.each([
    ['finishSecret before createSecret', ['finishSecret']],
    ['testSecret and finishSecret before createSecret', ['testSecret', 'finishSecret']],
  ] as const)('steps out of order (%s, e.g. a misrouted retry) are refused and never promote a version without a token', async (_name, steps) => {
    const f = await fixture(version);
    stack.aws.setRotationInvoker(undefined);
    const { VersionId } = await rotateSecret(stack, f.arn);
    stack.aws.setRotationInvoker(realInvoker);
    for (const Step of steps) {
      const before = JSON.stringify(f.ledger.snapshot(f.arn).versions);
      if (Step === 'testSecret') {
        // Nothing to test on a version without a value (what Secrets Manager's configuration test
        // sends): it changes nothing and promotes nothing; finishSecret below still refuses.
        expect(await invoke.rotation({ SecretId: f.arn, ClientRequestToken: VersionId, Step })).toMatchObject({ outcome: 'nothing-to-test' });
        expect(JSON.stringify(f.ledger.snapshot(f.arn).versions)).toBe(before);
        continue;
      }
      const error = await invoke.rotation({ SecretId: f.arn, ClientRequestToken: VersionId, Step }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error, `${Step} succeeded on an empty AWSPENDING version`).toBeDefined();
      expect(error!.name).toBe('RotationStateError');
      expect(error!.message).toMatch(/createSecret has not completed/);
      expect(JSON.stringify(f.ledger.snapshot(f.arn).versions)).toBe(before);
    }
    expect(withStage(f.ledger.snapshot(f.arn), 'AWSCURRENT')[0]!.versionId).toBe(f.currentVersion);
    f.ledger.check('after the refused steps', { allowPending: true });
    // The rotation then runs in order and completes.
    for (const Step of STEPS) await invoke.rotation({ SecretId: f.arn, ClientRequestToken: VersionId, Step });
    f.ledger.check('after the rotation', { requireNoPending: true });
  });

  it('TigerGraph down past the lifetime of a pending token: the retry abandons that rotation and the next one recovers, with no manual step', async () => {
    const f = await fixture(version, { lifetimeSeconds: 600 });
    // createSecret stores a token, then testSecret cannot reach TigerGraph.
    tg(version).setFaults({ dropRate: 1, ops: ['echo'] });
    const { VersionId } = await rotateSecret(stack, f.arn);
    expect(stack.aws.lastRotationError(f.arn)?.step).toBe('testSecret');
    expect(f.ledger.danglingPending(f.arn)).toBe(VersionId);
    // The outage outlasts every token involved.
    stack.clock.advance(601);
    tg(version).setFaults({});

    // Secrets Manager retries that rotation: its token expired, so it can never pass testSecret.
    await rotateSecret(stack, f.arn, VersionId);
    expect(stack.aws.lastRotationError(f.arn)).toMatchObject({ step: 'testSecret', message: expect.stringMatching(/expired/) });
    expect(f.ledger.danglingPending(f.arn)).toBeUndefined(); // abandoned, so a new rotation may start
    // The next rotation (here the schedule's: the current token has expired) restores service.
    const summary = await sweepSettled(stack, { secretIds: [f.arn] });
    expect(summary).toMatchObject({ rotated: 1, failed: [] });
    f.ledger.check('after recovery', { requireNoPending: true });
  });

  it('a rotation that failed on a passing fault is run again by the next sweep that finds its token due, which completes it', async () => {
    const f = await fixture(version, { lifetimeSeconds: 7 * DAY });
    tg(version).setFaults({ dropRate: 1, ops: ['echo'] });
    const { VersionId } = await rotateSecret(stack, f.arn);
    expect(stack.aws.lastRotationError(f.arn)?.step).toBe('testSecret');
    expect(f.ledger.danglingPending(f.arn)).toBe(VersionId);
    tg(version).setFaults({});
    // Nobody retries it here (AWS would, in its own time): the sweep that finds the token due
    // (7-day tokens, 1 day left; the pending one too) re-drives the failed version instead of
    // reporting "a rotation is in progress" until the token expires. 3.x first refreshes in place.
    stack.clock.advance(6 * DAY);
    const summary = await sweepSettled(stack, { secretIds: [f.arn] });
    expect(summary).toMatchObject({ rotated: 1, failed: [] });
    expect(withStage(f.ledger.snapshot(f.arn), 'AWSCURRENT')[0]!.versionId).toBe(VersionId);
    expect(f.ledger.danglingPending(f.arn)).toBeUndefined();
    f.ledger.check('after the re-driven rotation', { requireNoPending: true });
  });

  it('TigerGraph down for the whole rotation, then back: AWSCURRENT keeps working throughout and the retry completes', async () => {
    const f = await fixture(version);
    tg(version).setFaults({ dropRate: 1 });
    const { VersionId } = await rotateSecret(stack, f.arn);
    tg(version).setFaults({});
    expect(stack.aws.lastRotationError(f.arn)?.step).toBe('createSecret');
    expect(tg(version).minted).toBe(f.minted);
    f.ledger.check('while TigerGraph is down');
    expect(withStage(f.ledger.snapshot(f.arn), 'AWSCURRENT')[0]!.versionId).toBe(f.currentVersion);

    await rotateSecret(stack, f.arn, VersionId);
    expect(stack.aws.lastRotationError(f.arn)).toBeUndefined();
    f.ledger.check('after the retry', { requireNoPending: true });
    expect(f.newOrphans()).toEqual([]);
  });
});
