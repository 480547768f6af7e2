import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  InvalidParameterException,
  ListSecretsCommand,
  PutSecretValueCommand,
  type BatchGetSecretValueCommandInput,
  type BatchGetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectionOf, startHarness, type Harness } from './test-support.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function create(name: string, value: string, tags: Record<string, string> = {}): Promise<{ arn: string; versionId: string }> {
  const out = await h.sm.send(
    new CreateSecretCommand({ Name: name, SecretString: value, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
  );
  return { arn: out.ARN as string, versionId: out.VersionId as string };
}

const batch = (input: BatchGetSecretValueCommandInput): Promise<BatchGetSecretValueCommandOutput> =>
  h.sm.send(new BatchGetSecretValueCommand(input));

describe('BatchGetSecretValue by SecretIdList', () => {
  it('answers each secret named by name, ARN or partial ARN with the GetSecretValue fields, in one call', async () => {
    const a = await create('batch/a', 'value-a');
    const b = await create('batch/b', 'old-b');
    const b2 = (await h.sm.send(new PutSecretValueCommand({ SecretId: 'batch/b', SecretString: 'value-b' }))).VersionId as string;
    await h.sm.send(new CreateSecretCommand({ Name: 'batch/bin', SecretBinary: new Uint8Array([1, 2, 255]) }));
    h.aws.resetRequestLog();

    const out = await batch({ SecretIdList: ['batch/a', b.arn, 'batch/bin', a.arn.slice(0, -7)] });
    expect(out.Errors).toEqual([]);
    expect(out.NextToken).toBeUndefined();
    expect(out.SecretValues).toHaveLength(4);
    expect(out.SecretValues?.[0]).toEqual({
      ARN: a.arn,
      Name: 'batch/a',
      VersionId: a.versionId,
      SecretString: 'value-a',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: new Date(h.clock.now()),
    });
    expect(out.SecretValues?.[1]).toMatchObject({ Name: 'batch/b', VersionId: b2, SecretString: 'value-b' });
    // SecretBinary comes back as GetSecretValue returns it.
    expect(out.SecretValues?.[2]?.SecretString).toBeUndefined();
    expect([...(out.SecretValues?.[2]?.SecretBinary ?? [])]).toEqual([1, 2, 255]);
    expect(out.SecretValues?.[3]?.ARN).toBe(a.arn);

    // One request, logged as such; each read counts as an access, as on AWS.
    expect(h.aws.requestLog.map((e) => e.operation)).toEqual(['BatchGetSecretValue']);
    expect(h.aws.inspectSecret('batch/a')?.lastAccessedDate).toEqual(new Date(Date.UTC(2026, 0, 15)));
  });

  it('reports secrets it cannot read in Errors, by the id asked for, and still succeeds', async () => {
    await create('ok', 'fine');
    await create('doomed', 'x');
    await h.sm.send(new DeleteSecretCommand({ SecretId: 'doomed', RecoveryWindowInDays: 7 }));
    await h.sm.send(new CreateSecretCommand({ Name: 'empty' }));

    const out = await batch({ SecretIdList: ['missing', 'ok', 'doomed', 'empty'] });
    expect(out.SecretValues?.map((v) => v.Name)).toEqual(['ok']);
    expect(out.Errors).toEqual([
      { SecretId: 'missing', ErrorCode: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." },
      {
        SecretId: 'doomed',
        ErrorCode: 'InvalidRequestException',
        Message: "You can't perform this operation on the secret because it was marked for deletion.",
      },
      {
        SecretId: 'empty',
        ErrorCode: 'ResourceNotFoundException',
        Message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      },
    ]);
  });

  it('takes 1 to 20 ids, refuses MaxResults without Filters and a NextToken it never handed out', async () => {
    await create('one', 'x');
    const ids = Array.from({ length: 21 }, (_, i) => `s${i}`);
    const tooMany = await rejectionOf(batch({ SecretIdList: ids }));
    expect(tooMany.name).toBe('ValidationException');
    expect(tooMany.message).toContain("at 'secretIdList'");
    const twenty = await batch({ SecretIdList: ids.slice(0, 20) });
    expect(twenty.Errors).toHaveLength(20);

    const none = await rejectionOf(batch({ SecretIdList: [] }));
    expect(none.name).toBe('ValidationException');
    const withMax = await rejectionOf(batch({ SecretIdList: ['one'], MaxResults: 5 }));
    expect(withMax).toBeInstanceOf(InvalidParameterException);
    const withToken = await rejectionOf(batch({ SecretIdList: ['one'], NextToken: 'garbage' }));
    expect(withToken.name).toBe('InvalidNextTokenException');
  });
});

describe('BatchGetSecretValue by Filters', () => {
  it('pages through the matching secrets MaxResults at a time (default and most 20), skipping those scheduled for deletion', async () => {
    for (let i = 0; i < 45; i++) {
      await create(`fleet/${String(i).padStart(2, '0')}`, `v${i}`, { team: i % 3 === 0 ? 'other' : 'tg' });
    }
    await h.sm.send(new DeleteSecretCommand({ SecretId: 'fleet/01' }));
    const filters = [{ Key: 'tag-value' as const, Values: ['tg'] }];
    const expected = Array.from({ length: 45 }, (_, i) => i)
      .filter((i) => i % 3 !== 0 && i !== 1)
      .map((i) => `fleet/${String(i).padStart(2, '0')}`);

    const first = await batch({ Filters: filters });
    expect(first.SecretValues).toHaveLength(20);
    expect(first.NextToken).toBeTypeOf('string');

    const names: string[] = [];
    const sizes: number[] = [];
    let next: string | undefined;
    do {
      const page = await batch({ Filters: filters, MaxResults: 7, ...(next ? { NextToken: next } : {}) });
      sizes.push(page.SecretValues?.length ?? 0);
      expect(page.Errors).toEqual([]);
      names.push(...(page.SecretValues ?? []).map((v) => v.Name as string));
      next = page.NextToken;
    } while (next);
    expect(names).toEqual(expected);
    expect(sizes).toEqual([7, 7, 7, 7, 1]);
    expect((await batch({ Filters: filters, MaxResults: 20, NextToken: first.NextToken })).SecretValues?.[0]?.Name).toBe(expected[20]);
  });

  it('reports a matching secret without a current value in Errors, by ARN', async () => {
    const empty = await h.sm.send(new CreateSecretCommand({ Name: 'novalue', Tags: [{ Key: 'k', Value: 'v' }] }));
    const out = await batch({ Filters: [{ Key: 'tag-key', Values: ['k'] }] });
    expect(out.SecretValues).toEqual([]);
    expect(out.Errors).toEqual([
      {
        SecretId: empty.ARN,
        ErrorCode: 'ResourceNotFoundException',
        Message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      },
    ]);
  });

  it('fails the call only for a bad request', async () => {
    await create('x', 'y');
    const neither = await rejectionOf(batch({}));
    expect(neither).toBeInstanceOf(InvalidParameterException);
    expect(neither.message).toContain('not both');
    const both = await rejectionOf(batch({ SecretIdList: ['x'], Filters: [{ Key: 'name', Values: ['x'] }] }));
    expect(both).toBeInstanceOf(InvalidParameterException);
    for (const MaxResults of [0, 21]) {
      const err = await rejectionOf(batch({ Filters: [{ Key: 'name', Values: ['x'] }], MaxResults }));
      expect(err.name).toBe('ValidationException');
    }
    const badKey = await rejectionOf(batch({ Filters: [{ Key: 'colour' as 'name', Values: ['x'] }] }));
    expect(badKey.name).toBe('ValidationException');
    const elevenFilters = Array.from({ length: 11 }, () => ({ Key: 'name' as const, Values: ['x'] }));
    expect((await rejectionOf(batch({ Filters: elevenFilters }))).name).toBe('ValidationException');
    const badToken = await rejectionOf(batch({ Filters: [{ Key: 'name', Values: ['x'] }], NextToken: 'garbage' }));
    expect(badToken.name).toBe('InvalidNextTokenException');
    // A ListSecrets token is not a BatchGetSecretValue token.
    await create('x2', 'y');
    const listed = await h.sm.send(new ListSecretsCommand({ MaxResults: 1 }));
    expect(listed.NextToken).toBeTypeOf('string');
    const foreign = await rejectionOf(batch({ Filters: [{ Key: 'name', Values: ['x'] }], NextToken: listed.NextToken }));
    expect(foreign.name).toBe('InvalidNextTokenException');
  });
});
