/** RotateSecret in `async` mode (as AWS: answer first, steps afterwards) and switching modes. */
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import type { RotationEvent } from '../../../local/aws/index.js';
import { rejectionOf, stagesOf, startHarness, templateRotation, token, type Harness } from './test-support.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:000000000000:function:rotation';

let h: Harness | undefined;
afterEach(async () => {
  await h?.aws.rotationsSettled();
  await h?.close();
  h = undefined;
});

async function setup(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness & { arn: string; v1: string }> {
  h = await startHarness({ rotation: 'async', ...options });
  const created = await h.sm.send(new CreateSecretCommand({ Name: 'tg/token', SecretString: 'old' }));
  return { ...h, arn: created.ARN as string, v1: created.VersionId as string };
}

/** Polls `condition` on each turn of the event loop (a rotation step starting is not an event a test can await). */
async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A promise the test opens when it chooses, to hold a rotation step where it is. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe('RotateSecret, async mode', () => {
  it('answers once AWSPENDING exists; the four steps run afterwards, in order', async () => {
    const t = await setup();
    const held = gate();
    const steps: string[] = [];
    const template = templateRotation(t.sm, (tok) => `new-${tok.slice(0, 4)}`);
    t.aws.setRotationInvoker(async (event) => {
      steps.push(event.Step);
      if (event.Step === 'createSecret') await held.wait;
      await template(event);
    });

    const rotationToken = token('bg1');
    const answer = await t.sm.send(
      new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA, ClientRequestToken: rotationToken }),
    );
    expect(answer).toMatchObject({ ARN: t.arn, Name: 'tg/token', VersionId: rotationToken });
    // Answered while the rotation is still at its first step.
    expect(steps.length).toBeLessThanOrEqual(1);
    expect(stagesOf(t.aws, 'tg/token')).toEqual({ [t.v1]: ['AWSCURRENT'], [rotationToken]: ['AWSPENDING'] });
    expect(t.aws.inspectSecret('tg/token')?.rotationInProgress).toBe(true);
    expect((await t.sm.send(new DescribeSecretCommand({ SecretId: 'tg/token' }))).LastRotatedDate).toBeUndefined();

    held.open();
    await t.aws.rotationsSettled('tg/token');
    expect(steps).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(t.aws.inspectSecret('tg/token')?.rotationInProgress).toBe(false);
    expect(stagesOf(t.aws, 'tg/token')).toEqual({ [t.v1]: ['AWSPREVIOUS'], [rotationToken]: ['AWSCURRENT', 'AWSPENDING'] });
    expect((await t.sm.send(new GetSecretValueCommand({ SecretId: 'tg/token' }))).SecretString).toBe('new-bg1-');
    expect((await t.sm.send(new DescribeSecretCommand({ SecretId: 'tg/token' }))).LastRotatedDate).toEqual(new Date(t.clock.now()));
    expect(t.aws.lastRotationError('tg/token')).toBeUndefined();

    // The RotateSecret is logged before the calls its rotation made (the reverse of sync mode).
    const ops = t.aws.requestLog.map((e) => e.operation);
    expect(ops.indexOf('RotateSecret')).toBeLessThan(ops.indexOf('UpdateSecretVersionStage'));
  });

  it('refuses a concurrent RotateSecret while the background rotation runs, then accepts the next one', async () => {
    const t = await setup();
    const held = gate();
    const template = templateRotation(t.sm, () => 'new');
    const tokens = new Set<string>();
    t.aws.setRotationInvoker(async (event) => {
      tokens.add(event.ClientRequestToken);
      if (event.Step === 'setSecret') await held.wait;
      await template(event);
    });
    const first = await t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA }));

    for (const ClientRequestToken of [undefined, token('other'), first.VersionId]) {
      const refused = await rejectionOf(t.sm.send(new RotateSecretCommand({ SecretId: t.arn, ClientRequestToken })));
      expect(refused).toBeInstanceOf(InvalidRequestException);
      expect(refused.message).toBe("A previous rotation isn't complete. That rotation will be reattempted.");
    }
    held.open();
    await t.aws.rotationsSettled();
    expect(tokens).toEqual(new Set([first.VersionId]));

    const next = await t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token' }));
    await t.aws.rotationsSettled('tg/token');
    expect(stagesOf(t.aws, 'tg/token')[next.VersionId as string]).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it('records a failed step after answering success, even with rotateSecretErrorsPropagate; the same token retries', async () => {
    const t = await setup({ rotateSecretErrorsPropagate: true });
    let fail = true;
    const template = templateRotation(t.sm, () => 'new');
    t.aws.setRotationInvoker(async (event) => {
      if (event.Step === 'testSecret' && fail) throw new Error('token rejected');
      await template(event);
    });
    const answer = await t.sm.send(
      new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA, ClientRequestToken: token('f1') }),
    );
    expect(answer.VersionId).toBe(token('f1'));
    await t.aws.rotationsSettled('tg/token');
    expect(t.aws.lastRotationError('tg/token')).toMatchObject({ step: 'testSecret', message: 'token rejected', clientRequestToken: token('f1') });
    expect(stagesOf(t.aws, 'tg/token')).toEqual({ [t.v1]: ['AWSCURRENT'], [token('f1')]: ['AWSPENDING'] });
    expect((await rejectionOf(t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token' })))).name).toBe('InvalidRequestException');

    fail = false;
    await t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', ClientRequestToken: token('f1') }));
    await t.aws.rotationsSettled('tg/token');
    expect(t.aws.lastRotationError('tg/token')).toBeUndefined();
    expect(stagesOf(t.aws, 'tg/token')[token('f1')]).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it('CancelRotateSecret stops the background rotation before its next step', async () => {
    const t = await setup();
    const held = gate();
    const steps: string[] = [];
    t.aws.setRotationInvoker(async (event) => {
      steps.push(event.Step);
      await held.wait;
    });
    await t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA }));
    await until(() => steps.length === 1); // createSecret is running (held)
    await t.sm.send(new CancelRotateSecretCommand({ SecretId: 'tg/token' }));
    held.open();
    await t.aws.rotationsSettled();
    expect(steps).toEqual(['createSecret']);
    expect(t.aws.lastRotationError('tg/token')).toMatchObject({ step: 'setSecret', message: 'The rotation was cancelled.' });
  });

  it('with RotateImmediately=false runs testSecret in the background and then removes the temporary version', async () => {
    const t = await setup();
    const held = gate();
    const events: RotationEvent[] = [];
    t.aws.setRotationInvoker(async (event) => {
      events.push(event);
      await held.wait;
    });
    const answer = await t.sm.send(
      new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA, RotateImmediately: false }),
    );
    expect(answer.VersionId).toBeUndefined();
    expect(Object.keys(stagesOf(t.aws, 'tg/token'))).toHaveLength(2);
    held.open();
    await t.aws.rotationsSettled('tg/token');
    expect(events.map((e) => e.Step)).toEqual(['testSecret']);
    expect(stagesOf(t.aws, 'tg/token')).toEqual({ [t.v1]: ['AWSCURRENT'] });
  });
});

describe('rotationsSettled', () => {
  it('waits for one secret or for all, and resolves at once when nothing runs', async () => {
    const t = await setup();
    await t.aws.rotationsSettled();
    await t.aws.rotationsSettled('tg/token');
    await t.aws.rotationsSettled('never-created');
    await t.sm.send(new CreateSecretCommand({ Name: 'second', SecretString: 'x' }));
    const gates = { 'tg/token': gate(), second: gate() };
    t.aws.setRotationInvoker(async (_event, context) => {
      await gates[context.secretName as keyof typeof gates].wait;
    });
    await t.sm.send(new RotateSecretCommand({ SecretId: 'tg/token', RotationLambdaARN: LAMBDA }));
    await t.sm.send(new RotateSecretCommand({ SecretId: 'second', RotationLambdaARN: LAMBDA }));

    let allDone = false;
    const all = t.aws.rotationsSettled().then(() => {
      allDone = true;
    });
    gates['tg/token'].open();
    await t.aws.rotationsSettled(t.arn); // by ARN too
    expect(t.aws.inspectSecret('tg/token')?.rotationInProgress).toBe(false);
    expect(t.aws.inspectSecret('second')?.rotationInProgress).toBe(true);
    expect(allDone).toBe(false);
    gates.second.open();
    await all;
    expect(t.aws.inspectSecret('second')?.rotationInProgress).toBe(false);
  });
});

describe('rotation mode', () => {
  it("defaults to 'async' (as AWS) and can be switched at run time", async () => {
    const bare = await (await import('../../../local/aws/index.js')).startLocalAws();
    const bareSm = new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient({ endpoint: bare.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    let release: () => void = () => undefined;
    const firstStep = new Promise<void>((resolve) => (release = resolve));
    bare.setRotationInvoker(() => firstStep); // every step waits for the release below
    await bareSm.send(new CreateSecretCommand({ Name: 'default-mode', SecretString: 'old' }));
    // Answered while the first step is still running: the default is asynchronous.
    await bareSm.send(new RotateSecretCommand({ SecretId: 'default-mode', RotationLambdaARN: LAMBDA }));
    release();
    await bare.rotationsSettled();
    bareSm.destroy();
    await bare.close();

    h = await startHarness();
    await h.sm.send(new CreateSecretCommand({ Name: 'switch', SecretString: 'old' }));
    h.aws.setRotationInvoker(templateRotation(h.sm, (tok) => `v-${tok.slice(0, 3)}`));

    // sync (the harness's mode): rotated by the time RotateSecret answers.
    const syncRun = await h.sm.send(new RotateSecretCommand({ SecretId: 'switch', RotationLambdaARN: LAMBDA }));
    expect(stagesOf(h.aws, 'switch')[syncRun.VersionId as string]).toEqual(['AWSCURRENT', 'AWSPENDING']);

    h.aws.setRotationMode('async');
    const held = gate();
    const template = templateRotation(h.sm, () => 'async-value');
    h.aws.setRotationInvoker(async (event) => {
      await held.wait;
      await template(event);
    });
    const asyncRun = await h.sm.send(new RotateSecretCommand({ SecretId: 'switch' }));
    expect(stagesOf(h.aws, 'switch')[asyncRun.VersionId as string]).toEqual(['AWSPENDING']);
    held.open();
    await h.aws.rotationsSettled('switch');
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: 'switch' }))).SecretString).toBe('async-value');

    h.aws.setRotationMode('sync');
    h.aws.setRotationInvoker(templateRotation(h.sm, () => 'sync-again'));
    await h.sm.send(new RotateSecretCommand({ SecretId: 'switch' }));
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: 'switch' }))).SecretString).toBe('sync-again');
    expect(() => h?.aws.setRotationMode('later' as 'sync')).toThrow(RangeError);
  });
});
