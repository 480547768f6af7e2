import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ResourceNotFoundException,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import type { RotationEvent } from '../../../local/aws/index.js';
import { DAY_MS, rejectionOf, stagesOf, startHarness, templateRotation, token, type Harness } from './test-support.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:000000000000:function:rotation';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness & { arn: string; v1: string }> {
  h = await startHarness(options);
  const created = await h.sm.send(new CreateSecretCommand({ Name: 'tg/token', SecretString: 'old' }));
  return { ...h, arn: created.ARN as string, v1: created.VersionId as string };
}

describe('RotateSecret', () => {
  it('needs a rotation function, given now or configured before', async () => {
    const t = await setup();
    const err = await rejectionOf(t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token' })));
    expect(err).toBeInstanceOf(InvalidRequestException);
    expect(err.message).toContain("doesn't already have a Lambda function ARN configured");
    expect(t.aws.inspectSecret('tg/token')?.versions).toHaveLength(1);
  });

  it('creates AWSPENDING without a value, then runs the four steps in order with the ARN and token', async () => {
    const t = await setup();
    const events: RotationEvent[] = [];
    const seenAtCreate: { stages: Record<string, string[]>; pendingRead?: string } = { stages: {} };
    const template = templateRotation(t.sm, (tok) => `new-${tok.slice(0, 4)}`);
    t.aws.setRotationInvoker(async (event) => {
      events.push(event);
      if (event.Step === 'createSecret') {
        seenAtCreate.stages = stagesOf(t.aws, event.SecretId);
        const err = await rejectionOf(
          t.sm.send(new GetSecretValueCommand({ SecretId: event.SecretId, VersionStage: 'AWSPENDING' })),
        );
        seenAtCreate.pendingRead = err.name;
      }
      await template(event);
    });

    const rotationToken = token('rot1');
    const result = await t.sm.send(
      new RotateSecretCommand({
        SecretId: 'tg/token',
        ClientRequestToken: rotationToken,
        RotationLambdaARN: LAMBDA,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    expect(result).toMatchObject({ ARN: t.arn, Name: 'tg/token', VersionId: rotationToken });

    expect(events.map((e) => e.Step)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    for (const e of events) {
      expect(e.SecretId).toBe(t.arn);
      expect(e.ClientRequestToken).toBe(rotationToken);
      expect(e.RotationToken).toBe(events[0]?.RotationToken);
    }
    expect(events[0]?.RotationToken).toBeTypeOf('string');
    expect(seenAtCreate.stages).toEqual({ [t.v1]: ['AWSCURRENT'], [rotationToken]: ['AWSPENDING'] });
    expect(seenAtCreate.pendingRead).toBe('ResourceNotFoundException');

    expect(stagesOf(t.aws, 'tg/token')).toEqual({
      [t.v1]: ['AWSPREVIOUS'],
      [rotationToken]: ['AWSCURRENT', 'AWSPENDING'],
    });
    const current = await t.sm.send(new GetSecretValueCommand({ SecretId: 'tg/token' }));
    expect(current.SecretString).toBe('new-rot1');

    const d = await t.sm.send(new DescribeSecretCommand({ SecretId: 'tg/token' }));
    expect(d.RotationEnabled).toBe(true);
    expect(d.RotationLambdaARN).toBe(LAMBDA);
    expect(d.RotationRules?.AutomaticallyAfterDays).toBe(30);
    expect(d.LastRotatedDate).toEqual(new Date(t.clock.now()));
    expect(d.NextRotationDate).toEqual(new Date(t.clock.now() + 30 * DAY_MS));
    expect(t.aws.lastRotationError('tg/token')).toBeUndefined();

    // AWSPENDING is on AWSCURRENT now, so the next rotation may start (with the stored function).
    const again = await t.sm.send(new RotateSecretCommand({ SecretId: t.arn }));
    expect(again.VersionId).not.toBe(rotationToken);
    expect(stagesOf(t.aws, 'tg/token')[again.VersionId as string]).toEqual(['AWSCURRENT', 'AWSPENDING']);
    expect(stagesOf(t.aws, 'tg/token')[rotationToken]).toEqual(['AWSPREVIOUS']);
  });

  it('records a failed step, keeps AWSPENDING, refuses a new rotation and lets the same token retry', async () => {
    const t = await setup();
    const template = templateRotation(t.sm, () => 'new');
    let failSetSecret = true;
    const steps: string[] = [];
    t.aws.setRotationInvoker(async (event) => {
      steps.push(event.Step);
      if (event.Step === 'setSecret' && failSetSecret) throw new Error('TigerGraph unreachable');
      await template(event);
    });

    const first = await t.sm.send(
      new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA, ClientRequestToken: token('fail') }),
    );
    expect(first.VersionId).toBe(token('fail'));
    expect(steps).toEqual(['createSecret', 'setSecret']);
    const failure = t.aws.lastRotationError('tg/token');
    expect(failure).toMatchObject({ step: 'setSecret', message: 'TigerGraph unreachable', clientRequestToken: token('fail') });
    expect(failure?.at).toEqual(new Date(t.clock.now()));
    expect(t.aws.inspectSecret('tg/token')?.lastRotationError?.step).toBe('setSecret');

    expect(stagesOf(t.aws, 'tg/token')).toEqual({ [t.v1]: ['AWSCURRENT'], [token('fail')]: ['AWSPENDING'] });
    expect((await t.sm.send(new GetSecretValueCommand({ SecretId: 'tg/token' }))).SecretString).toBe('old');
    const d = await t.sm.send(new DescribeSecretCommand({ SecretId: 'tg/token' }));
    expect(d.LastRotatedDate).toBeUndefined();
    expect(d.RotationEnabled).toBe(true);

    const refused = await rejectionOf(t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token' })));
    expect(refused).toBeInstanceOf(InvalidRequestException);
    expect(refused.message).toBe("A previous rotation isn't complete. That rotation will be reattempted.");
    expect(steps).toHaveLength(2);

    failSetSecret = false;
    t.clock.advance(60_000);
    const retry = await t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', ClientRequestToken: token('fail') }));
    expect(retry.VersionId).toBe(token('fail'));
    expect(steps.slice(2)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(t.aws.lastRotationError('tg/token')).toBeUndefined();
    expect(stagesOf(t.aws, 'tg/token')).toEqual({
      [t.v1]: ['AWSPREVIOUS'],
      [token('fail')]: ['AWSCURRENT', 'AWSPENDING'],
    });
    const after = await t.sm.send(new DescribeSecretCommand({ SecretId: 'tg/token' }));
    expect(after.LastRotatedDate).toEqual(new Date(t.clock.now()));
  });

  it('answers a repeated request for a completed rotation without rotating again, and tells the invoker the function', async () => {
    const t = await setup();
    const template = templateRotation(t.sm, () => 'new');
    const contexts: unknown[] = [];
    t.aws.setRotationInvoker(async (event, context) => {
      contexts.push(context);
      await template(event);
    });
    const request = { SecretId: 'tg/token', RotationLambdaARN: LAMBDA, ClientRequestToken: token('once') };
    await t.sm.send(new RotateSecretCommand(request));
    const repeated = await t.sm.send(new RotateSecretCommand(request));
    expect(repeated.VersionId).toBe(token('once'));
    expect(contexts).toHaveLength(4);
    expect(contexts[0]).toEqual({ rotationLambdaArn: LAMBDA, secretName: 'tg/token' });
    expect(t.aws.inspectSecret('tg/token')?.versions).toHaveLength(2);

    // Reusing the token of a version that is not a rotation's is refused.
    const reused = await rejectionOf(
      t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', ClientRequestToken: t.v1 })),
    );
    expect(reused.name).toBe('ResourceExistsException');
  });

  it('answers an error for a failed step when rotateSecretErrorsPropagate is set', async () => {
    const t = await setup({
      rotateSecretErrorsPropagate: true,
      rotationInvoker: async (event) => {
        if (event.Step === 'testSecret') throw new Error('token rejected');
      },
    });
    const err = await rejectionOf(t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA })));
    expect(err).toBeInstanceOf(InvalidRequestException);
    expect(err.message).toContain('testSecret');
    expect(t.aws.lastRotationError('tg/token')?.step).toBe('testSecret');
  });

  it('without an invoker, only creates the AWSPENDING placeholder', async () => {
    const t = await setup();
    const result = await t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA }));
    const pending = result.VersionId as string;
    expect(stagesOf(t.aws, 'tg/token')).toEqual({ [t.v1]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] });
    expect(t.aws.inspectSecret('tg/token')?.versions.find((v) => v.versionId === pending)?.secretString).toBeUndefined();
    const read = await rejectionOf(
      t.sm.send(new GetSecretValueCommand({ SecretId: 'tg/token', VersionId: pending, VersionStage: 'AWSPENDING' })),
    );
    expect(read).toBeInstanceOf(ResourceNotFoundException);
    const second = await rejectionOf(t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token' })));
    expect(second).toBeInstanceOf(InvalidRequestException);
  });

  it('lets exactly one of two concurrent RotateSecret calls rotate', async () => {
    const t = await setup();
    const template = templateRotation(t.sm, (tok) => `value-${tok.slice(0, 2)}`);
    const tokensSeen = new Set<string>();
    t.aws.setRotationInvoker(async (event) => {
      tokensSeen.add(event.ClientRequestToken);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await template(event);
    });
    const results = await Promise.allSettled([
      t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA, ClientRequestToken: token('c1') })),
      t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA, ClientRequestToken: token('c2') })),
    ]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(InvalidRequestException);
    expect((rejected[0]?.reason as Error).message).toContain("previous rotation isn't complete");

    expect(tokensSeen.size).toBe(1);
    const winner = [...tokensSeen][0] as string;
    expect(stagesOf(t.aws, 'tg/token')).toEqual({ [t.v1]: ['AWSPREVIOUS'], [winner]: ['AWSCURRENT', 'AWSPENDING'] });
    expect(t.aws.lastRotationError('tg/token')).toBeUndefined();
  });

  it('with RotateImmediately=false only tests the configuration and removes the temporary version', async () => {
    const t = await setup();
    const steps: string[] = [];
    t.aws.setRotationInvoker(async (event) => {
      steps.push(event.Step);
    });
    const result = await t.sm.send(
      new RotateSecretCommand({
        SecretId: 'tg/token',
        RotationLambdaARN: LAMBDA,
        RotationRules: { ScheduleExpression: 'rate(10 days)' },
        RotateImmediately: false,
      }),
    );
    expect(result.VersionId).toBeUndefined();
    expect(steps).toEqual(['testSecret']);
    expect(stagesOf(t.aws, 'tg/token')).toEqual({ [t.v1]: ['AWSCURRENT'] });
    const d = await t.sm.send(new DescribeSecretCommand({ SecretId: 'tg/token' }));
    expect(d.RotationEnabled).toBe(true);
    expect(d.LastRotatedDate).toBeUndefined();
    expect(d.NextRotationDate).toEqual(new Date(t.clock.now() + 10 * DAY_MS));
  });

  it('validates ClientRequestToken length and AutomaticallyAfterDays', async () => {
    const t = await setup();
    const short = await rejectionOf(
      t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA, ClientRequestToken: 'short' })),
    );
    expect(short).toBeInstanceOf(InvalidParameterException);
    const days = await rejectionOf(
      t.sm.send(
        new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA, RotationRules: { AutomaticallyAfterDays: 0 } }),
      ),
    );
    expect(days).toBeInstanceOf(InvalidParameterException);
    expect(t.aws.inspectSecret('tg/token')?.rotationEnabled).toBe(false);
  });
});

describe('CancelRotateSecret', () => {
  it('turns rotation off and names the incomplete version, leaving its label in place', async () => {
    const t = await setup();
    const rotated = await t.sm.send(
      new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA, RotationRules: { AutomaticallyAfterDays: 7 } }),
    );
    const cancelled = await t.sm.send(new CancelRotateSecretCommand({ SecretId: 'tg/token' }));
    expect(cancelled).toMatchObject({ ARN: t.arn, Name: 'tg/token', VersionId: rotated.VersionId });
    const d = await t.sm.send(new DescribeSecretCommand({ SecretId: 'tg/token' }));
    expect(d.RotationEnabled).toBe(false);
    expect(d.NextRotationDate).toBeUndefined();
    expect(d.RotationLambdaARN).toBe(LAMBDA);
    expect(stagesOf(t.aws, 'tg/token')[rotated.VersionId as string]).toEqual(['AWSPENDING']);
  });

  it('stops an in-flight rotation before its next step', async () => {
    const t = await setup();
    const steps: string[] = [];
    t.aws.setRotationInvoker(async (event) => {
      steps.push(event.Step);
      if (event.Step === 'createSecret') await t.sm.send(new CancelRotateSecretCommand({ SecretId: event.SecretId }));
    });
    await t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA }));
    expect(steps).toEqual(['createSecret']);
    expect(t.aws.lastRotationError('tg/token')).toMatchObject({ step: 'setSecret', message: 'The rotation was cancelled.' });
  });

  it('is refused for a secret that never had a rotation function', async () => {
    const t = await setup();
    const err = await rejectionOf(t.sm.send(new CancelRotateSecretCommand({ SecretId: 'tg/token' })));
    expect(err).toBeInstanceOf(InvalidRequestException);
  });
});
