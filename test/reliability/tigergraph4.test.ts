/**
 * TigerGraph 4.x specifics that only show across several secrets of one server:
 *
 * - Colliding tokens. A 4.x JWT has no unique claim: two secrets rotated in the same second with
 *   the same lifetime offset by different processes (Lambda containers) hold byte-identical
 *   tokens. Within one process the client never hands a token out twice (mints.ts), so the
 *   collision is made here as it happens across containers: the in-process record of recent mints
 *   is bypassed, the lifetime offset fixed and the clock frozen for one second. Then no revoke the
 *   product makes on its own (sweep, on-demand delete) may touch a token another secret holds as
 *   current.
 * - Full block lists. A 4.x server block-lists revoked tokens per user in a bounded list; in
 *   'drop-oldest' mode (the fake's default, UNCONFIRMED for real servers) a full list drops its
 *   oldest entry and that token works again. The routine revoke policy (revoke a replaced token
 *   only with more than routineRevokeMinRemainingSeconds left) keeps the sweep from filling the
 *   list when tokens are replaced at their refresh point; the ledger records every revoked token
 *   that comes back to life. (Tokens replaced early, by Secrets Manager's schedule at the
 *   deployment's defaults, do fill it: known-issues.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { recentMints } from '../../core/providers/tigergraph/mints.js';
import type { LocalStack } from '../../local/stack.js';
import { ROTATION_LAMBDA_ARN } from '../../local/stack.js';
import { BLOCK_LIST_REVOKES, DAY, Ledger, invoke, putSettings, rotateSecret, startStack, sweepSettled, tokenOf, withStage } from './helpers.js';

/** Block-list entries per user: small, so a few revokes fill the list. */
const CAPACITY = 4;

let stack: LocalStack;
let counter = 0;

/**
 * Two GSQL users: the fake keeps one block list per user, and what one block of tests revokes must
 * not fill (and, in 'drop-oldest' mode, undo) what another one checks.
 */
const USERS = { alice: randomBytes(12).toString('hex'), bob: randomBytes(12).toString('hex') };
const as = (user: keyof typeof USERS) => ({ username: user, password: USERS[user] });

beforeAll(async () => {
  stack = await startStack(
    { tigergraph4: { users: USERS, quirks: { blockListCapacity: CAPACITY, blockListWhenFull: 'drop-oldest' } } },
    { TG_HTTP_TIMEOUT_MS: '2000' },
  );
  await putSettings(stack, { refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: 3600, concurrency: 4, ...BLOCK_LIST_REVOKES });
});
afterAll(async () => {
  await stack.close();
});
afterEach(() => {
  vi.restoreAllMocks();
  stack.aws.setFaults({});
});

const current = (arn: string) => tokenOf(withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0])!;
const previousVersion = (arn: string) => withStage(stack.aws.inspectSecret(arn)!, 'AWSPREVIOUS')[0]!;

/**
 * `n` 4.x secrets whose first rotations run at once, as if in `n` containers, within one frozen
 * second and with one lifetime offset: the server answers all of them the same token.
 */
async function collidingSecrets(n: number, lifetimeSeconds = 30 * DAY): Promise<string[]> {
  const arns: string[] = [];
  for (let i = 0; i < n; i++) {
    arns.push(await stack.createTokenSecret(`tg4/collide/${++counter}`, { version: 4, credentials: as('alice'), rotate: false, fields: { lifetimeSeconds } }));
  }
  // A second of its own: colliding sets made by different tests must not share their token too,
  // or (the collision guard reads the whole fleet) one test's secrets would hold another's token.
  stack.clock.advance(2);
  const second = Math.ceil(stack.clock.now() / 1000) * 1000 + 100;
  vi.spyOn(stack.clock, 'now').mockReturnValue(second);
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  vi.spyOn(recentMints, 'claim').mockReturnValue(true); // each rotation in its own container
  try {
    await Promise.all(
      arns.map((arn) => stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: ROTATION_LAMBDA_ARN, RotationRules: { AutomaticallyAfterDays: 7 } }))),
    );
    await stack.aws.rotationsSettled();
  } finally {
    vi.restoreAllMocks();
  }
  for (const arn of arns) expect(stack.aws.lastRotationError(arn)).toBeUndefined();
  return arns;
}

describe('4.x tokens minted in the same second for several secrets', () => {
  it('the premise: without the in-process record, same second and same offset give every secret the same token', async () => {
    const arns = await collidingSecrets(3);
    const tokens = new Set(arns.map(current));
    expect(tokens.size).toBe(1);
    expect(stack.tg4.isLive([...tokens][0]!)).toBe(true);
    // A 4.x mint asks for the lifetime minus an offset under a minute: the expiry is within 60 s
    // below the requested lifetime, never above (the stored expiry is the JWT's exp).
    for (const arn of arns) {
      const value = JSON.parse(withStage(stack.aws.inspectSecret(arn)!, 'AWSCURRENT')[0]!.secretString!) as { expiresAt: string; issuedAt: string };
      const lifetime = (Date.parse(value.expiresAt) - Date.parse(value.issuedAt)) / 1000;
      expect(lifetime).toBeLessThanOrEqual(30 * DAY);
      expect(lifetime).toBeGreaterThan(30 * DAY - 60);
    }
  });

  it('a sweep over all of them never revokes the token the others hold as current; it is revoked once no secret holds it', async () => {
    const [a, b, c] = await collidingSecrets(3);
    const ledger = new Ledger(stack);
    for (const arn of [a!, b!, c!]) ledger.track(arn, 4);
    const shared = current(a!);
    await rotateSecret(stack, a!); // a's previous token is b's and c's current one
    const replaced = previousVersion(a!).versionId;
    expect(tokenOf(previousVersion(a!))).toBe(shared);
    stack.clock.advance(3601);
    const deletes = stack.tg4.stats().delete;
    const summary = await sweepSettled(stack, { secretIds: [a!, b!, c!] });
    expect(summary).toMatchObject({ checked: 3, revoked: 0, revokeFailures: 0, failed: [] });
    expect(stack.tg4.stats().delete).toBe(deletes);
    expect(stack.tg4.isLive(shared)).toBe(true);
    ledger.check('after the sweep', { requireNoPending: true });

    // On demand: the replaced token is held elsewhere, so it is not revoked without force (the
    // sweep's settle already handed it over to its holders: a's AWSPREVIOUS label is gone).
    expect(await invoke.onDemand({ action: 'delete', secretId: a! })).toMatchObject({ deleted: false });
    await expect(invoke.onDemand({ action: 'delete', secretId: a!, versionId: replaced })).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^force: another managed secret holds this same token/),
    });
    expect(stack.tg4.isLive(shared)).toBe(true);
    ledger.check('after the deletes', { requireNoPending: true });

    // Once b and c replaced it too, nobody holds it as current: the next sweep revokes it (it has
    // more than routineRevokeMinRemainingSeconds left).
    await rotateSecret(stack, b!);
    await rotateSecret(stack, c!);
    stack.clock.advance(3601);
    const last = await sweepSettled(stack, { secretIds: [a!, b!, c!] });
    expect(last).toMatchObject({ revokeFailures: 0, failed: [] });
    expect(last.revoked).toBeGreaterThanOrEqual(1);
    expect(stack.tg4.isLive(shared)).toBe(false);
    for (const arn of [a!, b!, c!]) expect(stack.tg4.isLive(current(arn))).toBe(true);
    ledger.check('at the end', { requireNoPending: true });
  });
});

describe("a full 4.x block list in 'drop-oldest' mode", () => {
  it('routine revokes under the default policy: tokens replaced near their end are left to expire, nothing comes back to life', async () => {
    // bob's list is full first: an operator's leaked-token deletes (on demand: always revoked).
    const ledger = new Ledger(stack);
    const leaky = await stack.createTokenSecret(`tg4/leaky/${++counter}`, { version: 4, credentials: as('bob'), fields: { lifetimeSeconds: 30 * DAY } });
    ledger.track(leaky, 4);
    for (let i = 0; i < CAPACITY; i++) {
      await invoke.onDemand({ action: 'request', secretId: leaky });
      expect(await invoke.onDemand({ action: 'delete', secretId: leaky })).toEqual({ deleted: true, outcome: 'revoked' });
    }
    ledger.check('with the block list full', { requireNoPending: true });
    // Many secrets on one user, each through several refresh points of the schedule: every
    // replaced token has at most refreshBeforeSeconds (3 days) left, under the 4-day threshold.
    const arns: string[] = [];
    for (let i = 0; i < 2 * CAPACITY; i++) {
      const arn = await stack.createTokenSecret(`tg4/routine/${++counter}`, { version: 4, credentials: as('bob'), fields: { lifetimeSeconds: 10 * DAY } });
      ledger.track(arn, 4);
      arns.push(arn);
    }
    const deletes = stack.tg4.stats().delete;
    let expiring = 0;
    for (let sweep = 0; sweep < 12; sweep++) {
      stack.clock.advance(DAY);
      const summary = await sweepSettled(stack, { secretIds: arns });
      expect(summary).toMatchObject({ revoked: 0, revokeFailures: 0, failed: [] });
      expiring += summary.expiring;
      ledger.check(`after sweep ${sweep}`, { requireNoPending: true });
    }
    expect(expiring).toBeGreaterThanOrEqual(arns.length);
    expect(stack.tg4.stats().delete).toBe(deletes); // no block-list entry at all
    expect([...ledger.revivedEver]).toEqual([]); // so the operator's deletes stay in force
  });
});
