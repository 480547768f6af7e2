/**
 * On-demand actions against the local Secrets Manager endpoint with an in-memory provider: input
 * checks, status, request (and what a lifetime change must keep tracked), refresh, delete (which
 * token, proof, refusals) and fleet status. No result may hold a token value.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { ROTATION_ERROR_TAG } from '../../core/names.js';
import { performOnDemand, parseOnDemandEvent, type OnDemandContext, type OnDemandEvent } from '../../core/operations/on-demand.js';
import { RotationStateError, ValidationError } from '../../core/errors.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { MemoryProvider, memoryOpener } from '../helpers/memory-provider.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();

function ctx(fleetIds?: string[]): OnDemandContext {
  return { settings: DEFAULT_SETTINGS, fleet: fleetIds ? { kind: 'ids', ids: fleetIds } : { kind: 'tag' }, wait: { timeoutMs: 0 } };
}

function memory(options: ConstructorParameters<typeof MemoryProvider>[0] = {}): MemoryProvider {
  return new MemoryProvider({ now: () => fx.clock.now(), lifetimeSeconds: 30 * DAY, ...options });
}

async function perform(event: Record<string, unknown>, provider: MemoryProvider, context = ctx()) {
  const result = await performOnDemand(parseOnDemandEvent(event), fx.deps(memoryOpener(provider)), context);
  // Never a token value in any result.
  for (const token of provider.live.keys()) expect(JSON.stringify(result)).not.toContain(token);
  return result as Record<string, unknown>;
}

/** A secret with current token and an AWSPREVIOUS token, just rotated (within the grace period). */
async function rotatedSecret(provider: MemoryProvider, extra: Record<string, unknown> = {}) {
  const old = await provider.issue();
  const { arn } = await fx.createSecret('od/s', tokenJson(fx.clock, old.token, 20 * DAY, extra));
  const previousVersion = Object.keys(fx.labels(arn))[0]!;
  const { token } = await provider.issue();
  const currentVersion = await fx.putVersion(arn, tokenJson(fx.clock, token, 20 * DAY, extra), ['AWSCURRENT']);
  return { arn, token, old: old.token, previousVersion, currentVersion };
}

/** The digest `delete` takes in place of a token: lower-case hex SHA-256, as sha256sum prints it. */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('on-demand input', () => {
  it.each([
    [{ secretId: 's' }, 'action'],
    [{ action: 'rotate', secretId: 's' }, 'action'],
    [{ action: 'request' }, 'secretId'],
    [{ action: 'request', secretId: 's', lifetimeSeconds: 'long' }, 'lifetimeSeconds'],
    [{ action: 'request', secretId: 's', lifetimeSeconds: 10 }, 'lifetimeSeconds'],
    [{ action: 'delete', secretId: 's', force: 'yes' }, 'force'],
    [{ action: 'delete', secretId: 's', versionId: 'v', tokenSha256: sha256('t') }, 'tokenSha256'],
    [{ action: 'delete', secretId: 's', tokenSha256: sha256('t').slice(1) }, 'tokenSha256'],
    [{ action: 'delete', secretId: 's', tokenSha256: sha256('t').toUpperCase() }, 'tokenSha256'],
    [{ action: 'delete', secretId: 's', tokenSha256: `${sha256('t').slice(1)}g` }, 'tokenSha256'],
    [{ action: 'status', secretId: 's', secretID: 'typo' }, 'secretID'],
  ])('rejects %j naming %s, without echoing values', (event, field) => {
    let error: unknown;
    try {
      parseOnDemandEvent(event);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(field);
    expect((error as Error).message).not.toContain('"typo"');
  });

  it.each([
    ['a string', 'tok-SECRET-VALUE-4f1b2c3d4e5f60718293a4b5c6d7e8f9'],
    ['a number', 42],
    ['an empty string', ''],
  ])('refuses a raw token (%s) on any event, naming versionId and tokenSha256, never echoing it', (_kind, token) => {
    for (const event of [
      { action: 'delete', secretId: 's', token },
      { action: 'delete', secretId: 's', token, force: true },
      { action: 'delete', secretId: 's', versionId: 'v', token },
      { action: 'status', secretId: 's', token },
    ]) {
      const error = (() => {
        try {
          parseOnDemandEvent(event);
        } catch (e) {
          return e as ValidationError;
        }
        throw new Error('accepted an event with a raw token');
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.field).toBe('token');
      expect(error.message).toMatch(/token: a raw token is not accepted/);
      expect(error.message).toContain('versionId');
      expect(error.message).toContain('tokenSha256');
      if (typeof token === 'string' && token) expect(error.message).not.toContain(token);
    }
  });

  it('accepts tokenSha256 as 64 lower-case hex characters', () => {
    expect(parseOnDemandEvent({ action: 'delete', secretId: 's', tokenSha256: sha256('t') })).toEqual({ action: 'delete', secretId: 's', tokenSha256: sha256('t') });
  });

  it('accepts status without a secretId (the whole fleet)', () => {
    expect(parseOnDemandEvent({ action: 'status' })).toEqual({ action: 'status' });
  });
});

describe('status', () => {
  it('reports metadata and expiry with no token and no provider call', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider, { providerVersion: '3' });
    const opener = memoryOpener(provider);
    const result = await performOnDemand(parseOnDemandEvent({ action: 'status', secretId: s.arn }), fx.deps(opener), ctx());
    expect(result).toMatchObject({ secretId: s.arn, versionId: s.currentVersion, provider: 'memory', providerVersion: '3', neverExpires: false });
    const status = result as { issuedAt: string; expiresAt: string; secondsLeft: number };
    expect(status.issuedAt).toBe(fx.valueAt(s.arn, 'AWSCURRENT')!.issuedAt);
    expect(status.secondsLeft).toBeGreaterThan(20 * DAY - 60);
    expect(opener.opened).toBe(0);
    expect(JSON.stringify(result)).not.toContain(s.token);
  });

  it('reports the last rotation failure (none here), and how often a refused pending token was tried (issue 22)', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    expect(await perform({ action: 'status', secretId: s.arn }, provider)).toMatchObject({ rotationFailure: null });
    await fx.client.send(
      new TagResourceCommand({
        SecretId: s.arn,
        Tags: [{ Key: ROTATION_ERROR_TAG, Value: 'v-pending testSecret PendingTokenRefusedError: attempt 2 of 3: the memory server refused the pending token at 2030-01-02T03:04:05.678Z' }],
      }),
    );
    expect(await perform({ action: 'status', secretId: s.arn }, provider)).toMatchObject({
      rotationFailure: {
        versionId: 'v-pending',
        step: 'testSecret',
        reason: expect.stringMatching(/^PendingTokenRefusedError: attempt 2 of 3: /),
        at: '2030-01-02T03:04:05.678Z',
        pendingTokenAttempts: { attempt: 2, of: 3, abandoned: false },
      },
    });
  });

  it('says when a token never expires', async () => {
    const provider = memory();
    const { arn } = await fx.createSecret('od/forever', { ...tokenJson(fx.clock, 'x'.repeat(32), 1), expiresAt: null });
    expect(await perform({ action: 'status', secretId: arn }, provider)).toMatchObject({ expiresAt: null, secondsLeft: null, neverExpires: true });
  });
});

describe('request', () => {
  it('starts a rotation and says when it is still pending after the wait', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    fx.aws.resetRequestLog();
    const result = await perform({ action: 'request', secretId: s.arn }, provider);
    expect(result).toMatchObject({ state: 'pending', expiresAt: null });
    expect(typeof result.versionId).toBe('string');
    expect(fx.aws.countCalls('RotateSecret')).toBe(1);
  });

  it('with a new lifetime records it over the current version, keeping the replaced token tracked on AWSPREVIOUS', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    await perform({ action: 'request', secretId: s.arn, lifetimeSeconds: 7200 }, provider);
    expect(fx.valueAt(s.arn, 'AWSCURRENT')!.lifetimeSeconds).toBe(7200);
    expect(fx.valueAt(s.arn, 'AWSCURRENT')!.token).toBe(s.token);
    // Without the fix the write moved AWSPREVIOUS onto the same token and the old one became untracked.
    expect(fx.valueAt(s.arn, 'AWSPREVIOUS')!.token).toBe(s.old);
  });

  it('answers clearly when a rotation is already in progress', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    await perform({ action: 'request', secretId: s.arn }, provider); // leaves AWSPENDING (no rotation function here)
    await expect(perform({ action: 'request', secretId: s.arn }, provider)).rejects.toThrow(RotationStateError);
    await expect(perform({ action: 'request', secretId: s.arn }, provider)).rejects.toThrow(/already in progress/);
  });

  it.each(['AccessDeniedException', 'ThrottlingException', 'InvalidRequestException'])(
    'surfaces a RotateSecret failure of another kind (%s) as itself, not as "in progress"',
    async (errorType) => {
      const provider = memory();
      const s = await rotatedSecret(provider);
      fx.aws.setFaults({ failNext: { operation: 'RotateSecret', errorType, count: 1 } });
      const error = await perform({ action: 'request', secretId: s.arn }, provider).catch((e: unknown) => e);
      expect((error as Error).name).toBe(errorType);
    },
  );
});

describe('refresh', () => {
  it('extends the token in place, keeping an older unrevoked token on AWSPREVIOUS', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    const result = await perform({ action: 'refresh', secretId: s.arn, lifetimeSeconds: 3 * DAY }, provider);
    expect(result).toMatchObject({ method: 'refresh', state: 'finished' });
    expect(Math.abs(Date.parse(String(result.expiresAt)) - (fx.clock.now() + 3 * DAY * 1000))).toBeLessThan(5_000);
    expect(fx.valueAt(s.arn, 'AWSCURRENT')!.token).toBe(s.token);
    expect(fx.valueAt(s.arn, 'AWSPREVIOUS')!.token).toBe(s.old);
  });

  it('rotates where the provider cannot refresh', async () => {
    const provider = memory({ capabilities: { refresh: 'none' } });
    const s = await rotatedSecret(provider);
    expect(await perform({ action: 'refresh', secretId: s.arn }, provider)).toMatchObject({ method: 'rotate', state: 'pending' });
  });
});

describe('delete', () => {
  it('without a version or digest revokes the replaced tokens, whatever the grace period', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    expect(await perform({ action: 'delete', secretId: s.arn }, provider)).toEqual({ deleted: true, outcome: 'revoked' });
    expect(provider.isLive(s.old)).toBe(false);
    expect(provider.isLive(s.token)).toBe(true);
  });

  it('with nothing replaced deletes nothing and says so', async () => {
    const provider = memory();
    const { token } = await provider.issue();
    const { arn } = await fx.createSecret('od/fresh', tokenJson(fx.clock, token, 20 * DAY));
    expect(await perform({ action: 'delete', secretId: arn }, provider)).toMatchObject({ deleted: false, outcome: 'nothing-to-delete' });
  });

  it('by versionId revokes that version’s token (the event carries no token)', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    expect(await perform({ action: 'delete', secretId: s.arn, versionId: s.previousVersion }, provider)).toEqual({ deleted: true, outcome: 'revoked' });
    expect(provider.isLive(s.old)).toBe(false);
  });

  it('refuses the AWSCURRENT token without force (by version or by digest), and deletes it with force', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    await expect(perform({ action: 'delete', secretId: s.arn, versionId: s.currentVersion }, provider)).rejects.toThrow(/force/);
    await expect(perform({ action: 'delete', secretId: s.arn, tokenSha256: sha256(s.token) }, provider)).rejects.toThrow(/^force:/);
    expect(provider.isLive(s.token)).toBe(true);
    expect(provider.calls.revoke).toBe(0);
    expect(await perform({ action: 'delete', secretId: s.arn, versionId: s.currentVersion, force: true }, provider)).toMatchObject({ deleted: true });
    expect(provider.isLive(s.token)).toBe(false);
  });

  it('by tokenSha256 revokes the token with that digest (AWSPREVIOUS), and only it', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    expect(await perform({ action: 'delete', secretId: s.arn, tokenSha256: sha256(s.old) }, provider)).toEqual({ deleted: true, outcome: 'revoked' });
    expect(provider.isLive(s.old)).toBe(false);
    expect(provider.isLive(s.token)).toBe(true);
    expect(provider.calls.revoke).toBe(1);
  });

  it('by tokenSha256 finds a retired version (replaced twice, no label left) and the current one with force', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    const { token: third } = await provider.issue();
    // A second rotation within the grace period: the first token loses AWSPREVIOUS and is listed as retired.
    await fx.putVersion(s.arn, tokenJson(fx.clock, third, 20 * DAY, { retiredVersionIds: [s.previousVersion] }), ['AWSCURRENT']);
    expect(Object.keys(fx.labels(s.arn))).not.toContain(s.previousVersion);
    expect(await perform({ action: 'delete', secretId: s.arn, tokenSha256: sha256(s.old) }, provider)).toEqual({ deleted: true, outcome: 'revoked' });
    expect(provider.isLive(s.old)).toBe(false);
    expect(provider.isLive(s.token)).toBe(true);
    expect(await perform({ action: 'delete', secretId: s.arn, tokenSha256: sha256(third), force: true }, provider)).toEqual({ deleted: true, outcome: 'revoked' });
    expect(provider.isLive(third)).toBe(false);
    expect(provider.isLive(s.token)).toBe(true);
  });

  it.each([
    ['a token the secret never held', (_s: { old: string }) => sha256('tok-never-held-0000000000000000000000')],
    ['the digest of the token and a newline (echo instead of printf)', (s: { old: string }) => sha256(`${s.old}\n`)],
  ])('by tokenSha256 of %s is a ValidationError that says what to check, and revokes nothing', async (_name, digestOf) => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    const digest = digestOf(s);
    const error = (await perform({ action: 'delete', secretId: s.arn, tokenSha256: digest }, provider).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe('tokenSha256');
    expect(error.message).toMatch(/^tokenSha256: no version of .* holds a token with this SHA-256/);
    expect(error.message).toMatch(/printf/);
    expect(error.message).not.toContain(digest);
    expect(provider.calls.revoke).toBe(0);
    expect(provider.isLive(s.old)).toBe(true);
  });

  it('reports a token proven gone already as deleted: false, outcome already-gone', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    await provider.revoke({ token: s.old, fields: {} });
    expect(await perform({ action: 'delete', secretId: s.arn, versionId: s.previousVersion }, provider)).toEqual({ deleted: false, outcome: 'already-gone' });
  });

  it('fails (never answers success) when the revoke cannot be confirmed', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    provider.failRevoke = new Error('credential refused; the token still works');
    await expect(perform({ action: 'delete', secretId: s.arn, versionId: s.previousVersion }, provider)).rejects.toThrow('still works');
  });

  it('answers that the provider cannot revoke, without calling it', async () => {
    const provider = memory({ capabilities: { revoke: 'none' } });
    const s = await rotatedSecret(provider);
    expect(await perform({ action: 'delete', secretId: s.arn, versionId: s.previousVersion }, provider)).toMatchObject({ deleted: false, outcome: 'not-revocable' });
    expect(provider.calls.revoke).toBe(0);
  });

  it('refuses to revoke a token another managed secret holds as current (identical tokens), unless forced', async () => {
    const provider = memory({ capabilities: { tokensMayCollide: true } });
    const s = await rotatedSecret(provider);
    const twin = await fx.createSecret('od/twin', tokenJson(fx.clock, s.old, 20 * DAY));
    const fleet = ctx([s.arn, twin.arn]);
    await expect(perform({ action: 'delete', secretId: s.arn, versionId: s.previousVersion }, provider, fleet)).rejects.toThrow(/another managed secret/);
    expect(provider.isLive(s.old)).toBe(true);
    expect(await perform({ action: 'delete', secretId: s.arn, versionId: s.previousVersion, force: true }, provider, fleet)).toMatchObject({ deleted: true });
  });
});

describe('fleet status', () => {
  it('counts the fleet by state and lists the soonest expiries first, never a token', async () => {
    const provider = memory();
    const healthy = await fx.createSecret('od/fleet-ok', tokenJson(fx.clock, (await provider.issue()).token, 20 * DAY));
    await fx.putVersion(healthy.arn, tokenJson(fx.clock, (await provider.issue()).token, 20 * DAY), ['AWSCURRENT', 'TGSETTLED']);
    const due = await fx.createSecret('od/fleet-due', tokenJson(fx.clock, (await provider.issue()).token, DAY));
    const expired = await fx.createSecret('od/fleet-expired', tokenJson(fx.clock, (await provider.issue()).token, -60));
    const event: OnDemandEvent = { action: 'status' };
    const result = (await performOnDemand(event, fx.deps(memoryOpener(provider)), ctx([healthy.arn, due.arn, expired.arn]))) as {
      secrets: number;
      counts: Record<string, number>;
      soonest: Array<{ secretId: string }>;
    };
    expect(result.secrets).toBe(3);
    expect(result.counts).toMatchObject({ healthy: 1, due: 1, expired: 1 });
    expect(result.soonest.map((s) => s.secretId)).toEqual([expired.arn, due.arn, healthy.arn]);
    for (const token of provider.live.keys()) expect(JSON.stringify(result)).not.toContain(token);
  });

  it('pages a large fleet with nextToken', async () => {
    const provider = memory();
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) arns.push((await fx.createSecret('od/page', tokenJson(fx.clock, (await provider.issue()).token, 20 * DAY))).arn);
    const { fleetStatus } = await import('../../core/operations/status.js');
    const deps = fx.deps(memoryOpener(provider));
    const first = await fleetStatus({ kind: 'ids', ids: arns }, deps, { settings: DEFAULT_SETTINGS, pageSize: 3 });
    expect(first.secrets).toBe(3);
    const second = await fleetStatus({ kind: 'ids', ids: arns }, deps, { settings: DEFAULT_SETTINGS, pageSize: 3, nextToken: first.nextToken! });
    expect(second.secrets).toBe(2);
    expect(second.nextToken).toBeUndefined();
  });
});

describe('delete: an AWS error of the wrong type surfaces (issue 17)', () => {
  it.each(['ThrottlingException', 'AccessDeniedException', 'DecryptionFailure'])(
    'a read of the version that fails with %s fails with that error, not as "not a version", and revokes nothing',
    async (errorType) => {
      const provider = memory();
      const s = await rotatedSecret(provider);
      const deps = fx.deps(memoryOpener(provider));
      const get = deps.store.get.bind(deps.store);
      deps.store.get = async (secretId, selector) => {
        if (selector?.versionId) throw Object.assign(new Error(`${errorType}: injected`), { name: errorType });
        return get(secretId, selector);
      };
      const error = await performOnDemand(parseOnDemandEvent({ action: 'delete', secretId: s.arn, versionId: s.previousVersion }), deps, ctx()).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(ValidationError);
      expect((error as Error).name).toBe(errorType);
      expect(provider.calls.revoke).toBe(0);
      expect(provider.isLive(s.old)).toBe(true);
    },
  );
});

describe('delete: the fleet index copes with secrets it cannot use (issue 17)', () => {
  it('a fleet holding a secret without a token and an id that does not exist still lets a revoke through', async () => {
    const provider = memory({ capabilities: { tokensMayCollide: true } });
    const s = await rotatedSecret(provider);
    const { arn: empty } = await fx.createSecret('od/no-token', tokenJson(fx.clock, undefined, 0));
    const fleet = ctx([empty, 'od/never-created', s.arn]);
    expect(await perform({ action: 'delete', secretId: s.arn, versionId: s.previousVersion }, provider, fleet)).toEqual({ deleted: true, outcome: 'revoked' });
    expect(provider.isLive(s.old)).toBe(false);
  });
});
