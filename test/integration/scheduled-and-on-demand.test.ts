/**
 * Scheduled refresh and on-demand handlers end to end: real SDK over HTTP against the local
 * endpoint (settings from its SSM), the TigerGraph client against the fakes, time moved on the
 * shared clock instead of sleeping.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { clearSettingsCache } from '../../functions/lib/settings.js';
import { resetCaches } from '../../core/reset.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { handler as scheduled } from '../../functions/scheduled-refresh/handler.js';
import { handler as onDemand } from '../../functions/on-demand/handler.js';
import { lambdaContext } from '../../local/lambda-context.js';

const DAY = 86_400;
let stack: LocalStack;
let counter = 0;

beforeAll(async () => {
  process.env.TG_HTTP_TIMEOUT_MS = '1000';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  stack = await startLocalStack();
  await stack.putSettings({ refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: 3600, concurrency: 4 });
});
afterAll(async () => stack.close());
beforeEach(() => {
  stack.tg3.setFaults({});
  stack.tg4.setFaults({});
});

async function current(arn: string) {
  const out = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  return { versionId: out.VersionId!, value: JSON.parse(out.SecretString!) as Record<string, unknown> & { token: string; expiresAt: string } };
}
// The settings middleware adds `settings` to the context; the handler's type asks for it up front.
const context = (name: string, timeoutMs?: number) => lambdaContext(name, timeoutMs) as Parameters<typeof scheduled>[1];
/** A sweep, then (rotations it starts run on their own, as on AWS) the rotations settled. */
const sweep = async (secretIds?: string[]) => {
  const result = await scheduled(secretIds ? { secretIds } : { 'detail-type': 'Scheduled Event', source: 'aws.events' }, context('scheduled-refresh', 300_000));
  await stack.aws.rotationsSettled();
  return result;
};
const invoke = (event: Record<string, unknown>) => onDemand(event, lambdaContext('on-demand') as Parameters<typeof onDemand>[1]);

describe('scheduled refresh', () => {
  it('leaves far tokens alone, refreshes a due 3.x token in place and rotates a due 4.x token', async () => {
    const far = await stack.createTokenSecret(`it/sched/far-${++counter}`, { version: 3, fields: { lifetimeSeconds: 30 * DAY } });
    const due3 = await stack.createTokenSecret(`it/sched/due3-${++counter}`, { version: 3, fields: { lifetimeSeconds: 2 * DAY } });
    const due4 = await stack.createTokenSecret(`it/sched/due4-${++counter}`, { version: 4, fields: { lifetimeSeconds: 2 * DAY } });
    const [farBefore, due3Before, due4Before] = await Promise.all([current(far), current(due3), current(due4)]);
    // 1.5 days: the 2-day tokens are past half their life (the refresh point follows a token's own
    // lifetime), the 30-day one is far from refreshBeforeSeconds.
    stack.clock.advance(1.5 * DAY);

    const result = await sweep([far, due3, due4]);
    expect(result).toEqual({ checked: 3, refreshed: 1, rotated: 1, rotationsStarted: 1, rotationsPending: 0, revoked: 0, expiring: 0, skipped: 0, deferred: 0, revokeFailures: 0, failed: [] });

    const [farAfter, due3After, due4After] = await Promise.all([current(far), current(due3), current(due4)]);
    expect(farAfter.versionId).toBe(farBefore.versionId);
    // 3.x: same token, later expiry, recorded as a new AWSCURRENT version.
    expect(due3After.value.token).toBe(due3Before.value.token);
    expect(due3After.versionId).not.toBe(due3Before.versionId);
    expect(Date.parse(due3After.value.expiresAt)).toBeGreaterThan(Date.parse(due3Before.value.expiresAt));
    expect(stack.tg3.isLive(due3After.value.token)).toBe(true);
    // 4.x: a new token through the rotation hook; the old one is still valid for the grace period.
    expect(due4After.value.token).not.toBe(due4Before.value.token);
    expect(stack.tg4.isLive(due4After.value.token)).toBe(true);
    expect(stack.tg4.isLive(due4Before.value.token)).toBe(true);
  });

  it('rotates an expired token instead of refreshing it', async () => {
    const arn = await stack.createTokenSecret(`it/sched/expired-${++counter}`, { version: 3, fields: { lifetimeSeconds: 600 } });
    const before = await current(arn);
    stack.clock.advance(3600);
    expect(stack.tg3.isLive(before.value.token)).toBe(false);
    const result = await sweep([arn]);
    expect(result).toMatchObject({ refreshed: 0, rotated: 1, failed: [] });
    const after = await current(arn);
    expect(after.value.token).not.toBe(before.value.token);
    expect(stack.tg3.isLive(after.value.token)).toBe(true);
  });

  it('leaves a replaced 30-day 4.x token to expire at the default settings (block lists are for long-lived tokens), tracked as AWSPREVIOUS', async () => {
    const arn = await stack.createTokenSecret(`it/sched/expiring-${++counter}`, { version: 4, fields: { lifetimeSeconds: 30 * DAY } });
    const first = await current(arn);
    await invoke({ action: 'request', secretId: arn });
    stack.clock.advance(3601);
    const deletesBefore = stack.tg4.stats().delete;
    expect(await sweep([arn])).toMatchObject({ revoked: 0, expiring: 1, failed: [] });
    expect(stack.tg4.stats().delete).toBe(deletesBefore);
    expect(stack.tg4.isLive(first.value.token)).toBe(true);
    const previous = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' }));
    expect(JSON.parse(previous.SecretString!).token).toBe(first.value.token);
  });

  it('revokes the previous long-lived token only after the grace period, and only once', async () => {
    // 90 days: more than routineRevokeMinRemainingSeconds (60 days) left once replaced.
    const arn = await stack.createTokenSecret(`it/sched/revoke-${++counter}`, { version: 4, fields: { lifetimeSeconds: 90 * DAY } });
    const first = await current(arn);
    await invoke({ action: 'request', secretId: arn });
    const second = await current(arn);
    expect(second.value.token).not.toBe(first.value.token);

    expect(await sweep([arn])).toMatchObject({ revoked: 0 });
    expect(stack.tg4.isLive(first.value.token)).toBe(true);

    stack.clock.advance(3601);
    const deletesBefore = stack.tg4.stats().delete;
    expect(await sweep([arn])).toMatchObject({ revoked: 1, failed: [] });
    expect(stack.tg4.isLive(first.value.token)).toBe(false);
    expect(stack.tg4.isLive(second.value.token)).toBe(true);

    expect(await sweep([arn])).toMatchObject({ revoked: 0 });
    expect(stack.tg4.stats().delete).toBe(deletesBefore + 1);
  });

  it('a mix of healthy and failing secrets gives the right summary, found by tag', async () => {
    const unique = ++counter;
    const healthy = await stack.createTokenSecret(`it/sched/mix-ok-${unique}`, { version: 3, fields: { lifetimeSeconds: 2 * DAY } });
    const broken = await stack.createTokenSecret(`it/sched/mix-bad-${unique}`, { version: 3, rotate: false, credentials: { secret: 'wrong-secret-value' } });
    const result = await sweep();
    expect(result.failed.map((f) => f.secretId)).toContain(broken);
    expect(result.failed.map((f) => f.secretId)).not.toContain(healthy);
    const brokenFailure = result.failed.find((f) => f.secretId === broken)!;
    expect(brokenFailure.error).not.toContain('wrong-secret-value');
    expect(result.checked).toBeGreaterThanOrEqual(2);
    expect(result.checked).toBe(result.failed.length + (result.checked - result.failed.length));
    expect(stack.tg3.isLive((await current(healthy)).value.token)).toBe(true);
  });

  it('rejects a malformed secretIds list with a ValidationError', async () => {
    await expect(scheduled({ secretIds: 'not-a-list' }, context('scheduled-refresh'))).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('secretIds'),
    });
  });
});

describe('on-demand', () => {
  it('reads the settings parameter only for the actions that use them (fleet status, delete of every replaced token), on a cold container', async () => {
    const arn = await stack.createTokenSecret(`it/od/settings-${++counter}`, { version: 3 });
    const { versionId } = await current(arn);
    const ssmReads = async (event: Record<string, unknown>) => {
      clearSettingsCache(); // a cold container: no settings cached
      stack.aws.resetRequestLog();
      await invoke(event);
      return stack.aws.countCalls(undefined, 'ssm');
    };
    expect(await ssmReads({ action: 'status', secretId: arn })).toBe(0);
    expect(await ssmReads({ action: 'delete', secretId: arn, versionId: 'not-a-version-of-it' }).catch(() => 'refused')).toBe('refused');
    expect(stack.aws.countCalls(undefined, 'ssm')).toBe(0);
    expect(await ssmReads({ action: 'status' })).toBeGreaterThan(0);
    expect(await ssmReads({ action: 'delete', secretId: arn })).toBeGreaterThan(0);
    expect((await current(arn)).versionId).toBe(versionId);
  });

  it('request reports a failed rotation as an error with the reason (RotateSecret only starts it), and the next success clears it', async () => {
    const arn = await stack.createTokenSecret(`it/od/fail-${++counter}`, { version: 3 });
    const before = await current(arn);
    const credentialId = String(before.value.credentialSecretId);
    await stack.secretsManager.send(new PutSecretValueCommand({ SecretId: credentialId, SecretString: JSON.stringify({ secret: 'not-the-tigergraph-secret-at-all' }) }));
    await resetCaches();
    const error = await invoke({ action: 'request', secretId: arn }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('RotationFailedError');
    expect((error as Error).message).toMatch(/failed: createSecret .*refused the credential/);
    expect((error as Error).message).not.toContain('not-the-tigergraph-secret-at-all');
    expect((await current(arn)).value.token).toBe(before.value.token); // AWSCURRENT untouched
    expect(stack.tg3.isLive(before.value.token)).toBe(true);

    // The operator fixes the credential; the next request (for the same pending version) succeeds and clears the record.
    await stack.secretsManager.send(new PutSecretValueCommand({ SecretId: credentialId, SecretString: JSON.stringify({ secret: stack.tigergraphSecret }) }));
    const { RotateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    const pending = Object.entries((await stack.secretsManager.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages!).find(([, s]) => s?.includes('AWSPENDING'))![0];
    await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: pending }));
    await stack.aws.rotationsSettled(arn);
    const tags = (await stack.secretsManager.send(new DescribeSecretCommand({ SecretId: arn }))).Tags ?? [];
    expect(tags.map((t) => t.Key)).not.toContain('tg-token-rotation:last-rotation-error');
    expect((await current(arn)).versionId).toBe(pending);
  });

  it('status, request, refresh and delete behave as the contract says and never return a token', async () => {
    const arn = await stack.createTokenSecret(`it/od/${++counter}`, { version: 3 });
    const first = await current(arn);

    const status = (await invoke({ action: 'status', secretId: arn })) as Record<string, unknown>;
    expect(status).toMatchObject({ secretId: arn, versionId: first.versionId, expiresAt: first.value.expiresAt, tigergraphVersion: '3' });
    expect(status.secondsLeft).toBeGreaterThan(0);

    const requested = (await invoke({ action: 'request', secretId: arn })) as { versionId: string; expiresAt: string };
    const second = await current(arn);
    expect(requested.versionId).toBe(second.versionId);
    expect(requested.expiresAt).toBe(second.value.expiresAt);

    stack.clock.advance(60);
    const refreshed = (await invoke({ action: 'refresh', secretId: arn, lifetimeSeconds: 7200 })) as { expiresAt: string; method: string };
    expect(refreshed.method).toBe('refresh');
    expect(Date.parse(refreshed.expiresAt) - stack.clock.now()).toBeGreaterThan(7100_000);

    // The current token (named by its digest) only with force; a raw token never.
    await expect(invoke({ action: 'delete', secretId: arn, tokenSha256: createHash('sha256').update(second.value.token).digest('hex') })).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/^force:/),
    });
    await expect(invoke({ action: 'delete', secretId: arn, token: second.value.token })).rejects.toMatchObject({ name: 'ValidationError', field: 'token' });
    expect(stack.tg3.isLive(second.value.token)).toBe(true);

    expect(await invoke({ action: 'delete', secretId: arn })).toEqual({ deleted: true, outcome: 'revoked' });
    expect(stack.tg3.isLive(first.value.token)).toBe(false);
    expect(stack.tg3.isLive(second.value.token)).toBe(true);

    for (const result of [status, requested, refreshed]) {
      expect(JSON.stringify(result)).not.toContain(first.value.token);
      expect(JSON.stringify(result)).not.toContain(second.value.token);
    }
  });

  it('refresh on 4.x rotates', async () => {
    const arn = await stack.createTokenSecret(`it/od/${++counter}`, { version: 4 });
    const before = await current(arn);
    const result = (await invoke({ action: 'refresh', secretId: arn })) as { method: string; expiresAt: string };
    expect(result.method).toBe('rotate');
    expect((await current(arn)).value.token).not.toBe(before.value.token);
  });

  it.each([
    [{ action: 'request' }, 'secretId'],
    [{ action: 'explode', secretId: 'x' }, 'action'],
  ])('rejects %j with a ValidationError naming %s', async (event, field) => {
    await expect(invoke(event)).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining(field) });
  });

  it('a secret that does not exist fails with the service error, not a crash', async () => {
    await expect(invoke({ action: 'status', secretId: 'does/not/exist' })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
