import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_QUOTAS, QUOTA_GROUP_OF, type QuotaOptions } from '../../../local/aws/index.js';
import { QuotaLimiter } from '../../../local/aws/quotas.js';
import { rejectionOf, startHarness, type Harness } from './test-support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A time source the test moves by hand, so refills are exact and nothing sleeps. */
function fakeTime(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

async function settle(calls: Promise<unknown>[]): Promise<{ ok: number; throttled: number }> {
  const results = await Promise.allSettled(calls);
  const throttled = results.filter((r) => r.status === 'rejected' && (r.reason as Error).name === 'ThrottlingException');
  const other = results.filter((r) => r.status === 'rejected' && (r.reason as Error).name !== 'ThrottlingException');
  expect(other).toEqual([]);
  return { ok: results.filter((r) => r.status === 'fulfilled').length, throttled: throttled.length };
}

describe('QuotaLimiter', () => {
  it("groups operations as Secrets Manager's quotas page does, with AWS's default rates", () => {
    expect(QUOTA_GROUP_OF.PutSecretValue).toBe('writes');
    expect(QUOTA_GROUP_OF.UpdateSecret).toBe('writes');
    expect(QUOTA_GROUP_OF.UpdateSecretVersionStage).toBe('writes');
    expect(QUOTA_GROUP_OF.RotateSecret).toBe(QUOTA_GROUP_OF.CancelRotateSecret);
    expect(QUOTA_GROUP_OF.GetSecretValue).toBe(QUOTA_GROUP_OF.DescribeSecret);
    expect(QUOTA_GROUP_OF.TagResource).toBe(QUOTA_GROUP_OF.UntagResource);
    expect(QUOTA_GROUP_OF.RestoreSecret).toBe('restore');
    expect(DEFAULT_QUOTAS).toMatchObject({
      writes: 50,
      rotate: 50,
      listSecrets: 100,
      batchGetSecretValue: 100,
      getSecretValue: 10_000,
    });
  });

  it('is a token bucket: a burst of one window, then refills at the rate', () => {
    const time = fakeTime();
    const limiter = new QuotaLimiter({ perSecond: { writes: 4 }, now: time.now });
    const take = (n: number, op = 'PutSecretValue') => Array.from({ length: n }, () => limiter.take(op)).filter(Boolean).length;
    expect(take(6)).toBe(4);
    time.advance(250); // a quarter of a second: one token back
    expect(take(3)).toBe(1);
    time.advance(10_000); // never more than one window's worth
    expect(take(10)).toBe(4);
    // Other groups and unknown operations are untouched.
    expect(take(5, 'GetSecretValue')).toBe(5);
    expect(take(5, 'GetParameter')).toBe(5);
  });

  it('honours a shorter window, Infinity as unlimited, and refuses nonsense', () => {
    const time = fakeTime();
    const limiter = new QuotaLimiter({ perSecond: { rotate: 2, writes: Infinity }, windowMs: 100, now: time.now });
    expect([limiter.take('RotateSecret'), limiter.take('CancelRotateSecret'), limiter.take('RotateSecret')]).toEqual([true, true, false]);
    time.advance(50);
    expect(limiter.take('RotateSecret')).toBe(true);
    expect(Array.from({ length: 1000 }, () => limiter.take('PutSecretValue')).every(Boolean)).toBe(true);
    expect(() => new QuotaLimiter({ perSecond: { writes: 0 } })).toThrow(RangeError);
    expect(() => new QuotaLimiter({ windowMs: 0 })).toThrow(RangeError);
  });
});

describe('quotas on the endpoint', () => {
  it('is off by default', async () => {
    h = await startHarness();
    await h.sm.send(new CreateSecretCommand({ Name: 'free', SecretString: 'x' }));
    const { throttled } = await settle(
      Array.from({ length: 60 }, (_, i) => h!.sm.send(new PutSecretValueCommand({ SecretId: 'free', SecretString: `v${i}` }))),
    );
    expect(throttled).toBe(0);
  });

  it("answers ThrottlingException (HTTP 400) beyond a group's quota, shared by the group's operations, and logs it", async () => {
    const time = fakeTime();
    h = await startHarness({ quotas: { perSecond: { writes: 3, rotate: 1 }, now: time.now } });
    const created = await h.sm.send(new CreateSecretCommand({ Name: 'q', SecretString: 'x' }));
    h.aws.resetRequestLog();

    await h.sm.send(new PutSecretValueCommand({ SecretId: 'q', SecretString: 'a', VersionStages: ['blue'] }));
    await h.sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'q', VersionStage: 'green', MoveToVersionId: created.VersionId }));
    const { ok, throttled } = await settle(
      Array.from({ length: 3 }, (_, i) => h!.sm.send(new PutSecretValueCommand({ SecretId: 'q', SecretString: `b${i}`, VersionStages: ['blue'] }))),
    );
    expect({ ok, throttled }).toEqual({ ok: 1, throttled: 2 });

    const err = await rejectionOf(h.sm.send(new PutSecretValueCommand({ SecretId: 'q', SecretString: 'c' })));
    expect(err.name).toBe('ThrottlingException');
    expect(err.message).toBe('Rate exceeded');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    // Other groups are not affected: reads, tags, ListSecrets.
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: 'q' }))).SecretString).toBe('x');
    await h.sm.send(new DescribeSecretCommand({ SecretId: 'q' }));
    await h.sm.send(new TagResourceCommand({ SecretId: 'q', Tags: [{ Key: 'k', Value: 'v' }] }));
    await h.sm.send(new ListSecretsCommand({}));

    // A throttled request is refused whatever it asks: even an invalid one counts and is throttled.
    await h.sm.send(new RotateSecretCommand({ SecretId: 'q', RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:r' }));
    expect((await rejectionOf(h.sm.send(new RotateSecretCommand({ SecretId: 'missing' })))).name).toBe('ThrottlingException');

    time.advance(1000);
    await h.sm.send(new PutSecretValueCommand({ SecretId: 'q', SecretString: 'later' }));

    const throttledEntries = h.aws.requestLog.filter((e) => e.throttled);
    expect(throttledEntries.map((e) => e.operation)).toEqual(['PutSecretValue', 'PutSecretValue', 'PutSecretValue', 'RotateSecret']);
    expect(throttledEntries[0]).toEqual({
      service: 'secretsmanager',
      operation: 'PutSecretValue',
      secretId: 'q',
      status: 400,
      errorType: 'ThrottlingException',
      throttled: true,
    });
    const counters = h.aws.operationCounters();
    expect(counters.PutSecretValue).toMatchObject({ calls: 6, succeeded: 3, failed: 3, throttled: 3 });
    expect(counters.RotateSecret).toMatchObject({ calls: 2, succeeded: 1, failed: 1, throttled: 1 });
    expect(counters.GetSecretValue).toMatchObject({ calls: 1, succeeded: 1, failed: 0, throttled: 0 });
    expect(counters.PutSecretValue!.lastAtMs).toBeGreaterThanOrEqual(counters.PutSecretValue!.firstAtMs);
    h.aws.resetRequestLog();
    expect(h.aws.operationCounters()).toEqual({});
  });

  it('applies AWS defaults with `true`, can be switched at run time, and never limits SSM', async () => {
    const time = fakeTime();
    h = await startHarness();
    await h.sm.send(new CreateSecretCommand({ Name: 'd', SecretString: 'x' }));
    h.aws.setQuotas({ now: time.now }); // AWS's defaults, on a time source this test controls
    const writes = await settle(
      Array.from({ length: 55 }, (_, i) => h!.sm.send(new PutSecretValueCommand({ SecretId: 'd', SecretString: `v${i}`, VersionStages: ['x'] }))),
    );
    expect(writes).toEqual({ ok: 50, throttled: 5 });
    const lists = await settle(Array.from({ length: 105 }, () => h!.sm.send(new ListSecretsCommand({ MaxResults: 1 }))));
    expect(lists).toEqual({ ok: 100, throttled: 5 });

    await h.ssm.send(new PutParameterCommand({ Name: '/p', Value: 'v', Type: 'String' }));
    const params = await settle(Array.from({ length: 30 }, () => h!.ssm.send(new GetParameterCommand({ Name: '/p' }))));
    expect(params.throttled).toBe(0);

    h.aws.setQuotas(false);
    const free = await settle(
      Array.from({ length: 10 }, (_, i) => h!.sm.send(new PutSecretValueCommand({ SecretId: 'd', SecretString: `w${i}`, VersionStages: ['x'] }))),
    );
    expect(free.throttled).toBe(0);
    h.aws.setQuotas(true);
    expect((await settle([h.sm.send(new PutSecretValueCommand({ SecretId: 'd', SecretString: 'z', VersionStages: ['x'] }))])).ok).toBe(1);
  });

  it('refills over real time (here a 500 ms window: a token every 250 ms)', async () => {
    // Wide enough that the burst below cannot straddle a refill on a slow machine.
    const quotas: QuotaOptions = { perSecond: { writes: 2 }, windowMs: 500 };
    h = await startHarness({ quotas });
    await h.sm.send(new CreateSecretCommand({ Name: 'rt', SecretString: 'x' }));
    const burst = await settle(
      Array.from({ length: 4 }, (_, i) => h!.sm.send(new PutSecretValueCommand({ SecretId: 'rt', SecretString: `v${i}`, VersionStages: ['x'] }))),
    );
    expect(burst).toEqual({ ok: 2, throttled: 2 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await h.sm.send(new PutSecretValueCommand({ SecretId: 'rt', SecretString: 'after', VersionStages: ['x'] }));

    expect(h.aws.operationCounters().PutSecretValue?.throttled).toEqual(2);
  });
});
