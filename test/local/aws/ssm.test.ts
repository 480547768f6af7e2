import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  ParameterVersionNotFound,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectionOf, startHarness, type Harness } from './test-support.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const CONFIG = '/tg-token-rotation/config';

describe('SSM Parameter Store', () => {
  it('puts, refuses to overwrite without Overwrite, and versions each overwrite', async () => {
    const put = await h.ssm.send(new PutParameterCommand({ Name: CONFIG, Value: '{"concurrency":5}', Type: 'String' }));
    expect(put).toMatchObject({ Version: 1, Tier: 'Standard' });

    const exists = await rejectionOf(h.ssm.send(new PutParameterCommand({ Name: CONFIG, Value: '{}', Type: 'String' })));
    expect(exists).toBeInstanceOf(ParameterAlreadyExists);
    expect(exists.name).toBe('ParameterAlreadyExists');

    h.clock.advance(1000);
    const over = await h.ssm.send(new PutParameterCommand({ Name: CONFIG, Value: '{"concurrency":7}', Overwrite: true }));
    expect(over.Version).toBe(2);

    const got = await h.ssm.send(new GetParameterCommand({ Name: CONFIG, WithDecryption: true }));
    expect(got.Parameter).toMatchObject({
      Name: CONFIG,
      Type: 'String',
      Value: '{"concurrency":7}',
      Version: 2,
      ARN: `arn:aws:ssm:us-east-1:000000000000:parameter${CONFIG}`,
      DataType: 'text',
    });
    expect(got.Parameter?.LastModifiedDate).toEqual(new Date(h.clock.now()));

    const v1 = await h.ssm.send(new GetParameterCommand({ Name: `${CONFIG}:1` }));
    expect(v1.Parameter).toMatchObject({ Value: '{"concurrency":5}', Version: 1, Selector: ':1' });
    const v9 = await rejectionOf(h.ssm.send(new GetParameterCommand({ Name: `${CONFIG}:9` })));
    expect(v9).toBeInstanceOf(ParameterVersionNotFound);
  });

  it('answers ParameterNotFound for a missing parameter', async () => {
    const err = await rejectionOf(h.ssm.send(new GetParameterCommand({ Name: '/missing' })));
    expect(err).toBeInstanceOf(ParameterNotFound);
    expect(err.$metadata?.httpStatusCode).toBe(400);
    const del = await rejectionOf(h.ssm.send(new DeleteParameterCommand({ Name: '/missing' })));
    expect(del).toBeInstanceOf(ParameterNotFound);
  });

  it('GetParameters returns found parameters and lists the others as InvalidParameters', async () => {
    await h.ssm.send(new PutParameterCommand({ Name: '/a', Value: '1', Type: 'String' }));
    await h.ssm.send(new PutParameterCommand({ Name: '/b', Value: '2', Type: 'StringList' }));
    const got = await h.ssm.send(new GetParametersCommand({ Names: ['/a', '/nope', '/b'] }));
    expect(got.Parameters?.map((p) => [p.Name, p.Value, p.Type])).toEqual([
      ['/a', '1', 'String'],
      ['/b', '2', 'StringList'],
    ]);
    expect(got.InvalidParameters).toEqual(['/nope']);
  });

  it('decrypts a SecureString only WithDecryption', async () => {
    await h.ssm.send(new PutParameterCommand({ Name: '/secure', Value: 'hunter2', Type: 'SecureString' }));
    const plain = await h.ssm.send(new GetParameterCommand({ Name: '/secure', WithDecryption: true }));
    expect(plain.Parameter?.Value).toBe('hunter2');
    const sealed = await h.ssm.send(new GetParameterCommand({ Name: '/secure' }));
    expect(sealed.Parameter?.Type).toBe('SecureString');
    expect(sealed.Parameter?.Value).not.toContain('hunter2');
  });

  it('GetParametersByPath lists one level, or all levels when Recursive', async () => {
    for (const name of ['/app/a', '/app/b', '/app/deep/c', '/other/d']) {
      await h.ssm.send(new PutParameterCommand({ Name: name, Value: name, Type: 'String' }));
    }
    const flat = await h.ssm.send(new GetParametersByPathCommand({ Path: '/app' }));
    expect(flat.Parameters?.map((p) => p.Name)).toEqual(['/app/a', '/app/b']);
    const deep = await h.ssm.send(new GetParametersByPathCommand({ Path: '/app/', Recursive: true, MaxResults: 2 }));
    expect(deep.Parameters?.map((p) => p.Name)).toEqual(['/app/a', '/app/b']);
    const rest = await h.ssm.send(
      new GetParametersByPathCommand({ Path: '/app/', Recursive: true, MaxResults: 2, NextToken: deep.NextToken }),
    );
    expect(rest.Parameters?.map((p) => p.Name)).toEqual(['/app/deep/c']);
    expect(rest.NextToken).toBeUndefined();
  });

  it('deletes a parameter', async () => {
    await h.ssm.send(new PutParameterCommand({ Name: '/gone', Value: 'x', Type: 'String' }));
    await h.ssm.send(new DeleteParameterCommand({ Name: '/gone' }));
    expect(h.aws.inspectParameter('/gone')).toBeUndefined();
    const err = await rejectionOf(h.ssm.send(new GetParameterCommand({ Name: '/gone' })));
    expect(err).toBeInstanceOf(ParameterNotFound);
  });
});
