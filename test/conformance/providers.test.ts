/**
 * The conformance suite every provider passes, against its fake over real HTTP, through the real
 * handlers and the local Secrets Manager endpoint: the four rotation steps (replayed, and out of
 * order), the sweep (refresh or re-mint when due), replaced tokens revoked after the grace period
 * or left to expire where the API cannot revoke, the on-demand actions, bad input, and no token
 * value in any result. A provider joins by adding one entry to PROVIDERS (docs/adding-a-provider.md;
 * a provider without a fake in local/stack.ts brings its own and passes `connection`).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { handler as onDemandHandler } from '../../functions/on-demand/handler.js';
import { handler as rotationHandler } from '../../functions/rotation/handler.js';
import { handler as scheduledHandler } from '../../functions/scheduled-refresh/handler.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { startLocalStack, type LocalStack, type TokenSecretOptions } from '../../local/stack.js';
import { registerFourthProvider, startFakeFourth } from '../fourth-provider/index.js';

const DAY = 86_400;
const HOUR = 3_600;

interface ProviderCase {
  name: string;
  /** The token secret's `provider`. */
  provider: string;
  options: TokenSecretOptions;
  /** Whether the provider's server accepts the token now. */
  live: (stack: LocalStack, token: string) => boolean;
  /** The provider's fake, for its quirks. */
  fake: (stack: LocalStack) => { setQuirks(quirks: { freshTokenRefusedSeconds?: number }): void };
  /** What a sweep does to a due token. */
  renewal: 'refresh' | 'rotate';
  /** Whether the API can revoke (on-demand delete). */
  revokes: boolean;
  /** Whether the sweep revokes the token a due renewal replaced (TigerGraph 4.x leaves short-lived leftovers to expire). */
  sweepRevokes: boolean;
  /** Lifetime the token secret asks for, and how long until it is due (past half its life). */
  lifetimeSeconds: number;
  dueAfterSeconds: number;
}

// A test-only provider, added by following docs/adding-a-provider.md (test/fourth-provider/).
registerFourthProvider();
const FOURTH_KEY = randomBytes(16).toString('hex');
const fourth = await startFakeFourth({ apiKeys: [FOURTH_KEY] });
const fourthSecret = { connection: { fields: { provider: 'fourth', host: fourth.url }, credentials: { apiKey: FOURTH_KEY } } };

const PROVIDERS: ProviderCase[] = [
  { name: 'tigergraph 3.x', provider: 'tigergraph', options: { version: 3 }, live: (s, t) => s.tg3.isLive(t), fake: (s) => s.tg3, renewal: 'refresh', revokes: true, sweepRevokes: true, lifetimeSeconds: 7 * DAY, dueAfterSeconds: 5 * DAY },
  // 4.x: a token replaced near its end (under 60 days left) is left to expire, not block-listed.
  { name: 'tigergraph 4.x', provider: 'tigergraph', options: { version: 4 }, live: (s, t) => s.tg4.isLive(t), fake: (s) => s.tg4, renewal: 'rotate', revokes: true, sweepRevokes: false, lifetimeSeconds: 30 * DAY, dueAfterSeconds: 28 * DAY },
  { name: 'trifacta', provider: 'trifacta', options: { provider: 'trifacta' }, live: (s, t) => s.trifacta.isLive(t), fake: (s) => s.trifacta, renewal: 'rotate', revokes: true, sweepRevokes: true, lifetimeSeconds: 7 * DAY, dueAfterSeconds: 5 * DAY },
  { name: 'ica (API key)', provider: 'ica', options: { provider: 'ica' }, live: (s, t) => s.ica.isLive(t), fake: (s) => s.ica, renewal: 'rotate', revokes: false, sweepRevokes: false, lifetimeSeconds: 12 * HOUR, dueAfterSeconds: 7 * HOUR },
  { name: 'fourth (test-only)', provider: 'fourth', options: fourthSecret, live: (_s, t) => fourth.isLive(t), fake: () => fourth, renewal: 'rotate', revokes: true, sweepRevokes: true, lifetimeSeconds: 7 * DAY, dueAfterSeconds: 5 * DAY },
  { name: 'ica (password)', provider: 'ica', options: { provider: 'ica', icaMode: 'password' }, live: (s, t) => s.ica.isLive(t), fake: (s) => s.ica, renewal: 'rotate', revokes: false, sweepRevokes: false, lifetimeSeconds: 12 * HOUR, dueAfterSeconds: 7 * HOUR },
];

let stack: LocalStack;
const minted: string[] = [];

beforeAll(async () => {
  process.env.TG_HTTP_TIMEOUT_MS = '1000';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  stack = await startLocalStack();
  await stack.putSettings({ refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: HOUR, concurrency: 4 });
});
afterAll(async () => {
  await stack.close();
  await fourth.close();
});

const ctx = (name: string) => lambdaContext(name, 120_000) as never;
let counter = 0;

async function current(arn: string): Promise<{ versionId: string; value: Record<string, unknown> & { token: string } }> {
  const out = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  const value = JSON.parse(out.SecretString!) as Record<string, unknown> & { token: string };
  minted.push(value.token);
  return { versionId: out.VersionId!, value };
}

async function stages(arn: string): Promise<string[]> {
  const out = await stack.secretsManager.send(new DescribeSecretCommand({ SecretId: arn }));
  return Object.values(out.VersionIdsToStages ?? {}).flat();
}

/** Fails if `result` carries any token the suite has seen. */
function noToken(result: unknown): void {
  const text = JSON.stringify(result);
  for (const token of minted) expect(text).not.toContain(token);
}

async function sweep(secretIds: string[]): Promise<Record<string, unknown>> {
  const result = (await scheduledHandler({ secretIds }, ctx('scheduled-refresh'))) as Record<string, unknown>;
  await stack.aws.rotationsSettled();
  noToken(result);
  return result;
}

async function onDemand(event: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = (await onDemandHandler(event, ctx('on-demand'))) as Record<string, unknown>;
  noToken(result);
  return result;
}

describe.each(PROVIDERS)('$name', (p) => {
  const create = async () => stack.createTokenSecret(`conf/${p.name.replace(/\W+/g, '-')}-${++counter}`, { ...p.options, fields: { lifetimeSeconds: p.lifetimeSeconds } });

  it('rotates through the four steps: a working AWSCURRENT, the replaced token still valid on AWSPREVIOUS, no AWSPENDING', async () => {
    const arn = await create();
    const first = await current(arn);
    expect(p.live(stack, first.value.token)).toBe(true);
    expect(first.value.providerVersion).toEqual(expect.any(String));
    await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn }));
    await stack.aws.rotationsSettled(arn);
    const second = await current(arn);
    expect(second.value.token).not.toBe(first.value.token);
    expect(p.live(stack, second.value.token)).toBe(true);
    expect(p.live(stack, first.value.token)).toBe(true);
    expect(await stages(arn)).not.toContain('AWSPENDING');
    expect(stack.aws.lastRotationError(arn)).toBeUndefined();
  });

  it('a new token the server refuses for its first 2 seconds (clock skew, propagation) still rotates: testSecret waits for it (issue 22)', async () => {
    const arn = await create();
    const first = await current(arn);
    p.fake(stack).setQuirks({ freshTokenRefusedSeconds: 2 });
    try {
      await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn }));
      await stack.aws.rotationsSettled(arn);
    } finally {
      p.fake(stack).setQuirks({ freshTokenRefusedSeconds: 0 });
    }
    expect(stack.aws.lastRotationError(arn)).toBeUndefined();
    const second = await current(arn);
    expect(second.value.token).not.toBe(first.value.token);
    expect(p.live(stack, second.value.token)).toBe(true);
    expect(await stages(arn)).not.toContain('AWSPENDING');
  });

  it('each step replayed gives the same state; a step out of order fails and changes nothing', async () => {
    const arn = await create();
    const before = await current(arn);
    stack.aws.setRotationInvoker(undefined);
    try {
      const { VersionId } = await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn }));
      const step = (Step: string) => rotationHandler({ SecretId: arn, ClientRequestToken: VersionId!, Step }, ctx('rotation'));
      await expect(step('finishSecret')).rejects.toThrow(/createSecret has not completed/);
      expect((await current(arn)).versionId).toBe(before.versionId);
      for (const s of ['createSecret', 'createSecret', 'setSecret', 'testSecret', 'testSecret', 'finishSecret', 'finishSecret']) await step(s);
      const after = await current(arn);
      expect(after.versionId).toBe(VersionId);
      expect(p.live(stack, after.value.token)).toBe(true);
      expect(await stages(arn)).not.toContain('AWSPENDING');
    } finally {
      stack.aws.setRotationInvoker(async (event) => {
        await rotationHandler(event, lambdaContext('rotation'));
      });
    }
  });

  it(`a due token is renewed by the sweep (${p.renewal}), and the replaced token is ${p.sweepRevokes ? 'revoked after the grace period' : 'left to expire on its own'}`, async () => {
    const arn = await create();
    const before = await current(arn);
    const quiet = await sweep([arn]);
    expect(quiet).toMatchObject({ refreshed: 0, rotated: 0, failed: [] });

    stack.clock.advance(p.dueAfterSeconds);
    const renewed = await sweep([arn]);
    expect(renewed).toMatchObject({ [p.renewal === 'refresh' ? 'refreshed' : 'rotated']: 1, failed: [] });
    const after = await current(arn);
    expect(p.live(stack, after.value.token)).toBe(true);
    if (p.renewal === 'rotate') expect(after.value.token).not.toBe(before.value.token);

    stack.clock.advance(2 * HOUR);
    const settled = await sweep([arn]);
    expect(settled.failed).toEqual([]);
    const replaced = after.value.token === before.value.token ? undefined : before.value.token;
    if (replaced && p.sweepRevokes) {
      expect(settled).toMatchObject({ revoked: 1, expiring: 0 });
      expect(p.live(stack, replaced)).toBe(false);
    }
    if (replaced && !p.sweepRevokes) {
      // Left to expire: never revoked by the product (whether ICA's tokens:refresh ends the old
      // JWT at once is UNCONFIRMED; the fake's default says it does).
      expect(settled).toMatchObject({ revoked: 0, expiring: 1 });
      if (p.renewal === 'rotate') expect(p.live(stack, replaced)).toBe(true);
    }
    expect(p.live(stack, (await current(arn)).value.token)).toBe(true);
    const again = await sweep([arn]);
    expect(again).toMatchObject({ refreshed: 0, rotated: 0, revoked: 0, expiring: 0, failed: [] });
  });

  it('on-demand status, request, refresh and delete behave as the contract says, without a token in any answer', async () => {
    const arn = await create();
    const status = await onDemand({ action: 'status', secretId: arn });
    expect(status).toMatchObject({ secretId: arn, provider: p.provider, providerVersion: expect.any(String), secondsLeft: expect.any(Number) });
    const first = await current(arn);

    const requested = await onDemand({ action: 'request', secretId: arn });
    expect(requested).toMatchObject({ state: 'finished', versionId: expect.any(String) });
    const second = await current(arn);
    expect(second.versionId).toBe(requested.versionId);
    expect(p.live(stack, second.value.token)).toBe(true);

    const refreshed = await onDemand({ action: 'refresh', secretId: arn });
    expect(refreshed).toMatchObject({ method: p.renewal, state: 'finished' });
    expect(p.live(stack, (await current(arn)).value.token)).toBe(true);

    const deleted = await onDemand({ action: 'delete', secretId: arn });
    if (p.revokes) {
      expect(deleted).toMatchObject({ outcome: expect.stringMatching(/^(revoked|already-gone|nothing-to-delete)$/) });
      expect(p.live(stack, first.value.token)).toBe(false);
    } else {
      expect(deleted).toMatchObject({ deleted: false, outcome: expect.stringMatching(/^(not-revocable|nothing-to-delete)$/) });
    }
    expect(p.live(stack, (await current(arn)).value.token)).toBe(true);
  });

  it('refuses bad input naming the field, before any call and without writing', async () => {
    const arn = await create();
    const before = await current(arn);
    await expect(onDemand({ action: 'request', secretId: arn, lifetimeSeconds: 5 })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('lifetimeSeconds') });
    await expect(onDemand({ action: 'delete', secretId: arn, versionId: before.versionId })).rejects.toThrow(/force/);
    expect((await current(arn)).versionId).toBe(before.versionId);
    expect(p.live(stack, before.value.token)).toBe(true);
  });
});

describe('conformance: provider and credential checks', () => {
  it.each([
    ['trifacta', { apiKey: 'k' }, /trifacta: credential secret .* is invalid/],
    ['ica', { secret: 's' }, /ica: credential secret .* is invalid: expected apiKey, or username and password/],
    ['tigergraph', { apiKey: 'k' }, /tigergraph: credential secret .* is invalid/],
  ] as const)('%s with a wrong credential shape fails the rotation naming provider and shape, minting nothing', async (provider, credentials, message) => {
    const mintedBefore = stack.tg3.minted + stack.tg4.minted + stack.trifacta.minted + stack.ica.minted;
    const arn = await stack.createTokenSecret(`conf/bad-${provider}-${++counter}`, { provider, version: 3, credentials: credentials as Record<string, string> });
    expect(stack.aws.lastRotationError(arn)?.message).toMatch(message);
    expect(stack.aws.lastRotationError(arn)?.message).not.toContain('"k"');
    expect(stack.tg3.minted + stack.tg4.minted + stack.trifacta.minted + stack.ica.minted).toBe(mintedBefore);
  });
});
