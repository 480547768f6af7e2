/**
 * refreshOrRotate (the sweep's and on-demand `refresh`'s renewal of one secret) against the local
 * Secrets Manager endpoint with an in-memory provider: which lifetime it asks for, what it stores
 * after a refresh in place or with a new token, when it rotates instead, and how it hands over to
 * a rotation left pending.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { RotateSecretCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import type { Deps } from '../../core/deps.js';
import { RefreshUnsupportedError, RotationStateError } from '../../core/errors.js';
import { ROTATION_ERROR_TAG } from '../../core/names.js';
import { loadManaged } from '../../core/operations/managed-secret.js';
import { refreshOrRotate } from '../../core/operations/refresh.js';
import { RotationPendingError } from '../../core/operations/write-current.js';
import type { ProviderOpener } from '../../core/providers/open.js';
import type { HeldToken } from '../../core/providers/provider.js';
import { runRotationStep } from '../../core/rotation/steps.js';
import { MemoryProvider, memoryDefinition } from '../helpers/memory-provider.js';
import { rejection } from '../helpers/fakes.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();
const WAIT = { timeoutMs: 5_000, pollMs: 20 };

afterEach(async () => {
  await fx.aws.rotationsSettled();
  fx.aws.setRotationInvoker(undefined);
});

function memory(options: ConstructorParameters<typeof MemoryProvider>[0] = {}): MemoryProvider {
  return new MemoryProvider({ now: () => fx.clock.now(), ...options });
}

/** The memory provider's opener, with a definition of the test's choosing. */
function opener(provider: MemoryProvider, definition: Partial<typeof memoryDefinition> = {}): ProviderOpener {
  return { definition: () => ({ ...memoryDefinition, ...definition }), open: async () => provider };
}

/** A secret whose current token (live at `provider`) expires in `expiresIn` s. */
async function secretWith(provider: MemoryProvider, expiresIn = 2 * DAY, extra: Record<string, unknown> = {}) {
  const { token } = await provider.issue({ purpose: { secretName: 'refresh', versionId: 'v' }, lifetimeSeconds: expiresIn });
  const { arn, versionId } = await fx.createSecret('refresh/s', tokenJson(fx.clock, token, expiresIn, extra));
  return { arn, versionId, token };
}

async function refresh(arn: string, deps: Deps, options: Parameters<typeof refreshOrRotate>[2] = {}) {
  return refreshOrRotate(await loadManaged(arn, deps.store), deps, options);
}

const near = (iso: unknown, ms: number) => Math.abs(Date.parse(String(iso)) - ms) < 5_000;
const holderOf = (arn: string, stage: string) => Object.entries(fx.labels(arn)).find(([, l]) => l.includes(stage))?.[0];

describe('refreshOrRotate: the lifetime asked for', () => {
  it.each([
    ['the one asked for, over the secret’s own and the provider’s default', { lifetimeSeconds: 3 * DAY }, { lifetimeSeconds: 10 * DAY }, 20 * DAY, 3 * DAY],
    ['the secret’s own, over the provider’s default', {}, { lifetimeSeconds: 10 * DAY }, 20 * DAY, 10 * DAY],
    ['the provider’s default when nothing else says', {}, {}, 20 * DAY, 20 * DAY],
  ] as const)('%s', async (_what, options, extra, defaultLifetimeSeconds, expected) => {
    const provider = memory();
    const s = await secretWith(provider, 2 * DAY, extra);
    const result = await refresh(s.arn, fx.deps(opener(provider, { defaultLifetimeSeconds })), options);
    expect(provider.refreshedWith).toEqual([{ lifetimeSeconds: expected }]);
    expect(near(result.expiresAt, fx.clock.now() + expected * 1000)).toBe(true);
  });

  it('none at all when nothing says one: the provider’s own', async () => {
    const provider = memory({ lifetimeSeconds: 7 * DAY });
    const s = await secretWith(provider);
    const result = await refresh(s.arn, fx.deps(opener(provider)));
    expect(provider.refreshedWith).toEqual([{}]);
    expect(near(result.expiresAt, fx.clock.now() + 7 * DAY * 1000)).toBe(true);
  });
});

describe('refreshOrRotate: what a refresh stores', () => {
  it('in place: the same token, a new expiry, issuedAt kept and refreshedAt beside it, as the new AWSCURRENT', async () => {
    const provider = memory({ lifetimeSeconds: 30 * DAY });
    const s = await secretWith(provider);
    const before = fx.valueAt(s.arn, 'AWSCURRENT')!;
    const result = await refresh(s.arn, fx.deps(opener(provider)));
    const after = fx.valueAt(s.arn, 'AWSCURRENT')!;
    expect(result).toEqual({ method: 'refresh', versionId: holderOf(s.arn, 'AWSCURRENT'), expiresAt: after.expiresAt });
    expect(result.versionId).not.toBe(s.versionId);
    expect(after.token).toBe(s.token);
    expect(after.issuedAt).toBe(before.issuedAt);
    expect(near(after.refreshedAt, fx.clock.now())).toBe(true);
    expect(near(after.expiresAt, fx.clock.now() + 30 * DAY * 1000)).toBe(true);
  });

  it('in place on a secret that never recorded issuedAt: the refresh’s instant', async () => {
    const provider = memory();
    const { token } = await provider.issue();
    const { issuedAt: _dropped, ...json } = tokenJson(fx.clock, token, 2 * DAY);
    const { arn } = await fx.createSecret('refresh/no-issued', json);
    await refresh(arn, fx.deps(opener(provider)));
    const after = fx.valueAt(arn, 'AWSCURRENT')!;
    expect(near(after.issuedAt, fx.clock.now())).toBe(true);
    expect(after.refreshedAt).toBe(after.issuedAt);
  });

  it('with a new token: the new token and its own issuedAt, no refreshedAt', async () => {
    const provider = memory({ capabilities: { refresh: 'new-token' } });
    const s = await secretWith(provider, 2 * DAY, { refreshedAt: '2020-01-01T00:00:00.000Z' });
    fx.clock.advance(3600);
    const result = await refresh(s.arn, fx.deps(opener(provider)));
    const after = fx.valueAt(s.arn, 'AWSCURRENT')!;
    expect(result.method).toBe('refresh');
    expect(after.token).not.toBe(s.token);
    expect(provider.isLive(String(after.token))).toBe(true);
    expect(near(after.issuedAt, fx.clock.now())).toBe(true);
    expect(after).not.toHaveProperty('refreshedAt');
    expect(holderOf(s.arn, 'AWSPREVIOUS')).toBe(s.versionId);
  });

  it('a refreshed token that never expires: expiresAt null', async () => {
    const provider = memory();
    const s = await secretWith(provider);
    const inner = provider.refresh.bind(provider);
    provider.refresh = async (held, options) => ({ ...(await inner(held, options)), expiresAt: null });
    expect(await refresh(s.arn, fx.deps(opener(provider)))).toMatchObject({ method: 'refresh', expiresAt: null });
    expect(fx.valueAt(s.arn, 'AWSCURRENT')!.expiresAt).toBeNull();
  });

  it('hands the provider the token’s own fields, and stores the ones the refresh returns in their place', async () => {
    const provider = memory({ capabilities: { refresh: 'new-token' } });
    const s = await secretWith(provider, 2 * DAY, { tokenId: 'id-old', tokenScope: 'scope-old' });
    const seen: HeldToken[] = [];
    const inner = provider.refresh.bind(provider);
    provider.refresh = async (held, options) => {
      seen.push(held);
      return { ...(await inner(held, options)), fields: { tokenId: 'id-new' } };
    };
    await refresh(s.arn, fx.deps(opener(provider, { tokenFields: ['tokenId', 'tokenScope'] })));
    expect(seen.map((h) => h.fields)).toEqual([{ tokenId: 'id-old', tokenScope: 'scope-old' }]);
    const after = fx.valueAt(s.arn, 'AWSCURRENT')!;
    expect(after.tokenId).toBe('id-new');
    expect(after).not.toHaveProperty('tokenScope');
  });
});

describe('refreshOrRotate: when it rotates instead', () => {
  it('a token with less than a second left is rotated, not refreshed', async () => {
    const provider = memory();
    const { token } = await provider.issue();
    const { arn } = await fx.createSecret('refresh/last-second', { ...tokenJson(fx.clock, token, 0), expiresAt: new Date(fx.clock.now() + 900).toISOString() });
    expect(await refresh(arn, fx.deps(opener(provider)))).toMatchObject({ method: 'rotate', state: 'pending' });
    expect(provider.calls.refresh).toBe(0);
  });

  it('a refresh refused as unsupported by the server rotates', async () => {
    const provider = memory();
    const s = await secretWith(provider);
    provider.failRefresh = new RefreshUnsupportedError('this server version cannot refresh');
    expect(await refresh(s.arn, fx.deps(opener(provider)))).toMatchObject({ method: 'rotate', state: 'pending' });
    expect(fx.valueAt(s.arn, 'AWSCURRENT')!.token).toBe(s.token);
  });

  it('waits for the rotation as asked', async () => {
    const provider = memory({ capabilities: { refresh: 'none' } });
    const deps = fx.deps(opener(provider));
    fx.aws.setRotationInvoker(async (event) => {
      await runRotationStep({ secretId: event.SecretId, clientRequestToken: event.ClientRequestToken, step: event.Step }, deps);
    });
    const s = await secretWith(provider);
    const result = await refresh(s.arn, deps, { wait: WAIT });
    expect(result).toMatchObject({ method: 'rotate', state: 'finished', versionId: holderOf(s.arn, 'AWSCURRENT') });
    expect(fx.valueAt(s.arn, 'AWSCURRENT')!.token).not.toBe(s.token);
  });
});

describe('refreshOrRotate: a rotation left pending', () => {
  /** A secret whose last rotation failed in createSecret, leaving AWSPENDING on its version (recorded). */
  async function failedRotation(provider: MemoryProvider, deps: Deps) {
    const s = await secretWith(provider);
    fx.aws.setRotationInvoker(async (event) => {
      await sleep(30);
      await runRotationStep({ secretId: event.SecretId, clientRequestToken: event.ClientRequestToken, step: event.Step }, deps);
    });
    provider.failIssue = new Error('connection refused');
    await fx.client.send(new RotateSecretCommand({ SecretId: s.arn }));
    await fx.aws.rotationsSettled(s.arn);
    provider.failIssue = undefined;
    return { ...s, pending: holderOf(s.arn, 'AWSPENDING')! };
  }

  it('an in-place refresh hands over to the failed rotation, run again (and waited for, as asked)', async () => {
    const provider = memory();
    const deps = fx.deps(opener(provider));
    const s = await failedRotation(provider, deps);
    const result = await refresh(s.arn, deps, { wait: WAIT });
    expect(result).toMatchObject({ method: 'rotate', versionId: s.pending, state: 'finished' });
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(s.pending);
  });

  it('an in-place refresh while a rotation is running says so', async () => {
    const provider = memory();
    const deps = fx.deps(opener(provider));
    const s = await secretWith(provider);
    await fx.client.send(new RotateSecretCommand({ SecretId: s.arn })); // no rotation function: AWSPENDING stays
    await fx.client.send(new TagResourceCommand({ SecretId: s.arn, Tags: [{ Key: ROTATION_ERROR_TAG, Value: `${s.versionId} createSecret Error: old` }] }));
    await expect(refresh(s.arn, deps)).rejects.toThrow(/already in progress/);
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(s.versionId);
  });

  it('a refresh with a new token does not hand over: RotationPendingError, the current version unchanged', async () => {
    const provider = memory({ capabilities: { refresh: 'new-token' } });
    const deps = fx.deps(opener(provider));
    const s = await failedRotation(provider, deps);
    fx.aws.resetRequestLog();
    await expect(refresh(s.arn, deps)).rejects.toBeInstanceOf(RotationPendingError);
    expect(fx.aws.countCalls('RotateSecret')).toBe(0);
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(s.versionId);
    expect(holderOf(s.arn, 'AWSPENDING')).toBe(s.pending);
    // The new token it could not store is revoked, not left live and untracked.
    expect(provider.calls.refresh).toBe(1);
    expect(provider.calls.revoke).toBe(1);
    expect([...provider.live.keys()].filter((t) => provider.isLive(t))).toEqual([fx.valueAt(s.arn, 'AWSCURRENT')!.token]);
  });

  it('a new token that could not be stored and may be another secret\'s current token is left to expire, not revoked', async () => {
    const heldBy = (answer: boolean | Error) => ({ heldElsewhere: async () => (answer instanceof Error ? Promise.reject(answer) : answer) });
    const cases: Array<{ index?: ReturnType<typeof heldBy>; revoked: number }> = [
      { index: heldBy(true), revoked: 0 }, // another secret holds it
      { index: heldBy(new Error('fleet read failed')), revoked: 0 }, // cannot tell: left to expire
      { revoked: 0 }, // no index to ask: left to expire
      { index: heldBy(false), revoked: 1 }, // nobody else holds it: revoked
    ];
    for (const c of cases) {
      const provider = memory({ capabilities: { refresh: 'new-token', tokensMayCollide: true } });
      const deps = fx.deps(opener(provider));
      const s = await failedRotation(provider, deps);
      await expect(refresh(s.arn, deps, c.index ? { index: c.index } : {})).rejects.toBeInstanceOf(RotationPendingError);
      expect(provider.calls.revoke, JSON.stringify(c)).toBe(c.revoked);
      await fx.aws.rotationsSettled();
    }
  });

  it('a current version written since the read is not handed to a rotation: RotationStateError', async () => {
    const provider = memory();
    const deps = fx.deps(opener(provider));
    const s = await secretWith(provider);
    const managed = await loadManaged(s.arn, deps.store);
    const newer = await fx.putVersion(s.arn, tokenJson(fx.clock, s.token, 2 * DAY), ['AWSCURRENT']);
    fx.aws.resetRequestLog();
    const error = await rejection(refreshOrRotate(managed, deps));
    expect(error).toBeInstanceOf(RotationStateError);
    expect(error).not.toBeInstanceOf(RotationPendingError);
    expect(error.message).toMatch(/changed while refreshing/);
    expect(fx.aws.countCalls('RotateSecret')).toBe(0);
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(newer);
  });
});
