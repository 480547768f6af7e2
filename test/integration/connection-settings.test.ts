/**
 * The settings custom resource end to end: CloudFormation-shaped events into the real handler,
 * the handler's answer PUT to a local ResponseURL, the local Secrets Manager endpoint and fake
 * TigerGraph servers behind it. Covers create, a lifetime-only update, a host change (rotate, then
 * revoke at the old server), bad properties (FAILED with the field named) and delete.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { handler } from '../../functions/connection-settings/handler.js';
import type { CustomResourceEvent } from '../../functions/lib/cfn-response.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { ROTATION_LAMBDA_ARN, startLocalStack, type LocalStack } from '../../local/stack.js';

let stack: LocalStack;
let responder: Server;
let responseUrl: string;
const responses: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  process.env.TG_HTTP_TIMEOUT_MS = '500';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  stack = await startLocalStack();
  responder = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      responses.push({ method: req.method, contentType: req.headers['content-type'], ...(JSON.parse(body) as Record<string, unknown>) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => responder.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(responder.address() as AddressInfo).port}/response?X-Amz-Signature=abc`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => responder.close(() => resolve()));
  await stack.close();
});

let counter = 0;
async function event(requestType: CustomResourceEvent['RequestType'], props: Record<string, unknown>, old?: Record<string, unknown>, physicalId?: string) {
  const e: CustomResourceEvent = {
    RequestType: requestType,
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/test/1',
    RequestId: `req-${++counter}`,
    LogicalResourceId: 'AnalyticsSettings',
    ResourceType: 'Custom::TokenSecretSettings',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:settings', ...props },
    ...(old ? { OldResourceProperties: old } : {}),
    ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
  };
  await handler(e, lambdaContext('connection-settings', 120_000));
  return responses.at(-1)!;
}

async function emptyTokenSecret(): Promise<{ arn: string; credentialArn: string }> {
  const credential = await stack.secretsManager.send(new CreateSecretCommand({ Name: `cr/cred-${counter}-${Date.now()}`, SecretString: JSON.stringify({ secret: stack.tigergraphSecret }) }));
  const token = await stack.secretsManager.send(new CreateSecretCommand({ Name: `cr/token-${counter}-${Date.now()}` }));
  await stack.secretsManager.send(new RotateSecretCommand({ SecretId: token.ARN, RotationLambdaARN: ROTATION_LAMBDA_ARN, RotateImmediately: false }));
  await stack.aws.rotationsSettled(token.ARN);
  return { arn: token.ARN as string, credentialArn: credential.ARN as string };
}

function current(arn: string): Record<string, unknown> {
  const v = stack.aws.inspectSecret(arn)!.versions.find((x) => x.stages.includes('AWSCURRENT'))!;
  return JSON.parse(v.secretString!) as Record<string, unknown>;
}

describe('settings custom resource', () => {
  it('create, lifetime update, host change (rotate + revoke at the old server), delete', async () => {
    const { arn, credentialArn } = await emptyTokenSecret();
    const tg3 = new URL(stack.tg3.url);
    const settings = {
      host: `http://127.0.0.1:${tg3.port}`,
      allowInsecureHttp: true,
      credentialSecretId: credentialArn,
      tigergraphVersion: '3',
      lifetimeSeconds: 2_592_000,
    };
    // As the construct sends it: one JSON string (CloudFormation stringifies nested numbers).
    const created = await event('Create', { SecretId: arn, Settings: JSON.stringify(settings) });
    expect(created).toMatchObject({ method: 'PUT', Status: 'SUCCESS', PhysicalResourceId: arn, Data: { Rotation: 'none' } });
    expect(created.contentType).toBe('');
    expect(current(arn)).toEqual(settings);

    // The first rotation (the construct's rotation schedule does this after the create).
    await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn }));
    await stack.aws.rotationsSettled(arn);
    const first = String(current(arn).token);
    expect(stack.tg3.isLive(first)).toBe(true);

    const lifetime = await event('Update', { SecretId: arn, Settings: { ...settings, lifetimeSeconds: 86_400 } }, { SecretId: arn, Settings: settings }, arn);
    expect(lifetime).toMatchObject({ Status: 'SUCCESS', Data: { Rotation: 'none' } });
    expect(current(arn)).toMatchObject({ token: first, lifetimeSeconds: 86_400 });

    const tg4 = new URL(stack.tg4.url);
    const moved = { ...settings, lifetimeSeconds: 86_400, host: `http://127.0.0.1:${tg4.port}`, tigergraphVersion: '4' };
    const credential4 = await stack.secretsManager.send(new CreateSecretCommand({ Name: `cr/cred4-${Date.now()}`, SecretString: JSON.stringify(stack.tigergraphUser) }));
    const changed = await event('Update', { SecretId: arn, Settings: { ...moved, credentialSecretId: credential4.ARN } }, { SecretId: arn, Settings: { ...settings, lifetimeSeconds: 86_400 } }, arn);
    expect(changed).toMatchObject({ Status: 'SUCCESS', Data: { Rotation: 'finished', Revoked: 1, RevokeFailures: 0 } });
    const second = String(current(arn).token);
    expect(stack.tg4.isLive(second)).toBe(true);
    expect(stack.tg3.isLive(first)).toBe(false);

    const deleted = await event('Delete', { SecretId: arn, Settings: moved }, undefined, arn);
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arn });
    expect(stack.tg4.isLive(second)).toBe(false);
    for (const r of responses) {
      expect(JSON.stringify(r)).not.toContain(first);
      expect(JSON.stringify(r)).not.toContain(second);
      expect(JSON.stringify(r)).not.toContain(stack.tigergraphSecret);
    }
  });

  it('answers FAILED with the field named for bad properties, and writes nothing', async () => {
    const { arn } = await emptyTokenSecret();
    const failed = await event('Create', { SecretId: arn, Settings: { host: 'not a url', credentialSecretId: 'c' } });
    expect(failed).toMatchObject({ Status: 'FAILED' });
    expect(String(failed.Reason)).toMatch(/host/);
    expect(stack.aws.inspectSecret(arn)!.versions.filter((v) => v.secretString)).toHaveLength(0);
  });

  it('a delete of a resource whose create failed before it had an id succeeds without touching anything', async () => {
    const response = await event('Delete', { SecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:none' }, undefined, 'AnalyticsSettings');
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'AnalyticsSettings' });
  });
});
