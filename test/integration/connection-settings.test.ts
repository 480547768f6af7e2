/**
 * The settings custom resource end to end: CloudFormation's events (from the local registry, the
 * resource in progress as a deploy has it) into the real handler, its answer PUT back to the local
 * endpoint, the local Secrets Manager endpoint and fake TigerGraph servers behind it. Covers
 * create, a lifetime-only update, a host change (rotate, then revoke at the old server), a host
 * change whose rotation fails (nothing changes; the deploy fails), bad properties (FAILED with the
 * field named), delete (the current token survives) and the timeout guard.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { lambdaContext } from '../../local/lambda-context.js';
import { ROTATION_LAMBDA_ARN, startLocalStack, type LocalStack } from '../../local/stack.js';
import { localCloudFormation, type LocalCloudFormation } from '../helpers/cloudformation.js';

let stack: LocalStack;
let cfn: LocalCloudFormation;

beforeAll(async () => {
  process.env.TG_HTTP_TIMEOUT_MS = '500';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  stack = await startLocalStack();
  cfn = localCloudFormation(stack.aws);
});
afterAll(async () => {
  await stack.close();
});
afterEach(() => {
  process.env.TG_HTTP_TIMEOUT_MS = '500';
  stack.tg3.setFaults({});
  stack.tg4.setFaults({});
});

let counter = 0;

async function emptyTokenSecret(): Promise<{ arn: string; credentialArn: string }> {
  counter++;
  const credential = await stack.secretsManager.send(new CreateSecretCommand({ Name: `cr/cred-${counter}-${Date.now()}`, SecretString: JSON.stringify({ secret: stack.tigergraphSecret }) }));
  const token = await stack.secretsManager.send(new CreateSecretCommand({ Name: `cr/token-${counter}-${Date.now()}` }));
  await stack.secretsManager.send(new RotateSecretCommand({ SecretId: token.ARN, RotationLambdaARN: ROTATION_LAMBDA_ARN, RotateImmediately: false }));
  await stack.aws.rotationsSettled(token.ARN);
  return { arn: token.ARN as string, credentialArn: credential.ARN as string };
}

/** Resolves once `condition` holds; fails the test after `ms`. */
async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await sleep(50);
  }
}

function current(arn: string): Record<string, unknown> {
  const v = stack.aws.inspectSecret(arn)!.versions.find((x) => x.stages.includes('AWSCURRENT'))!;
  return JSON.parse(v.secretString!) as Record<string, unknown>;
}

function tg3Settings(credentialArn: string) {
  return {
    host: `http://127.0.0.1:${new URL(stack.tg3.url).port}`,
    allowInsecureHttp: true,
    credentialSecretId: credentialArn,
    tigergraphVersion: '3',
    lifetimeSeconds: 2_592_000,
  };
}

/** A secret created through the custom resource and rotated once, as after a first deploy. */
async function deployed(logicalId: string): Promise<{ arn: string; credentialArn: string; settings: ReturnType<typeof tg3Settings>; token: string }> {
  const { arn, credentialArn } = await emptyTokenSecret();
  const settings = tg3Settings(credentialArn);
  const created = await cfn.send('Create', logicalId, { SecretId: arn, Settings: JSON.stringify(settings) });
  expect(created.answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arn });
  await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn }));
  await stack.aws.rotationsSettled(arn);
  return { arn, credentialArn, settings, token: String(current(arn).token) };
}

describe('settings custom resource', () => {
  it('create, lifetime update, host change (rotate + revoke at the old server), delete (the current token survives)', async () => {
    const { arn, credentialArn } = await emptyTokenSecret();
    const settings = tg3Settings(credentialArn);
    // As the construct sends it: one JSON string (CloudFormation stringifies nested numbers).
    const created = await cfn.send('Create', 'Analytics', { SecretId: arn, Settings: JSON.stringify(settings) });
    expect(created.error).toBeUndefined();
    expect(created.answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arn, Data: { Rotation: 'none' } });
    expect(current(arn)).toEqual(settings);
    expect(stack.aws.cloudFormation.inspectResource(cfn.stackId, 'Analytics')).toMatchObject({ resourceStatus: 'CREATE_COMPLETE', physicalResourceId: arn });

    // The first rotation (the construct's rotation schedule does this after the create).
    await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn }));
    await stack.aws.rotationsSettled(arn);
    const first = String(current(arn).token);
    expect(stack.tg3.isLive(first)).toBe(true);

    const lifetime = await cfn.send('Update', 'Analytics', { SecretId: arn, Settings: { ...settings, lifetimeSeconds: 86_400 } }, { SecretId: arn, Settings: settings });
    expect(lifetime.answer).toMatchObject({ Status: 'SUCCESS', Data: { Rotation: 'none' } });
    expect(current(arn)).toMatchObject({ token: first, lifetimeSeconds: 86_400 });

    const tg4 = new URL(stack.tg4.url);
    const moved = { ...settings, lifetimeSeconds: 86_400, host: `http://127.0.0.1:${tg4.port}`, tigergraphVersion: '4' };
    const credential4 = await stack.secretsManager.send(new CreateSecretCommand({ Name: `cr/cred4-${Date.now()}`, SecretString: JSON.stringify(stack.tigergraphUser) }));
    const changed = await cfn.send('Update', 'Analytics', { SecretId: arn, Settings: { ...moved, credentialSecretId: credential4.ARN } }, { SecretId: arn, Settings: { ...settings, lifetimeSeconds: 86_400 } });
    expect(changed.answer).toMatchObject({ Status: 'SUCCESS', Data: { Rotation: 'finished', Revoked: 1, RevokeFailures: 0 } });
    const second = String(current(arn).token);
    expect(current(arn).host).toBe(moved.host);
    expect(stack.tg4.isLive(second)).toBe(true);
    expect(stack.tg3.isLive(first)).toBe(false);

    // Removing the resource (or the stack) leaves the current token to the secret's deletion and its expiry.
    const deleted = await cfn.send('Delete', 'Analytics', { SecretId: arn, Settings: moved });
    expect(deleted.answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arn });
    expect(String(deleted.answer!.Reason)).toMatch(/current token is not revoked/);
    expect(stack.tg4.isLive(second)).toBe(true);
    for (const a of stack.aws.cloudFormation.answers()) {
      expect(JSON.stringify(a.body)).not.toContain(first);
      expect(JSON.stringify(a.body)).not.toContain(second);
      expect(JSON.stringify(a.body)).not.toContain(stack.tigergraphSecret);
    }
  });

  it('a host change whose token the new server refuses fails the deploy and leaves AWSCURRENT (host and token) exactly as it was', async () => {
    const { arn, settings, token } = await deployed('Refused');
    const before = stack.aws.inspectSecret(arn)!.versions.find((v) => v.stages.includes('AWSCURRENT'))!;
    // The new server mints, but fails every authenticated REST++ call (testSecret fails).
    const moved = { ...settings, host: `http://127.0.0.1:${new URL(stack.tg4.url).port}`, tigergraphVersion: '4' };
    const credential4 = await stack.secretsManager.send(new CreateSecretCommand({ Name: `cr/cred4r-${Date.now()}`, SecretString: JSON.stringify(stack.tigergraphUser) }));
    stack.tg4.setFaults({ failNext: 100, ops: ['echo'] });
    const minted4 = stack.tg4.liveTokens().length;
    const update = await cfn.send('Update', 'Refused', { SecretId: arn, Settings: { ...moved, credentialSecretId: credential4.ARN } }, { SecretId: arn, Settings: settings });
    expect(update.answer).toMatchObject({ Status: 'FAILED' });
    expect(String(update.answer!.Reason)).toMatch(/SettingsNotAppliedError: .*not applied: the rotation to them failed.*AWSCURRENT keeps the old settings/);
    const after = stack.aws.inspectSecret(arn)!.versions.find((v) => v.stages.includes('AWSCURRENT'))!;
    expect(after.versionId).toBe(before.versionId);
    expect(JSON.parse(after.secretString!)).toEqual(JSON.parse(before.secretString!));
    expect(stack.tg3.isLive(token)).toBe(true);
    // Nothing staged is left behind, and the token minted at the new server was revoked there.
    expect(stack.aws.inspectSecret(arn)!.versions.filter((v) => v.stages.includes('AWSPENDING'))).toEqual([]);
    expect(stack.tg4.liveTokens().length).toBe(minted4);
  });

  it('answers FAILED with the field named for bad properties, and writes nothing', async () => {
    const { arn } = await emptyTokenSecret();
    const failed = await cfn.send('Create', 'BadProps', { SecretId: arn, Settings: { host: 'not a url', credentialSecretId: 'c' } });
    expect(failed.answer).toMatchObject({ Status: 'FAILED' });
    expect(String(failed.answer!.Reason)).toMatch(/host/);
    expect(stack.aws.inspectSecret(arn)!.versions.filter((v) => v.secretString)).toHaveLength(0);
  });

  it('a delete of a resource whose create failed before it had an id succeeds without touching anything', async () => {
    cfn.resource('NeverCreated', { physicalId: 'NeverCreated', status: 'CREATE_FAILED' });
    const response = await cfn.send('Delete', 'NeverCreated', { SecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:none' });
    expect(response.answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'NeverCreated' });
  });
});

describe('the timeout guard: CloudFormation is answered before the function times out, whatever the work is doing', () => {
  it('FAILED while the mint at the new host hangs; AWSCURRENT untouched, then and after the mint returns', async () => {
    const { arn, settings, token } = await deployed('HangingMint');
    const before = stack.aws.inspectSecret(arn)!.versions;
    process.env.TG_HTTP_TIMEOUT_MS = '60000';
    // The answer is due at half the 4 s left (the rest is kept for the PUT); the mint takes 3 s.
    stack.tg4.setFaults({ latencyMs: 3_000, ops: ['request'] });
    const liveAtTg4 = stack.tg4.liveTokens().length;
    const moved = { ...settings, host: `http://127.0.0.1:${new URL(stack.tg4.url).port}`, tigergraphVersion: '4' };
    const credential4 = await stack.secretsManager.send(new CreateSecretCommand({ Name: `cr/cred4h-${Date.now()}`, SecretString: JSON.stringify(stack.tigergraphUser) }));
    const started = Date.now();
    const update = await cfn.send('Update', 'HangingMint', { SecretId: arn, Settings: { ...moved, credentialSecretId: credential4.ARN } }, { SecretId: arn, Settings: settings }, lambdaContext('connection-settings', 4_000));
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(update.answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: arn });
    expect(String(update.answer!.Reason)).toMatch(/no outcome before the function's timeout \(it was /);
    expect(stack.aws.inspectSecret(arn)!.versions).toEqual(before);
    // The mint answers later: the abandoned work stages nothing and revokes what it minted.
    await sleep(2_000);
    await until(() => stack.tg4.liveTokens().length === liveAtTg4);
    expect(stack.aws.inspectSecret(arn)!.versions).toEqual(before);
    expect(stack.tg3.isLive(token)).toBe(true);
  });

  it('SUCCESS with the rotation reported pending once the rotation to the new settings has started (here the revoke at the old server hangs)', async () => {
    const { arn, settings, token } = await deployed('SlowRevoke');
    process.env.TG_HTTP_TIMEOUT_MS = '60000';
    // The answer is due at 3 s of the 6 s left, the rotation wait ends at 1.5 s (a local rotation
    // takes a fraction of that), and the revoke at the old server then takes 4 s.
    stack.tg3.setFaults({ latencyMs: 4_000, ops: ['delete'] });
    const moved = { ...settings, host: `http://127.0.0.1:${new URL(stack.tg4.url).port}`, tigergraphVersion: '4' };
    const credential4 = await stack.secretsManager.send(new CreateSecretCommand({ Name: `cr/cred4s-${Date.now()}`, SecretString: JSON.stringify(stack.tigergraphUser) }));
    const started = Date.now();
    const update = await cfn.send('Update', 'SlowRevoke', { SecretId: arn, Settings: { ...moved, credentialSecretId: credential4.ARN } }, { SecretId: arn, Settings: settings }, lambdaContext('connection-settings', 6_000));
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(update.answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arn, Data: { Rotation: 'pending' } });
    expect(String(update.answer!.Reason)).toMatch(/time ran out while the rotation to the new settings was running/);
    const now = stack.aws.inspectSecret(arn)!.versions.find((v) => v.stages.includes('AWSCURRENT'))!;
    expect(now.versionId).toBe((update.answer!.Data as Record<string, unknown>).VersionId);
    expect(JSON.parse(now.secretString!).host).toBe(moved.host);
    expect(stack.tg4.isLive(String(JSON.parse(now.secretString!).token))).toBe(true);
    // The revoke goes on after the answer, as it may: the old token goes once the old server answers.
    await until(() => !stack.tg3.isLive(token));
  });
});
