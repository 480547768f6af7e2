/**
 * Operating it like a product (issue 23): pause and resume, rotation windows, `plan` and `rollback`
 * through the real handlers, over HTTP against the local endpoint and the fakes, time moved on the
 * shared clock. What the handlers report is checked against the endpoint's stored state, its
 * request log and the fakes' own counters.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { PAUSED_TAG } from '../../core/names.js';
import { handler as onDemand } from '../../functions/on-demand/handler.js';
import { handler as scheduled } from '../../functions/scheduled-refresh/handler.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';

const DAY = 86_400;
const HOUR = 3_600;
let stack: LocalStack;
let n = 0;

beforeAll(async () => {
  process.env.TG_HTTP_TIMEOUT_MS = '1000';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  stack = await startLocalStack();
  await stack.putSettings({ refreshBeforeSeconds: 3 * DAY, revokeGraceSeconds: HOUR, sweepIntervalSeconds: HOUR });
});
afterAll(async () => stack.close());
beforeEach(() => stack.aws.resetRequestLog());

type Ctx = Parameters<typeof scheduled>[1];
const sweep = async (secretIds: string[]) => {
  const out = await scheduled({ secretIds }, lambdaContext('scheduled-refresh', 300_000) as Ctx);
  await stack.aws.rotationsSettled();
  return out;
};
const invoke = (event: Record<string, unknown>) => onDemand(event, lambdaContext('on-demand') as Parameters<typeof onDemand>[1]) as Promise<Record<string, unknown>>;
const current = async (arn: string, stage = 'AWSCURRENT') => {
  const out = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
  return { versionId: out.VersionId!, value: JSON.parse(out.SecretString!) as { token: string; expiresAt: string } };
};
const WRITES = ['PutSecretValue', 'UpdateSecretVersionStage', 'TagResource', 'UntagResource', 'RotateSecret', 'UpdateSecret', 'CreateSecret', 'DeleteSecret'];
const writes = () => stack.aws.requestLog.filter((e) => WRITES.includes(e.operation)).map((e) => e.operation);
const eventsOf = (arn: string, type: string) => stack.aws.events().filter((e) => e.detail.secretArn === arn && e.detailType === type);
const tokenApiCalls = () => stack.tg3.stats().total + stack.tg4.stats().total + stack.trifacta.stats().total + stack.ica.stats().total;
const resetTokenApis = () => [stack.tg3, stack.tg4, stack.trifacta, stack.ica].forEach((f) => f.resetStats());

describe('pause and resume', () => {
  it('a paused connection is skipped by the sweep, shown paused in status with its reason and time left, and counted in the fleet', async () => {
    const arn = await stack.createTokenSecret(`ops/pause-${++n}`, { version: 3, fields: { lifetimeSeconds: 4 * DAY } });
    const paused = await invoke({ action: 'pause', secretId: arn, reason: 'incident #7: TigerGraph upgrade', durationSeconds: 3 * DAY });
    expect(paused).toMatchObject({ paused: true, reason: 'incident 7: TigerGraph upgrade', secondsLeft: 3 * DAY });
    expect(eventsOf(arn, 'Connection Paused')[0]?.detail).toMatchObject({ reason: 'incident 7: TigerGraph upgrade', pausedUntil: paused.until });

    stack.clock.advance(2 * DAY); // past the refresh point (2 days before expiry), far from expiry
    const before = await current(arn);
    expect(await sweep([arn])).toMatchObject({ refreshed: 0, rotated: 0, deferred: 1, failed: [] });
    expect((await current(arn)).versionId).toBe(before.versionId);

    const status = await invoke({ action: 'status', secretId: arn });
    expect(status).toMatchObject({ paused: true, pause: { reason: 'incident 7: TigerGraph upgrade', until: paused.until } });
    expect((status.pause as { secondsLeft: number }).secondsLeft).toBeGreaterThan(DAY - 60);
    const fleet = (await invoke({ action: 'status' })) as { counts: { paused: number } };
    expect(fleet.counts.paused).toBeGreaterThanOrEqual(1);

    expect(await invoke({ action: 'resume', secretId: arn })).toEqual({ resumed: true });
    expect(eventsOf(arn, 'Connection Resumed')).toHaveLength(1);
    expect(await invoke({ action: 'status', secretId: arn })).toMatchObject({ paused: false, pause: null });
    expect(await sweep([arn])).toMatchObject({ refreshed: 1, deferred: 0 });
    expect(await invoke({ action: 'status', secretId: arn })).toMatchObject({ lastRefresh: { outcome: 'refreshed' } });
    expect(await invoke({ action: 'resume', secretId: arn })).toEqual({ resumed: false });
  });

  it('a paused connection whose token is about to expire is still renewed, and the event says why', async () => {
    const refreshed = await stack.createTokenSecret(`ops/pause-expiring3-${++n}`, { version: 3, fields: { lifetimeSeconds: 4 * DAY } });
    const rotated = await stack.createTokenSecret(`ops/pause-expiring4-${++n}`, { version: 4, fields: { lifetimeSeconds: 4 * DAY } });
    for (const arn of [refreshed, rotated]) await invoke({ action: 'pause', secretId: arn, reason: 'freeze', durationSeconds: 10 * DAY });
    const before4 = await current(rotated);
    stack.clock.advance(4 * DAY - 90 * 60); // 1.5 hours left: less than two sweeps (2 hours)
    expect(await sweep([refreshed, rotated])).toMatchObject({ refreshed: 1, rotated: 1, deferred: 0, failed: [] });
    expect(Date.parse((await current(refreshed)).value.expiresAt)).toBeGreaterThan(stack.clock.now() + 3 * DAY);
    const after4 = await current(rotated);
    expect(after4.value.token).not.toBe(before4.value.token);
    expect(stack.tg4.isLive(after4.value.token)).toBe(true);
    expect(eventsOf(refreshed, 'Token Refreshed')[0]?.detail.reason).toMatch(/^paused until .* \(freeze\), but the token expires at .*, before two more sweeps could renew it$/);
    expect(eventsOf(rotated, 'Token Rotated').at(-1)?.detail.reason).toMatch(/paused until .* but the token expires at/);
    // The reason was for that rotation only.
    expect(stack.aws.inspectSecret(rotated)?.tags).not.toHaveProperty('tg-token-rotation:renewal-reason');
    expect(stack.aws.inspectSecret(rotated)?.tags).toHaveProperty(PAUSED_TAG);
  });

  it('rotations Secrets Manager starts on a paused secret finish normally', async () => {
    const arn = await stack.createTokenSecret(`ops/pause-hook-${++n}`, { provider: 'trifacta' });
    await invoke({ action: 'pause', secretId: arn, reason: 'incident' });
    const before = await current(arn);
    expect(await invoke({ action: 'request', secretId: arn })).toMatchObject({ state: 'finished' });
    const after = await current(arn);
    expect(after.value.token).not.toBe(before.value.token);
    expect(stack.trifacta.isLive(after.value.token)).toBe(true);
  });

  it('refuses a pause without a reason, or an unknown action, naming the field, and writes nothing', async () => {
    const arn = await stack.createTokenSecret(`ops/pause-bad-${++n}`, { version: 3 });
    stack.aws.resetRequestLog();
    await expect(invoke({ action: 'pause', secretId: arn })).rejects.toMatchObject({ name: 'ValidationError', field: 'reason' });
    await expect(invoke({ action: 'pause', secretId: arn, reason: 'x', durationSeconds: 31 * DAY })).rejects.toMatchObject({ name: 'ValidationError', field: 'durationSeconds' });
    await expect(invoke({ action: 'freeze', secretId: arn })).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/action: expected one of .*"pause", "resume", "plan", "rollback"/) });
    expect(writes()).toEqual([]);
  });
});

describe('rotation windows', () => {
  /** A daily one-hour window opening `hoursAhead` hours from the stack's clock, on the hour. */
  const windowIn = (hoursAhead: number) => {
    const hour = (new Date(stack.clock.now()).getUTCHours() + hoursAhead) % 24;
    return { scheduleExpression: `cron(0 ${hour} * * ? *)`, duration: '1h' };
  };

  it('outside the window a sweep renews only what would otherwise expire; inside it, the rest', async () => {
    // At the sweep, the window opens in 9-10 hours.
    const rotationSchedule = windowIn(14);
    const waits = await stack.createTokenSecret(`ops/window-waits-${++n}`, { version: 3, fields: { lifetimeSeconds: 4 * DAY, rotationSchedule } });
    stack.clock.advance(2 * DAY); // due: 2 days left, long after the window opens
    const expires = await stack.createTokenSecret(`ops/window-expires-${++n}`, { version: 3, fields: { lifetimeSeconds: 6 * HOUR, rotationSchedule } });
    stack.clock.advance(3.5 * HOUR); // due: 2.5 hours left, before the window opens
    const [waitsBefore, expiresBefore] = [await current(waits), await current(expires)];

    expect(await sweep([waits, expires])).toMatchObject({ refreshed: 1, deferred: 1, failed: [] });
    expect((await current(waits)).versionId).toBe(waitsBefore.versionId);
    expect(Date.parse((await current(expires)).value.expiresAt)).toBeGreaterThan(Date.parse(expiresBefore.value.expiresAt));
    expect(eventsOf(expires, 'Token Refreshed')[0]?.detail.reason).toMatch(/^outside its rotation window \(the next opens at .*\), but the token expires at .*, before/);

    const status = (await invoke({ action: 'status', secretId: waits })) as { rotationWindow: { open: boolean; opensAt: string } };
    expect(status.rotationWindow.open).toBe(false);
    const opensIn = (Date.parse(status.rotationWindow.opensAt) - stack.clock.now()) / 1000;
    expect(opensIn).toBeGreaterThan(8 * HOUR);
    expect(opensIn).toBeLessThanOrEqual(11 * HOUR);

    stack.clock.advance(opensIn + 600); // inside the window
    expect(((await invoke({ action: 'status', secretId: waits })) as { rotationWindow: { open: boolean } }).rotationWindow.open).toBe(true);
    expect(await sweep([waits])).toMatchObject({ refreshed: 1, deferred: 0, failed: [] });
    expect(eventsOf(waits, 'Token Refreshed')[0]?.detail.reason).toBeUndefined();
  });

  it('a malformed cron expression in a token secret is a ValidationError naming the field; nothing is written', async () => {
    const arn = await stack.createTokenSecret(`ops/window-bad-${++n}`, {
      version: 3,
      rotate: false,
      fields: { rotationSchedule: { scheduleExpression: 'cron(30 2 * * ? *)' } },
    });
    stack.aws.resetRequestLog();
    await expect(invoke({ action: 'status', secretId: arn })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'rotationSchedule.scheduleExpression',
      message: expect.stringMatching(/rotationSchedule\.scheduleExpression: minutes: expected 0/),
    });
    expect(await sweep([arn])).toMatchObject({ failed: [{ secretId: arn, error: expect.stringMatching(/rotationSchedule\.scheduleExpression/) }] });
    expect(writes()).toEqual([]);
  });
});

describe('plan', () => {
  it('says what the next sweep will do, per secret and why, with its calls and time; it writes nothing and calls no token API; the sweep then does exactly that', async () => {
    const refresh = await stack.createTokenSecret(`ops/plan-refresh-${++n}`, { version: 3, fields: { lifetimeSeconds: 2 * DAY, tigergraphVersion: '3' } });
    const rotate = await stack.createTokenSecret(`ops/plan-rotate-${++n}`, { version: 4, fields: { lifetimeSeconds: 2 * DAY } });
    const revoke = await stack.createTokenSecret(`ops/plan-revoke-${++n}`, { provider: 'trifacta' });
    const paused = await stack.createTokenSecret(`ops/plan-paused-${++n}`, { version: 3, fields: { lifetimeSeconds: 2 * DAY } });
    const quiet = await stack.createTokenSecret(`ops/plan-quiet-${++n}`, { provider: 'trifacta' });
    const fleet = [refresh, rotate, revoke, paused, quiet];
    stack.clock.advance(2 * HOUR);
    await sweep(fleet); // settles the first versions, which replaced no token
    await invoke({ action: 'request', secretId: revoke });
    await invoke({ action: 'pause', secretId: paused, reason: 'maintenance', durationSeconds: 2 * DAY });
    stack.clock.advance(1.2 * DAY);
    stack.aws.resetRequestLog();
    resetTokenApis();

    const one = await invoke({ action: 'plan', secretId: refresh });
    expect(one).toMatchObject({ checked: 1, secrets: [{ secretId: refresh, renew: 'refresh', replaced: [] }] });
    const plan = (await invoke({ action: 'plan' })) as {
      checked: number;
      counts: { refresh: number; rotate: number; refreshOrRotate: number; revoke: number; paused: number };
      secrets: Array<{ secretId: string; renew: string; replaced: Array<{ action: string }>; heldBack?: string; reason: string }>;
      calls: Record<string, number>;
      expectedSeconds: number;
    };
    const of = (arn: string) => plan.secrets.find((s) => s.secretId === arn);
    expect(of(refresh)).toMatchObject({ renew: 'refresh', reason: 'the token is past its refresh point' });
    expect(of(rotate)).toMatchObject({ renew: 'rotate' });
    expect(of(revoke)).toMatchObject({ renew: 'none', replaced: [{ action: 'revoke' }], reason: 'the grace period after its last rotation is over' });
    expect(of(paused)).toMatchObject({ renew: 'none', heldBack: 'paused', reason: expect.stringMatching(/^renewal held back: paused until .* \(maintenance\)$/) });
    expect(of(quiet)).toBeUndefined();
    // The fleet holds other tests' secrets too: the counts are those of the secrets listed.
    const count = (renew: string) => plan.secrets.filter((x) => x.renew === renew).length;
    expect(plan.counts).toMatchObject({ refresh: count('refresh'), rotate: count('rotate'), paused: plan.secrets.filter((x) => x.heldBack === 'paused').length });
    expect(plan.counts.revoke).toBe(plan.secrets.flatMap((x) => x.replaced).filter((r) => r.action === 'revoke').length);
    expect(plan.calls).toMatchObject({ rotations: plan.counts.rotate + plan.counts.refreshOrRotate, batchGet: Math.ceil(plan.checked / 20), tags: plan.counts.refresh + plan.secrets.filter((x) => x.replaced.length > 0).length });
    expect(plan.expectedSeconds).toBeGreaterThan(0);
    // Read only: values, descriptions and the replaced version; no write, no token API call.
    expect(writes()).toEqual([]);
    expect(stack.aws.requestLog.filter((e) => e.service === 'secretsmanager' && !['BatchGetSecretValue', 'ListSecrets', 'DescribeSecret', 'GetSecretValue'].includes(e.operation))).toEqual([]);
    expect(stack.aws.requestLog.some((e) => e.operation === 'GetSecretValue')).toBe(true); // the replaced version, read
    expect(tokenApiCalls()).toBe(0);

    // The sweep does what was planned.
    expect(await sweep(fleet)).toMatchObject({ refreshed: 1, rotated: 1, revoked: 1, deferred: 1, failed: [] });
  });
});

describe('rollback', () => {
  it('makes AWSPREVIOUS current again when its token is proven valid; the replaced token stays tracked and is revoked after the grace period', async () => {
    const arn = await stack.createTokenSecret(`ops/rollback-${++n}`, { provider: 'trifacta' });
    const first = await current(arn);
    await invoke({ action: 'request', secretId: arn });
    const second = await current(arn);
    const result = await invoke({ action: 'rollback', secretId: arn, reason: 'the new token lacks a role' });
    expect(result).toMatchObject({ rolledBack: true, restoredVersionId: first.versionId, replacedVersionId: second.versionId });
    const now = await current(arn);
    expect(now.value.token).toBe(first.value.token);
    expect(now.versionId).toBe(result.versionId);
    expect((await current(arn, 'AWSPREVIOUS')).value.token).toBe(second.value.token);
    expect(eventsOf(arn, 'Token Rolled Back')[0]?.detail).toMatchObject({
      versionId: result.versionId,
      restoredVersionId: first.versionId,
      previousVersionId: second.versionId,
      reason: 'the new token lacks a role',
    });
    stack.clock.advance(2 * HOUR);
    expect(await sweep([arn])).toMatchObject({ revoked: 1, failed: [] });
    expect(stack.trifacta.isLive(second.value.token)).toBe(false);
    expect(stack.trifacta.isLive(first.value.token)).toBe(true);
  });

  it('refuses, naming secretId and writing nothing: nothing to go back to, a revoked token, one within the refresh window, no reason', async () => {
    const fresh = await stack.createTokenSecret(`ops/rollback-none-${++n}`, { provider: 'trifacta' });
    const revoked = await stack.createTokenSecret(`ops/rollback-revoked-${++n}`, { provider: 'trifacta' });
    await invoke({ action: 'request', secretId: revoked });
    const previous = await current(revoked, 'AWSPREVIOUS');
    await invoke({ action: 'delete', secretId: revoked, versionId: previous.versionId });
    const expiring = await stack.createTokenSecret(`ops/rollback-expiring-${++n}`, { version: 4, fields: { lifetimeSeconds: 2 * DAY } });
    await invoke({ action: 'request', secretId: expiring });
    stack.clock.advance(1.2 * DAY); // AWSPREVIOUS's token has 0.8 days left: within its refresh window (1 day)
    stack.aws.resetRequestLog();

    await expect(invoke({ action: 'rollback', secretId: fresh, reason: 'x' })).rejects.toMatchObject({ name: 'ValidationError', field: 'secretId', message: expect.stringMatching(/holds no token/) });
    await expect(invoke({ action: 'rollback', secretId: revoked, reason: 'x' })).rejects.toMatchObject({ name: 'ValidationError', field: 'secretId', message: expect.stringMatching(/refused AWSPREVIOUS's token on an authenticated call/) });
    await expect(invoke({ action: 'rollback', secretId: expiring, reason: 'x' })).rejects.toMatchObject({ name: 'ValidationError', field: 'secretId', message: expect.stringMatching(/within the refresh window/) });
    await expect(invoke({ action: 'rollback', secretId: fresh })).rejects.toMatchObject({ name: 'ValidationError', field: 'reason' });
    expect(writes()).toEqual([]);
  });
});
