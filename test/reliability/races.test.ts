/**
 * Races on one secret: what overlapping invocations (a schedule firing during an operator's
 * request, EventBridge delivering twice, two RotateSecret calls, a late duplicate step) do to it.
 * Interleavings are forced, not hoped for: a gate holds one operation at a chosen point (a rotation
 * before one of its steps, or a handler's Secrets Manager write) while the other runs to completion.
 *
 * Rotations run in the background after RotateSecret answers (as on AWS): a sweep only starts
 * them, on-demand `request` waits for the outcome; every check below follows settlement. Tokens
 * live 2 days, so the refresh point is at half their life (1 day, plus up to 10% jitter): tests
 * that need a refresh or a scheduled rotation move the clock past it (DUE).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { secretsManagerClient } from '../../functions/lib/runtime.js';
import type { RotationEvent } from '../../local/aws/index.js';
import type { FakeTigerGraph } from '../../local/fakes/tigergraph/index.js';
import type { LocalStack } from '../../local/stack.js';
import { BLOCK_LIST_REVOKES, DAY, Ledger, handedOut, invoke, putSettings, realInvoker, rotateSecret, startRotation, startStack, tokenOf, untypedReason, withStage } from './helpers.js';

let stack: LocalStack;
let counter = 0;
/** Past the refresh point of a fresh 2-day token (half its life plus the largest jitter), not past its expiry. */
const DUE = DAY + 3_700;

beforeAll(async () => {
  stack = await startStack({}, { TG_HTTP_TIMEOUT_MS: '3000' });
  await putSettings(stack, { refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: 3600, concurrency: 4, ...BLOCK_LIST_REVOKES });
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

async function fixture(version: 3 | 4, lifetimeSeconds = 2 * DAY) {
  const arn = await stack.createTokenSecret(`races/tg${version}/${++counter}`, { version, fields: { lifetimeSeconds, owner: 'races' } });
  const ledger = new Ledger(stack);
  ledger.track(arn, version);
  ledger.check('after the first rotation', { requireNoPending: true });
  const current = withStage(ledger.snapshot(arn), 'AWSCURRENT')[0]!;
  return { arn, ledger, token: tokenOf(current)!, versionId: current.versionId };
}

function currentOf(ledger: Ledger, arn: string) {
  const v = withStage(ledger.snapshot(arn), 'AWSCURRENT')[0]!;
  return { versionId: v.versionId, token: tokenOf(v)! };
}

interface Gate {
  /** Resolves when the held call has reached the gate. */
  reached: Promise<void>;
  release(): void;
  remove(): void;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Holds the first rotation (whoever started it) just before `step` until released. */
function holdRotationBefore(step: RotationEvent['Step']): Gate {
  const reached = deferred();
  const released = deferred();
  let held = false;
  stack.aws.setRotationInvoker(async (event: RotationEvent) => {
    if (event.Step === step && !held) {
      held = true;
      reached.resolve();
      await released.promise;
    }
    await realInvoker(event);
  });
  return { reached: reached.promise, release: released.resolve, remove: () => stack.aws.setRotationInvoker(realInvoker) };
}

/** Holds the handlers' first Secrets Manager call `command` whose input matches, until released. */
function holdWrite(command: string, matches: (input: Record<string, unknown>) => boolean): Gate {
  const reached = deferred();
  const released = deferred();
  let held = false;
  const client = secretsManagerClient();
  const name = `reliability-gate-${++counter}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!held && context.commandName === command && matches(args.input as Record<string, unknown>)) {
        held = true;
        reached.resolve();
        await released.promise;
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { reached: reached.promise, release: released.resolve, remove: () => client.middlewareStack.remove(name) };
}

/** Starts `first` until it is held at `gate`, runs `second` to completion, then releases and settles `first`. */
async function whileHeld<A, B>(
  gate: Gate,
  first: () => Promise<A>,
  second: () => Promise<B>,
): Promise<[PromiseSettledResult<A>, PromiseSettledResult<B>]> {
  const settle = <T>(p: Promise<T>) =>
    p.then(
      (value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
      (reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
    );
  try {
    const a = settle(first());
    let timer: NodeJS.Timeout | undefined;
    // A sweep only starts a rotation (which then runs in the background): the first operation may
    // have returned by the time its rotation reaches the gate, so only the gate is awaited.
    await Promise.race([
      gate.reached,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the gate was never reached')), 10_000))),
    ]).finally(() => clearTimeout(timer));
    const b = await settle(second());
    gate.release();
    const results: [PromiseSettledResult<A>, PromiseSettledResult<B>] = [await a, b];
    await stack.aws.rotationsSettled();
    return results;
  } finally {
    gate.release();
    gate.remove();
  }
}

type Summary = { refreshed: number; rotated: number; revoked: number; expiring: number; failed: Array<{ secretId: string; error: string }> };

describe('scheduled refresh and on-demand request on the same 3.x secret at once', () => {
  it('the refresh finishing after the rotation does not put the old token back as AWSCURRENT', async () => {
    const f = await fixture(3);
    stack.clock.advance(DUE);
    const [sweep, request] = await whileHeld(
      // The sweep's refreshed value, about to be written.
      holdWrite('PutSecretValueCommand', (input) => String(input.SecretString).includes('"refreshedAt"')),
      () => invoke.scheduled({ secretIds: [f.arn] }) as Promise<Summary>,
      () => invoke.onDemand({ action: 'request', secretId: f.arn }) as Promise<{ versionId: string }>,
    );
    expect(request.status).toBe('fulfilled');
    const requested = (request as PromiseFulfilledResult<{ versionId: string }>).value;
    expect(stack.aws.lastRotationError(f.arn)).toBeUndefined();
    const now = currentOf(f.ledger, f.arn);
    // The operator asked for a new token (perhaps because the old one leaked): it must stay current.
    expect(now.versionId).toBe(requested.versionId);
    expect(now.token).not.toBe(f.token);
    f.ledger.check('after the race', { requireNoPending: true });
    // The sweep lost the race and says so, readably.
    expect(sweep.status).toBe('fulfilled');
    const summary = (sweep as PromiseFulfilledResult<Summary>).value;
    expect(summary.refreshed).toBe(0);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]!.error).toMatch(/^refresh: .*(changed while|concurrent)/i);
  });

  it('the refresh landing in the middle of the rotation leaves the rotated token current', async () => {
    const f = await fixture(3);
    stack.clock.advance(DUE);
    const [request, sweep] = await whileHeld(
      holdRotationBefore('testSecret'),
      () => invoke.onDemand({ action: 'request', secretId: f.arn }) as Promise<{ versionId: string }>,
      () => invoke.scheduled({ secretIds: [f.arn] }) as Promise<Summary>,
    );
    expect(request.status).toBe('fulfilled');
    expect(sweep.status).toBe('fulfilled');
    // A write during a rotation in flight would be undone by its finishSecret: the refresh is
    // refused, readably, and the next sweep refreshes (or finds the rotated token fresh).
    expect((sweep as PromiseFulfilledResult<Summary>).value).toMatchObject({
      refreshed: 0,
      // (The in-place refresh hands over to the rotation, which is running: said so.)
      failed: [{ secretId: f.arn, error: expect.stringMatching(/^refresh: A rotation of .* is already in progress; try again when it has finished/) }],
    });
    expect(stack.aws.lastRotationError(f.arn)).toBeUndefined();
    const now = currentOf(f.ledger, f.arn);
    expect(now.versionId).toBe((request as PromiseFulfilledResult<{ versionId: string }>).value.versionId);
    expect(now.token).not.toBe(f.token);
    // The old token is the one tracked on AWSPREVIOUS, so the sweep still revokes it later.
    expect(tokenOf(withStage(f.ledger.snapshot(f.arn), 'AWSPREVIOUS')[0])).toBe(f.token);
    f.ledger.check('after the race', { requireNoPending: true });
  });
});

describe.each([3, 4] as const)('two rotations of one TigerGraph %s.x secret at once', (version) => {
  it('two RotateSecret calls: one rotates, the other is told a rotation is in progress; one token minted', async () => {
    const f = await fixture(version);
    const minted = handedOut(version);
    const results = await Promise.allSettled([startRotation(stack, f.arn), startRotation(stack, f.arn)]);
    await stack.aws.rotationsSettled(f.arn);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toMatchObject({ name: 'InvalidRequestException', message: expect.stringMatching(/previous rotation isn't complete/i) });
    expect(stack.aws.lastRotationError(f.arn)).toBeUndefined();
    expect(handedOut(version)).toBe(minted + 1);
    expect(currentOf(f.ledger, f.arn).versionId).toBe((ok[0] as PromiseFulfilledResult<{ VersionId?: string }>).value.VersionId);
    f.ledger.check('after the race', { requireNoPending: true });
  });

  it('two on-demand requests: one rotates, the other fails with a RotationStateError saying a rotation is in progress', async () => {
    const f = await fixture(version);
    const minted = handedOut(version);
    const results = await Promise.allSettled([
      invoke.onDemand({ action: 'request', secretId: f.arn }),
      invoke.onDemand({ action: 'request', secretId: f.arn }),
    ]);
    await stack.aws.rotationsSettled(f.arn);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toMatchObject({ name: 'RotationStateError' });
    expect((refused[0]!.reason as Error).message).toBe(`A rotation of ${f.arn} is already in progress; try again when it has finished`);
    expect(handedOut(version)).toBe(minted + 1);
    f.ledger.check('after the race', { requireNoPending: true });
  });

  it('a scheduled rotation and an on-demand request: whichever comes second is refused, readably; the state is valid', async () => {
    const f = await fixture(version, 2 * DAY);
    const minted = handedOut(version);
    // 4.x rotates when due; a 3.x token that cannot be refreshed (expired) is rotated too.
    stack.clock.advance(version === 3 ? 2 * DAY + 60 : DUE);
    const [request, sweep] = await whileHeld(
      holdRotationBefore('testSecret'),
      () => invoke.onDemand({ action: 'request', secretId: f.arn }),
      () => invoke.scheduled({ secretIds: [f.arn] }) as Promise<Summary>,
    );
    expect(request.status).toBe('fulfilled');
    const summary = (sweep as PromiseFulfilledResult<Summary>).value;
    expect(summary.rotated).toBe(0);
    // The sweep reports which of its steps failed ("refresh": the refresh-or-rotate step).
    expect(summary.failed).toEqual([{ secretId: f.arn, error: `refresh: A rotation of ${f.arn} is already in progress; try again when it has finished` }]);
    expect(handedOut(version)).toBe(minted + 1);
    f.ledger.check('after the race', { requireNoPending: true });

    // And the other way round: the schedule first, the operator second.
    if (version === 3) stack.clock.advance(2 * DAY + 60);
    else stack.clock.advance(1.5 * DAY);
    const [sweep2, request2] = await whileHeld(
      holdRotationBefore('testSecret'),
      () => invoke.scheduled({ secretIds: [f.arn] }) as Promise<Summary>,
      () => invoke.onDemand({ action: 'request', secretId: f.arn }),
    );
    expect((sweep2 as PromiseFulfilledResult<Summary>).value).toMatchObject({ rotated: 1, failed: [] });
    expect(request2.status).toBe('rejected');
    const error = (request2 as PromiseRejectedResult).reason as Error;
    expect(error.name).toBe('RotationStateError');
    expect(error.message).toMatch(/already in progress; try again when it has finished/);
    expect(handedOut(version)).toBe(minted + 2);
    f.ledger.check('after the second race', { requireNoPending: true });
  });

  it('two scheduled sweeps at once (EventBridge delivers twice): the secret ends valid, failures are readable', async () => {
    const f = await fixture(version, 2 * DAY);
    await invoke.onDemand({ action: 'request', secretId: f.arn }); // leaves a previous token to revoke
    stack.clock.advance(DUE); // past the grace period and the refresh point
    const minted = handedOut(version);
    const deletes = tg(version).stats().delete;
    const results = await Promise.all([
      invoke.scheduled({ secretIds: [f.arn] }) as Promise<Summary>,
      invoke.scheduled({ secretIds: [f.arn] }) as Promise<Summary>,
    ]);
    await stack.aws.rotationsSettled(f.arn);
    for (const r of results) for (const failure of r.failed) expect(failure.error).not.toMatch(/Cannot read|undefined|TypeError/);
    const acted = results.reduce((n, r) => n + r.refreshed + r.rotated, 0);
    expect(acted).toBeGreaterThanOrEqual(1);
    expect(handedOut(version) - minted).toBe(version === 4 ? 1 : 0); // at most one rotation
    if (version === 3) {
      expect(tg(version).isLive(f.token)).toBe(false); // the previous token was revoked
      expect(results.reduce((n, r) => n + r.revoked, 0)).toBeGreaterThanOrEqual(1);
    } else {
      // 4.x routine policy: a replaced token with at most routineRevokeMinRemainingSeconds (4 days here)
      // left is not block-listed; it expires on its own (the ledger counts it as left to expire).
      expect(tg(version).isLive(f.token)).toBe(true);
      expect(tg(version).stats().delete).toBe(deletes);
      expect(results.reduce((n, r) => n + r.expiring, 0)).toBeGreaterThanOrEqual(1);
      expect(f.ledger.tokenCensus().leftToExpire).toContain(f.token);
    }
    f.ledger.check('after both sweeps', { requireNoPending: true });
  });
});

describe.each([3, 4] as const)('two sweeps revoking the same previous TigerGraph %s.x token', (version) => {
  it('the one that finds the revoke already done reports success, not a Secrets Manager error', async () => {
    const f = await fixture(version, 30 * DAY);
    await invoke.onDemand({ action: 'request', secretId: f.arn });
    stack.clock.advance(3601);
    const [first, second] = await whileHeld(
      // The first sweep has revoked the token and is about to remove the AWSPREVIOUS label.
      holdWrite('UpdateSecretVersionStageCommand', (input) => input.VersionStage === 'AWSPREVIOUS' && input.MoveToVersionId === undefined),
      () => invoke.scheduled({ secretIds: [f.arn] }) as Promise<Summary & { revoked: number }>,
      () => invoke.scheduled({ secretIds: [f.arn] }) as Promise<Summary & { revoked: number }>,
    );
    expect(second).toMatchObject({ status: 'fulfilled', value: { revoked: 1, failed: [] } });
    expect(first).toMatchObject({ status: 'fulfilled', value: { failed: [] } });
    expect(tg(version).isLive(f.token)).toBe(false);
    expect(withStage(f.ledger.snapshot(f.arn), 'AWSPREVIOUS')).toEqual([]);
    f.ledger.check('after both sweeps', { requireNoPending: true });
  });
});

describe('a late duplicate of a finished rotation step', () => {
  it.each([3, 4] as const)('TigerGraph %s.x: a repeated finishSecret of the last rotation does not break the rotation in progress', async (version) => {
    const f = await fixture(version);
    stack.aws.setRotationInvoker(undefined); // RotateSecret only creates the AWSPENDING version; steps run by hand
    const { VersionId } = await rotateSecret(stack, f.arn);
    stack.aws.setRotationInvoker(realInvoker);
    await invoke.rotation({ SecretId: f.arn, ClientRequestToken: VersionId, Step: 'createSecret' });

    // A retry of the previous rotation's finishSecret arrives late (Lambda async retries may duplicate).
    const late = await invoke.rotation({ SecretId: f.arn, ClientRequestToken: f.versionId, Step: 'finishSecret' });
    expect(late).toMatchObject({ outcome: 'already-current' });
    expect(f.ledger.danglingPending(f.arn)).toBe(VersionId);

    for (const Step of ['setSecret', 'testSecret', 'finishSecret'] as const) {
      await invoke.rotation({ SecretId: f.arn, ClientRequestToken: VersionId, Step });
    }
    expect(currentOf(f.ledger, f.arn).versionId).toBe(VersionId);
    f.ledger.check('after the rotation', { requireNoPending: true });
    expect(f.ledger.tokenCensus().untracked).not.toContain(tokenOf(withStage(f.ledger.snapshot(f.arn), 'AWSCURRENT')[0]));
  });
});

describe('errors from lost races are typed', () => {
  it('every rejection above is a typed error (spot check: a request while a rotation waits on AWSPENDING)', async () => {
    const f = await fixture(4);
    stack.aws.setRotationInvoker(undefined);
    await rotateSecret(stack, f.arn);
    stack.aws.setRotationInvoker(realInvoker);
    const error = await invoke.onDemand({ action: 'request', secretId: f.arn }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(untypedReason(error)).toBeUndefined();
    expect(error).toMatchObject({ name: 'RotationStateError' });
  });
});
