/**
 * Attacks on the settings custom resource by someone who may invoke its function but is not
 * CloudFormation (issue 21): forged Update (the credential sent to the attacker's host; relayed,
 * the attacker in the middle of every consumer), forged Delete (the live token revoked), another
 * stack's event, and an answer URL of the attacker's (SSRF). Each attacker is a server on
 * 127.0.0.1 that counts what reaches it: the count must be zero, and the token secret unchanged.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { ValidationError } from '../../core/errors.js';
import { TOKEN_SECRET_SETTINGS_TYPE } from '../../core/names.js';
import { RefusedEventError } from '../../functions/connection-settings/confirm.js';
import type { CustomResourceRequest } from '../../local/aws/index.js';
import { ROTATION_LAMBDA_ARN, startLocalStack, type LocalStack } from '../../local/stack.js';
import { startAttacker, type Attacker } from '../helpers/attacker.js';
import { localCloudFormation, SERVICE_TOKEN, type LocalCloudFormation } from '../helpers/cloudformation.js';

let stack: LocalStack;
let cfn: LocalCloudFormation;
const attackers: Attacker[] = [];

beforeAll(async () => {
  process.env.TG_HTTP_TIMEOUT_MS = '500';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  stack = await startLocalStack();
  cfn = localCloudFormation(stack.aws);
});
afterAll(async () => {
  await stack.close();
});
afterEach(async () => {
  await Promise.all(attackers.splice(0).map((a) => a.close()));
});

async function attacker(options: { relayTo?: string } = {}): Promise<Attacker> {
  const a = await startAttacker(options);
  attackers.push(a);
  return a;
}

interface Victim {
  logicalId: string;
  arn: string;
  credentialArn: string;
  settings: Record<string, unknown>;
  /** The Create event CloudFormation sent: its StackId and ResponseURL are the forger's to copy. */
  createEvent: CustomResourceRequest;
  current: string;
  previous: string;
}

let victims = 0;

/** A connection deployed through CloudFormation and rotated twice: a current and a replaced token, both live. */
async function victim(): Promise<Victim> {
  const n = ++victims;
  const logicalId = `Victim${n}`;
  const credential = await stack.secretsManager.send(new CreateSecretCommand({ Name: `forgery/cred-${n}`, SecretString: JSON.stringify({ secret: stack.tigergraphSecret }) }));
  const token = await stack.secretsManager.send(new CreateSecretCommand({ Name: `forgery/token-${n}` }));
  const arn = token.ARN as string;
  await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: ROTATION_LAMBDA_ARN, RotateImmediately: false }));
  await stack.aws.rotationsSettled(arn);
  const settings = { host: `http://127.0.0.1:${new URL(stack.tg3.url).port}`, allowInsecureHttp: true, credentialSecretId: credential.ARN, tigergraphVersion: '3' };
  const createEvent = cfn.request('Create', logicalId, { SecretId: arn, Settings: JSON.stringify(settings) });
  expect((await cfn.invoke(createEvent)).answer).toMatchObject({ Status: 'SUCCESS' });
  for (let i = 0; i < 2; i++) {
    await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn }));
    await stack.aws.rotationsSettled(arn);
  }
  const value = (stage: string) => JSON.parse(stack.aws.inspectSecret(arn)!.versions.find((v) => v.stages.includes(stage))!.secretString!) as Record<string, unknown>;
  const v: Victim = { logicalId, arn, credentialArn: credential.ARN as string, settings, createEvent, current: String(value('AWSCURRENT').token), previous: String(value('AWSPREVIOUS').token) };
  expect(stack.tg3.isLive(v.current) && stack.tg3.isLive(v.previous)).toBe(true);
  return v;
}

/** An event as the forger writes it: the victim's stack id and a copied answer URL, anything else of their choosing. */
function forged(v: Victim, fields: Partial<CustomResourceRequest>): CustomResourceRequest {
  return {
    RequestType: 'Update',
    ServiceToken: SERVICE_TOKEN,
    ResponseURL: v.createEvent.ResponseURL,
    StackId: v.createEvent.StackId,
    RequestId: randomUUID(),
    LogicalResourceId: v.logicalId,
    ResourceType: TOKEN_SECRET_SETTINGS_TYPE,
    PhysicalResourceId: v.arn,
    ResourceProperties: { ServiceToken: SERVICE_TOKEN, SecretId: v.arn, Settings: JSON.stringify(v.settings) },
    OldResourceProperties: { ServiceToken: SERVICE_TOKEN, SecretId: v.arn, Settings: JSON.stringify(v.settings) },
    ...fields,
  };
}

function versions(arn: string) {
  return stack.aws.inspectSecret(arn)!.versions;
}

/** The victim's tokens both still work, and the secret is exactly as it was. */
function expectUntouched(v: Victim, before: ReturnType<typeof versions>): void {
  expect(versions(v.arn)).toEqual(before);
  expect(stack.tg3.isLive(v.current)).toBe(true);
  expect(stack.tg3.isLive(v.previous)).toBe(true);
}

describe('forged events are refused before anything is read, written or revoked', () => {
  it('a forged Update naming the attacker’s host and the stack’s credential: no request reaches the attacker', async () => {
    const v = await victim();
    const evil = await attacker();
    const before = versions(v.arn);
    const settings = { ...v.settings, host: evil.url };
    const { error } = await cfn.invoke(forged(v, { ResourceProperties: { ServiceToken: SERVICE_TOKEN, SecretId: v.arn, Settings: JSON.stringify(settings) } }));
    expect(error).toBeInstanceOf(RefusedEventError);
    expect((error as Error).message).toMatch(/event refused, nothing was done: a Update needs resource Victim\d+ of stack .* in UPDATE_IN_PROGRESS or UPDATE_ROLLBACK_IN_PROGRESS, and CloudFormation reports CREATE_COMPLETE/);
    expect(evil.connections()).toBe(0);
    expect(evil.bodies().join('')).not.toContain(stack.tigergraphSecret);
    expectUntouched(v, before);
  });

  it('a forged Update through a relay to the real server: the relay sees nothing, no token moves', async () => {
    const v = await victim();
    const relay = await attacker({ relayTo: stack.tg3.url });
    const before = versions(v.arn);
    const settings = { ...v.settings, host: relay.url };
    const { error, answer } = await cfn.invoke(forged(v, { ResourceProperties: { ServiceToken: SERVICE_TOKEN, SecretId: v.arn, Settings: JSON.stringify(settings) } }));
    expect(error).toBeInstanceOf(RefusedEventError);
    // The copied URL was answered once already (the real Create): CloudFormation acts on that one only.
    expect(answer).toBeUndefined();
    expect(relay.connections()).toBe(0);
    expectUntouched(v, before);
  });

  it('a forged Delete of the live resource: no token is revoked', async () => {
    const v = await victim();
    const before = versions(v.arn);
    const { error } = await cfn.invoke(forged(v, { RequestType: 'Delete', OldResourceProperties: undefined }));
    expect(error).toBeInstanceOf(RefusedEventError);
    expect((error as Error).message).toMatch(/a Delete needs .* in DELETE_IN_PROGRESS or .*, and CloudFormation reports CREATE_COMPLETE/);
    expectUntouched(v, before);
  });

  it('an event for a logical id the stack does not have is refused (CloudFormation knows no such resource)', async () => {
    const v = await victim();
    const before = versions(v.arn);
    const { error } = await cfn.invoke(forged(v, { LogicalResourceId: 'NoSuchResource' }));
    expect(error).toBeInstanceOf(RefusedEventError);
    expect((error as Error).message).toMatch(/CloudFormation knows no resource NoSuchResource of stack/);
    expectUntouched(v, before);
  });

  it('another stack’s real event (its resource in progress there) is refused for its StackId', async () => {
    const v = await victim();
    const evil = await attacker();
    const other = stack.aws.cloudFormation.createStack(`other-${randomUUID().slice(0, 8)}`);
    stack.aws.cloudFormation.setResource(other, v.logicalId, { resourceType: TOKEN_SECRET_SETTINGS_TYPE, resourceStatus: 'UPDATE_COMPLETE', physicalResourceId: v.arn });
    const event = stack.aws.cloudFormation.request(other, v.logicalId, 'Update', {
      ServiceToken: SERVICE_TOKEN,
      SecretId: v.arn,
      Settings: JSON.stringify({ ...v.settings, host: evil.url }),
    });
    const before = versions(v.arn);
    const { error, answer } = await cfn.invoke(event);
    expect(error).toBeInstanceOf(RefusedEventError);
    expect((error as ValidationError).field).toBe('StackId');
    expect((error as Error).message).toContain(`serves the custom resources of stack ${cfn.stackId} only`);
    expect(answer).toMatchObject({ Status: 'FAILED' });
    expect(evil.connections()).toBe(0);
    expectUntouched(v, before);
  });

  it('an answer URL of the attacker’s (http:// on 127.0.0.1, or https to it) gets nothing, not even on a real in-progress event', async () => {
    const v = await victim();
    const evil = await attacker();
    for (const url of [`http://127.0.0.1:${evil.port}/answer?X-Amz-Signature=x`, `https://127.0.0.1:${evil.port}/answer`]) {
      const real = cfn.request('Update', v.logicalId, { SecretId: v.arn, Settings: JSON.stringify({ ...v.settings, lifetimeSeconds: 3_600 }) }, { SecretId: v.arn, Settings: JSON.stringify(v.settings) });
      const before = versions(v.arn);
      const { error, answer } = await cfn.invoke({ ...real, ResponseURL: url });
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('ResponseURL');
      expect((error as Error).message).toContain(`got ${url.split('/answer')[0]}`);
      expect(answer).toBeUndefined();
      expect(stack.aws.cloudFormation.answers().filter((a) => a.request.RequestId === real.RequestId)).toEqual([]);
      expect(evil.connections()).toBe(0);
      expectUntouched(v, before);
    }
  });
});
