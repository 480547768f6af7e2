import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startLocalAws } from '../../../local/aws/index.js';
import { rejectionOf, startHarness, templateRotation, type Harness } from './test-support.js';

let h: Harness | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await h?.close();
  h = undefined;
});

async function raw(url: string, target: string, body: unknown): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

describe('protocol', () => {
  it('serves both services on one URL and sends errors in the JSON 1.1 shape', async () => {
    h = await startHarness();
    const created = await raw(h.aws.url, 'secretsmanager.CreateSecret', { Name: 'raw', SecretString: 'x' });
    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toBe('application/x-amz-json-1.1');

    const described = await raw(h.aws.url, 'secretsmanager.DescribeSecret', { SecretId: 'raw' });
    expect((described.json as { CreatedDate: unknown }).CreatedDate).toBe(h.clock.now() / 1000);

    const missing = await raw(h.aws.url, 'secretsmanager.GetSecretValue', { SecretId: 'absent' });
    expect(missing.status).toBe(400);
    expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(missing.json).toEqual({
      __type: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });

    const param = await raw(h.aws.url, 'AmazonSSM.GetParameter', { Name: '/absent' });
    expect(param.status).toBe(400);
    expect((param.json as { __type: string }).__type).toBe('ParameterNotFound');

    const unknown = await raw(h.aws.url, 'secretsmanager.GetRandomPassword', {});
    expect((unknown.json as { __type: string }).__type).toBe('UnknownOperationException');
    const garbage = await raw(h.aws.url, 'secretsmanager.DescribeSecret', '{not json');
    expect((garbage.json as { __type: string }).__type).toBe('SerializationException');
    const wrongType = await raw(h.aws.url, 'secretsmanager.DescribeSecret', { SecretId: 42 });
    expect((wrongType.json as { __type: string }).__type).toBe('SerializationException');
  });

  it('is found by SDK clients through AWS_ENDPOINT_URL alone', async () => {
    const aws = await startLocalAws();
    try {
      vi.stubEnv('AWS_ENDPOINT_URL', aws.url);
      const env = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
      const sm = new SecretsManagerClient(env);
      const ssm = new SSMClient(env);
      await sm.send(new CreateSecretCommand({ Name: 'via-env', SecretString: 'x' }));
      await ssm.send(new PutParameterCommand({ Name: '/via-env', Value: 'y', Type: 'String' }));
      expect((await sm.send(new GetSecretValueCommand({ SecretId: 'via-env' }))).SecretString).toBe('x');
      expect((await ssm.send(new GetParameterCommand({ Name: '/via-env' }))).Parameter?.Value).toBe('y');
      expect(aws.countCalls(undefined, 'secretsmanager')).toBe(2);
      expect(aws.countCalls(undefined, 'ssm')).toBe(2);
      sm.destroy();
      ssm.destroy();
    } finally {
      await aws.close();
    }
  });
});

describe('fault injection', () => {
  it('throttles the chosen operations with ThrottlingException until faults are cleared', async () => {
    h = await startHarness();
    await h.sm.send(new CreateSecretCommand({ Name: 'busy', SecretString: 'x' }));
    h.aws.setFaults({ throttleRate: 1, throttleOperations: ['GetSecretValue'] });

    const err = await rejectionOf(h.sm.send(new GetSecretValueCommand({ SecretId: 'busy' })));
    expect(err.name).toBe('ThrottlingException');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    const d = await h.sm.send(new DescribeSecretCommand({ SecretId: 'busy' }));
    expect(d.Name).toBe('busy');

    h.aws.setFaults({});
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: 'busy' }))).SecretString).toBe('x');
    expect(h.aws.requestLog.filter((e) => e.errorType === 'ThrottlingException')).toHaveLength(1);
    // Flagged like a quota throttle, so a benchmark counts both the same way.
    expect(h.aws.requestLog.filter((e) => e.throttled)).toHaveLength(1);
    expect(h.aws.operationCounters().GetSecretValue).toMatchObject({ calls: 2, failed: 1, throttled: 1 });
  });

  it('fails the next N calls of an operation, which the SDK retries when allowed to', async () => {
    h = await startHarness();
    await h.sm.send(new CreateSecretCommand({ Name: 'flaky', SecretString: 'x' }));
    h.aws.setFaults({ failNext: { operation: 'GetSecretValue', errorType: 'InternalServiceError', count: 2 } });
    const first = await rejectionOf(h.sm.send(new GetSecretValueCommand({ SecretId: 'flaky' })));
    expect(first.name).toBe('InternalServiceError');
    expect(first.$metadata?.httpStatusCode).toBe(500);

    const retrying = new SecretsManagerClient({
      endpoint: h.aws.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 3,
    });
    h.aws.resetRequestLog();
    const got = await retrying.send(new GetSecretValueCommand({ SecretId: 'flaky' }));
    expect(got.SecretString).toBe('x');
    expect(h.aws.countCalls('GetSecretValue')).toBe(2);
    expect(h.aws.requestLog.map((e) => e.status)).toEqual([500, 200]);
    retrying.destroy();
  });
});

describe('request log', () => {
  it('records operation, secret id and outcome, and never a secret value', async () => {
    h = await startHarness();
    const values = ['first-SECRET-value', 'second-SECRET-value', 'rotated-SECRET-value'];
    await h.sm.send(new CreateSecretCommand({ Name: 'logged', SecretString: values[0] }));
    await h.sm.send(new PutSecretValueCommand({ SecretId: 'logged', SecretString: values[1] }));
    await h.sm.send(new GetSecretValueCommand({ SecretId: 'logged' }));
    h.aws.setRotationInvoker(templateRotation(h.sm, () => values[2] as string));
    await h.sm.send(
      new RotateSecretCommand({ SecretId: 'logged', RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:r' }),
    );
    await rejectionOf(h.sm.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    await h.ssm.send(new PutParameterCommand({ Name: '/p', Value: 'param-SECRET-value', Type: 'SecureString' }));

    const text = JSON.stringify(h.aws.requestLog);
    expect(text).not.toContain('SECRET');
    expect(h.aws.requestLog[0]).toEqual({
      service: 'secretsmanager',
      operation: 'CreateSecret',
      secretId: 'logged',
      status: 200,
    });
    expect(h.aws.requestLog.at(-2)).toEqual({
      service: 'secretsmanager',
      operation: 'GetSecretValue',
      secretId: 'nope',
      status: 400,
      errorType: 'ResourceNotFoundException',
    });
    expect(h.aws.requestLog.at(-1)).toEqual({ service: 'ssm', operation: 'PutParameter', parameterName: '/p', status: 200 });
    expect(h.aws.countCalls('RotateSecret')).toBe(1);
    expect(h.aws.countCalls('UpdateSecretVersionStage')).toBe(1);
    // The rotation's own calls are logged before the RotateSecret that awaited them.
    const ops = h.aws.requestLog.map((e) => e.operation);
    expect(ops.indexOf('UpdateSecretVersionStage')).toBeLessThan(ops.indexOf('RotateSecret'));

    const total = h.aws.countCalls();
    expect(total).toBe(h.aws.requestLog.length);
    h.aws.resetRequestLog();
    expect(h.aws.countCalls()).toBe(0);
  });
});

describe('lifecycle', () => {
  it('closes idempotently and frees the port', async () => {
    const aws = await startLocalAws();
    await Promise.all([aws.close(), aws.close()]);
    await expect(fetch(aws.url)).rejects.toThrow();
  });
});
