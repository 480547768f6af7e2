import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  paginateListSecrets,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, rejectionOf, stagesOf, startHarness, token, type Harness } from './test-support.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function create(name: string, value = 'v1', extra: Partial<{ Tags: { Key: string; Value: string }[] }> = {}) {
  return h.sm.send(new CreateSecretCommand({ Name: name, SecretString: value, ...extra }));
}

function currentOf(stages: Record<string, string[]>): string | undefined {
  return Object.entries(stages).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
}

describe('CreateSecret / DescribeSecret', () => {
  it('creates the first version under AWSCURRENT and describes it by name and by ARN', async () => {
    const created = await h.sm.send(
      new CreateSecretCommand({
        Name: 'tg/prod/token',
        SecretString: '{"token":"abc"}',
        Description: 'a token',
        KmsKeyId: 'alias/tg',
        ClientRequestToken: token('first'),
        Tags: [{ Key: 'tg-token-rotation:managed', Value: 'true' }],
      }),
    );
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:tg\/prod\/token-[A-Za-z0-9]{6}$/);
    expect(created.VersionId).toBe(token('first'));

    for (const id of ['tg/prod/token', created.ARN as string]) {
      const d = await h.sm.send(new DescribeSecretCommand({ SecretId: id }));
      expect(d.ARN).toBe(created.ARN);
      expect(d.Name).toBe('tg/prod/token');
      expect(d.Description).toBe('a token');
      expect(d.KmsKeyId).toBe('alias/tg');
      expect(d.VersionIdsToStages).toEqual({ [token('first')]: ['AWSCURRENT'] });
      expect(d.Tags).toEqual([{ Key: 'tg-token-rotation:managed', Value: 'true' }]);
      expect(d.RotationEnabled).toBe(false);
      expect(d.CreatedDate).toEqual(new Date(h.clock.now()));
      expect(d.LastChangedDate).toEqual(new Date(h.clock.now()));
      expect(d.LastRotatedDate).toBeUndefined();
    }
  });

  it('accepts a partial ARN (without the random suffix)', async () => {
    const created = await create('partial');
    const partial = (created.ARN as string).slice(0, -7);
    const got = await h.sm.send(new GetSecretValueCommand({ SecretId: partial }));
    expect(got.SecretString).toBe('v1');
  });

  it('refuses a second secret with the same name, but answers a retried create idempotently', async () => {
    const first = await h.sm.send(
      new CreateSecretCommand({ Name: 'dup', SecretString: 'x', ClientRequestToken: token('c1') }),
    );
    const retry = await h.sm.send(
      new CreateSecretCommand({ Name: 'dup', SecretString: 'x', ClientRequestToken: token('c1') }),
    );
    expect(retry).toMatchObject({ ARN: first.ARN, VersionId: first.VersionId });
    const err = await rejectionOf(h.sm.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'y' })));
    expect(err).toBeInstanceOf(ResourceExistsException);
    expect(h.aws.inspectSecret('dup')?.versions).toHaveLength(1);
  });

  it('creates a secret without a value: no version, and GetSecretValue finds nothing', async () => {
    const created = await h.sm.send(new CreateSecretCommand({ Name: 'empty' }));
    expect(created.VersionId).toBeUndefined();
    const d = await h.sm.send(new DescribeSecretCommand({ SecretId: 'empty' }));
    expect(d.VersionIdsToStages).toEqual({});
    const err = await rejectionOf(h.sm.send(new GetSecretValueCommand({ SecretId: 'empty' })));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(err.message).toContain('staging label: AWSCURRENT');
  });

  it('rejects an invalid name and a request with both SecretString and SecretBinary', async () => {
    const bad = await rejectionOf(h.sm.send(new CreateSecretCommand({ Name: 'has space', SecretString: 'x' })));
    expect(bad).toBeInstanceOf(InvalidParameterException);
    const both = await rejectionOf(
      h.sm.send(new CreateSecretCommand({ Name: 'both', SecretString: 'x', SecretBinary: new Uint8Array([1]) })),
    );
    expect(both).toBeInstanceOf(InvalidParameterException);
  });

  it('round-trips SecretBinary', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 'bin', SecretBinary: new Uint8Array([0, 1, 254, 255]) }));
    const got = await h.sm.send(new GetSecretValueCommand({ SecretId: 'bin' }));
    expect(got.SecretString).toBeUndefined();
    expect([...(got.SecretBinary ?? [])]).toEqual([0, 1, 254, 255]);
  });
});

describe('GetSecretValue', () => {
  it('selects by VersionId and/or VersionStage, and refuses a mismatched pair', async () => {
    const v1 = (await create('sel', 'one')).VersionId as string;
    const v2 = (await h.sm.send(new PutSecretValueCommand({ SecretId: 'sel', SecretString: 'two' }))).VersionId as string;

    const current = await h.sm.send(new GetSecretValueCommand({ SecretId: 'sel' }));
    expect(current).toMatchObject({ SecretString: 'two', VersionId: v2, VersionStages: ['AWSCURRENT'] });
    const previous = await h.sm.send(new GetSecretValueCommand({ SecretId: 'sel', VersionStage: 'AWSPREVIOUS' }));
    expect(previous).toMatchObject({ SecretString: 'one', VersionId: v1 });
    const byId = await h.sm.send(new GetSecretValueCommand({ SecretId: 'sel', VersionId: v1, VersionStage: 'AWSPREVIOUS' }));
    expect(byId.SecretString).toBe('one');
    expect(byId.CreatedDate).toEqual(new Date(h.clock.now()));

    // As AWS answers it: a request error naming VersionStage (the product matches /VersionStage/i).
    const mismatch = await rejectionOf(
      h.sm.send(new GetSecretValueCommand({ SecretId: 'sel', VersionId: v1, VersionStage: 'AWSCURRENT' })),
    );
    expect(mismatch).toBeInstanceOf(InvalidRequestException);
    expect(mismatch.message).toBe('You provided a VersionStage that is not associated to the provided VersionId.');
    expect(mismatch.$metadata?.httpStatusCode).toBe(400);
    const noStage = await rejectionOf(h.sm.send(new GetSecretValueCommand({ SecretId: 'sel', VersionStage: 'AWSPENDING' })));
    expect(noStage).toBeInstanceOf(ResourceNotFoundException);
    const noVersion = await rejectionOf(
      h.sm.send(new GetSecretValueCommand({ SecretId: 'sel', VersionId: token('missing') })),
    );
    expect(noVersion).toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers ResourceNotFoundException for an unknown secret, with the SDK error class and status', async () => {
    const err = await rejectionOf(h.sm.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.message).toBe("Secrets Manager can't find the specified secret.");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });
});

describe('PutSecretValue', () => {
  it('moves AWSCURRENT to the new version and AWSPREVIOUS to the old current', async () => {
    const v1 = (await create('chain', 'one')).VersionId as string;
    const put2 = await h.sm.send(new PutSecretValueCommand({ SecretId: 'chain', SecretString: 'two' }));
    expect(put2.VersionStages).toEqual(['AWSCURRENT']);
    const v2 = put2.VersionId as string;
    expect(stagesOf(h.aws, 'chain')).toEqual({ [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT'] });

    const v3 = (await h.sm.send(new PutSecretValueCommand({ SecretId: 'chain', SecretString: 'three' }))).VersionId as string;
    expect(stagesOf(h.aws, 'chain')).toEqual({ [v1]: [], [v2]: ['AWSPREVIOUS'], [v3]: ['AWSCURRENT'] });
    // The label-less v1 is deprecated: hidden from DescribeSecret.
    const d = await h.sm.send(new DescribeSecretCommand({ SecretId: 'chain' }));
    expect(Object.keys(d.VersionIdsToStages ?? {}).sort()).toEqual([v2, v3].sort());
  });

  it('is idempotent for the same token and value, and refuses the same token with another value', async () => {
    await create('idem', 'one');
    const first = await h.sm.send(
      new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'two', ClientRequestToken: token('p1') }),
    );
    h.clock.advance(60_000);
    const again = await h.sm.send(
      new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'two', ClientRequestToken: token('p1') }),
    );
    expect(again.VersionId).toBe(first.VersionId);
    expect(again.VersionStages).toEqual(['AWSCURRENT']);
    const snapshot = h.aws.inspectSecret('idem');
    expect(snapshot?.versions).toHaveLength(2);
    expect(snapshot?.lastChangedDate).toEqual(new Date(h.clock.now() - 60_000));

    const err = await rejectionOf(
      h.sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'other', ClientRequestToken: token('p1') })),
    );
    expect(err).toBeInstanceOf(ResourceExistsException);
    const current = await h.sm.send(new GetSecretValueCommand({ SecretId: 'idem' }));
    expect(current.SecretString).toBe('two');
  });

  it('attaches the given labels only, taking each off the version that had it', async () => {
    const v1 = (await create('labels', 'one')).VersionId as string;
    const a = await h.sm.send(
      new PutSecretValueCommand({ SecretId: 'labels', SecretString: 'a', VersionStages: ['AWSPENDING', 'blue'] }),
    );
    expect(stagesOf(h.aws, 'labels')).toEqual({ [v1]: ['AWSCURRENT'], [a.VersionId as string]: ['AWSPENDING', 'blue'] });
    const b = await h.sm.send(
      new PutSecretValueCommand({ SecretId: 'labels', SecretString: 'b', VersionStages: ['blue'] }),
    );
    expect(stagesOf(h.aws, 'labels')).toEqual({
      [v1]: ['AWSCURRENT'],
      [a.VersionId as string]: ['AWSPENDING'],
      [b.VersionId as string]: ['blue'],
    });
  });

  it('gives the first version of a secret created without a value AWSCURRENT', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 'later' }));
    const put = await h.sm.send(
      new PutSecretValueCommand({ SecretId: 'later', SecretString: 'x', VersionStages: ['AWSPENDING'] }),
    );
    expect([...(put.VersionStages ?? [])].sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
  });

  it('keeps at most 100 versions by dropping the oldest deprecated ones', async () => {
    const first = (await create('many', 'v0')).VersionId as string;
    let last = '';
    for (let i = 1; i <= 105; i++) {
      last = (await h.sm.send(new PutSecretValueCommand({ SecretId: 'many', SecretString: `v${i}` }))).VersionId as string;
    }
    const versions = h.aws.inspectSecret('many')?.versions ?? [];
    expect(versions).toHaveLength(100);
    expect(versions.some((v) => v.versionId === first)).toBe(false);
    expect(versions.find((v) => v.versionId === last)?.stages).toEqual(['AWSCURRENT']);
    expect(versions.filter((v) => v.stages.includes('AWSPREVIOUS')).map((v) => v.secretString)).toEqual(['v104']);
  });

  it('requires a value', async () => {
    await create('needs-value');
    const err = await rejectionOf(h.sm.send(new PutSecretValueCommand({ SecretId: 'needs-value' })));
    expect(err).toBeInstanceOf(InvalidParameterException);
  });
});

describe('UpdateSecretVersionStage', () => {
  it('requires RemoveFromVersionId to name the version that holds the label', async () => {
    const v1 = (await create('move', 'one')).VersionId as string;
    const v2 = (
      await h.sm.send(new PutSecretValueCommand({ SecretId: 'move', SecretString: 'two', VersionStages: ['AWSPENDING'] }))
    ).VersionId as string;

    const missing = await rejectionOf(
      h.sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'move', VersionStage: 'AWSCURRENT', MoveToVersionId: v2 })),
    );
    expect(missing).toBeInstanceOf(InvalidParameterException);
    expect(missing.message).toContain(v1);

    const wrong = await rejectionOf(
      h.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'move',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: v2,
          RemoveFromVersionId: v2,
        }),
      ),
    );
    expect(wrong).toBeInstanceOf(InvalidParameterException);
    expect(stagesOf(h.aws, 'move')).toEqual({ [v1]: ['AWSCURRENT'], [v2]: ['AWSPENDING'] });

    await h.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'move',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v2,
        RemoveFromVersionId: v1,
      }),
    );
    expect(stagesOf(h.aws, 'move')).toEqual({ [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT', 'AWSPENDING'] });
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: 'move' }))).SecretString).toBe('two');
  });

  it('rolls back: moving AWSCURRENT to the previous version swaps AWSPREVIOUS', async () => {
    const v1 = (await create('rollback', 'one')).VersionId as string;
    const v2 = (await h.sm.send(new PutSecretValueCommand({ SecretId: 'rollback', SecretString: 'two' }))).VersionId as string;
    await h.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'rollback',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v1,
        RemoveFromVersionId: v2,
      }),
    );
    expect(stagesOf(h.aws, 'rollback')).toEqual({ [v1]: ['AWSCURRENT'], [v2]: ['AWSPREVIOUS'] });
  });

  it('removes a label without moving it, except AWSCURRENT', async () => {
    const v1 = (await create('remove', 'one')).VersionId as string;
    const v2 = (
      await h.sm.send(new PutSecretValueCommand({ SecretId: 'remove', SecretString: 'two', VersionStages: ['AWSPENDING'] }))
    ).VersionId as string;
    await h.sm.send(
      new UpdateSecretVersionStageCommand({ SecretId: 'remove', VersionStage: 'AWSPENDING', RemoveFromVersionId: v2 }),
    );
    expect(stagesOf(h.aws, 'remove')).toEqual({ [v1]: ['AWSCURRENT'], [v2]: [] });

    const refused = await rejectionOf(
      h.sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'remove', VersionStage: 'AWSCURRENT', RemoveFromVersionId: v1 })),
    );
    expect(refused).toBeInstanceOf(InvalidParameterException);
    const notThere = await rejectionOf(
      h.sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'remove', VersionStage: 'blue', RemoveFromVersionId: v1 })),
    );
    expect(notThere).toBeInstanceOf(InvalidParameterException);
    expect(stagesOf(h.aws, 'remove')[v1]).toEqual(['AWSCURRENT']);
  });

  it('attaches a new custom label with MoveToVersionId alone', async () => {
    const v1 = (await create('custom', 'one')).VersionId as string;
    await h.sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'custom', VersionStage: 'blue', MoveToVersionId: v1 }));
    expect(stagesOf(h.aws, 'custom')[v1]).toEqual(['AWSCURRENT', 'blue']);
  });
});

describe('ListSecrets', () => {
  it('filters by tag and pages through 250 secrets with NextToken', async () => {
    for (let batch = 0; batch < 250; batch += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) => {
          const i = batch + j;
          const managed = i % 2 === 0;
          return create(`s-${String(i).padStart(3, '0')}`, 'x', {
            Tags: [{ Key: managed ? 'tg-token-rotation:managed' : 'other', Value: managed ? 'true' : 'no' }],
          });
        }),
      );
    }
    const first = await h.sm.send(new ListSecretsCommand({ MaxResults: 100 }));
    expect(first.SecretList).toHaveLength(100);
    expect(first.NextToken).toBeTypeOf('string');

    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListSecrets({ client: h.sm, pageSize: 100 }, {})) {
      pages++;
      names.push(...(page.SecretList ?? []).map((s) => s.Name as string));
    }
    expect(pages).toBe(3);
    expect(names).toHaveLength(250);
    expect(new Set(names).size).toBe(250);

    const managed: string[] = [];
    let next: string | undefined;
    do {
      const page = await h.sm.send(
        new ListSecretsCommand({
          MaxResults: 40,
          NextToken: next,
          Filters: [
            { Key: 'tag-key', Values: ['tg-token-rotation:managed'] },
            { Key: 'tag-value', Values: ['true'] },
          ],
        }),
      );
      managed.push(...(page.SecretList ?? []).map((s) => s.Name as string));
      next = page.NextToken;
    } while (next);
    expect(managed).toHaveLength(125);
    expect(managed.every((n) => Number(n.slice(2)) % 2 === 0)).toBe(true);
  });

  it('matches name by case-sensitive prefix, supports negation, and reports entry fields', async () => {
    await create('DatabaseSecret');
    await create('databaseSecret');
    await create('MyDatabase');
    const byName = await h.sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['Data'] }] }));
    expect(byName.SecretList?.map((s) => s.Name)).toEqual(['DatabaseSecret']);
    const negated = await h.sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['!Data'] }] }));
    expect(negated.SecretList?.map((s) => s.Name).sort()).toEqual(['MyDatabase', 'databaseSecret']);
    const entry = byName.SecretList?.[0];
    expect(entry?.SecretVersionsToStages).toEqual(stagesOf(h.aws, 'DatabaseSecret'));
    expect(entry?.CreatedDate).toEqual(new Date(h.clock.now()));
  });

  it('carries SecretVersionsToStages (labelled versions only) and Tags in each entry, as the product relies on', async () => {
    const v1 = (await create('listed', 'one', { Tags: [{ Key: 'tg-token-rotation:managed', Value: 'true' }] })).VersionId as string;
    const v2 = (await h.sm.send(new PutSecretValueCommand({ SecretId: 'listed', SecretString: 'two' }))).VersionId as string;
    const v3 = (await h.sm.send(new PutSecretValueCommand({ SecretId: 'listed', SecretString: 'three' }))).VersionId as string;
    const pending = (
      await h.sm.send(new PutSecretValueCommand({ SecretId: 'listed', SecretString: 'four', VersionStages: ['AWSPENDING'] }))
    ).VersionId as string;
    await h.sm.send(new TagResourceCommand({ SecretId: 'listed', Tags: [{ Key: 'team', Value: 'graph' }] }));
    await create('untagged', 'x');

    const listed = await h.sm.send(new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: ['tg-token-rotation:managed'] }] }));
    expect(listed.SecretList).toHaveLength(1);
    const entry = listed.SecretList?.[0];
    // v1 lost its last label (AWSPREVIOUS moved to v2): deprecated, so not listed.
    expect(entry?.SecretVersionsToStages).toEqual({ [v2]: ['AWSPREVIOUS'], [v3]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] });
    expect(entry?.SecretVersionsToStages?.[v1]).toBeUndefined();
    expect(entry?.Tags).toEqual([
      { Key: 'tg-token-rotation:managed', Value: 'true' },
      { Key: 'team', Value: 'graph' },
    ]);
    const all = await h.sm.send(new ListSecretsCommand({}));
    expect(all.SecretList?.find((e) => e.Name === 'untagged')).toMatchObject({ Tags: [], SecretVersionsToStages: expect.any(Object) });
  });

  it('validates MaxResults, filter keys and NextToken', async () => {
    const tooMany = await rejectionOf(h.sm.send(new ListSecretsCommand({ MaxResults: 101 })));
    expect(tooMany.name).toBe('ValidationException');
    const badKey = await rejectionOf(
      h.sm.send(new ListSecretsCommand({ Filters: [{ Key: 'colour' as 'name', Values: ['x'] }] })),
    );
    expect(badKey.name).toBe('ValidationException');
    const badToken = await rejectionOf(h.sm.send(new ListSecretsCommand({ NextToken: 'garbage' })));
    expect(badToken.name).toBe('InvalidNextTokenException');
  });
});

describe('ListSecretVersionIds', () => {
  it('lists labelled versions, deprecated ones on request, with dates and paging', async () => {
    const v1 = (await create('versions', 'one')).VersionId as string;
    h.clock.advance(DAY_MS);
    const v2 = (await h.sm.send(new PutSecretValueCommand({ SecretId: 'versions', SecretString: 'two' }))).VersionId as string;
    const v3 = (await h.sm.send(new PutSecretValueCommand({ SecretId: 'versions', SecretString: 'three' }))).VersionId as string;
    await h.sm.send(new GetSecretValueCommand({ SecretId: 'versions' }));

    const live = await h.sm.send(new ListSecretVersionIdsCommand({ SecretId: 'versions' }));
    expect(live.Versions?.map((v) => v.VersionId)).toEqual([v2, v3]);
    const current = live.Versions?.find((v) => v.VersionId === v3);
    expect(current?.VersionStages).toEqual(['AWSCURRENT']);
    expect(current?.CreatedDate).toEqual(new Date(h.clock.now()));
    // Secrets Manager reports the access date rounded down to the day.
    expect(current?.LastAccessedDate).toEqual(new Date(Date.UTC(2026, 0, 16)));
    expect(live.Versions?.find((v) => v.VersionId === v2)?.LastAccessedDate).toBeUndefined();

    const all = await h.sm.send(new ListSecretVersionIdsCommand({ SecretId: 'versions', IncludeDeprecated: true }));
    expect(all.Versions?.map((v) => v.VersionId)).toEqual([v1, v2, v3]);
    expect(all.Versions?.[0]?.VersionStages).toEqual([]);

    const page1 = await h.sm.send(
      new ListSecretVersionIdsCommand({ SecretId: 'versions', IncludeDeprecated: true, MaxResults: 2 }),
    );
    expect(page1.Versions).toHaveLength(2);
    const page2 = await h.sm.send(
      new ListSecretVersionIdsCommand({ SecretId: 'versions', IncludeDeprecated: true, MaxResults: 2, NextToken: page1.NextToken }),
    );
    expect(page2.Versions?.map((v) => v.VersionId)).toEqual([v3]);
    expect(page2.NextToken).toBeUndefined();
  });
});

describe('TagResource / UntagResource / UpdateSecret', () => {
  it('adds, overwrites and removes tags', async () => {
    await create('tags', 'x', { Tags: [{ Key: 'a', Value: '1' }] });
    await h.sm.send(new TagResourceCommand({ SecretId: 'tags', Tags: [{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }] }));
    let d = await h.sm.send(new DescribeSecretCommand({ SecretId: 'tags' }));
    expect(d.Tags).toEqual([{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }]);
    await h.sm.send(new UntagResourceCommand({ SecretId: 'tags', TagKeys: ['a'] }));
    d = await h.sm.send(new DescribeSecretCommand({ SecretId: 'tags' }));
    expect(d.Tags).toEqual([{ Key: 'b', Value: '3' }]);
    const listed = await h.sm.send(new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: ['a'] }] }));
    expect(listed.SecretList).toEqual([]);
  });

  it('UpdateSecret changes the description and stores a new current value', async () => {
    const v1 = (await create('upd', 'one')).VersionId as string;
    const updated = await h.sm.send(new UpdateSecretCommand({ SecretId: 'upd', Description: 'new', SecretString: 'two' }));
    expect(stagesOf(h.aws, 'upd')).toEqual({ [v1]: ['AWSPREVIOUS'], [updated.VersionId as string]: ['AWSCURRENT'] });
    expect((await h.sm.send(new DescribeSecretCommand({ SecretId: 'upd' }))).Description).toBe('new');
  });
});

describe('DeleteSecret', () => {
  it('schedules deletion: operations refused, hidden from ListSecrets, restorable, gone after the window', async () => {
    await create('doomed', 'x');
    await create('kept', 'y');
    const deleted = await h.sm.send(new DeleteSecretCommand({ SecretId: 'doomed', RecoveryWindowInDays: 7 }));
    expect(deleted.DeletionDate).toEqual(new Date(h.clock.now() + 7 * DAY_MS));

    for (const call of [
      h.sm.send(new GetSecretValueCommand({ SecretId: 'doomed' })),
      h.sm.send(new PutSecretValueCommand({ SecretId: 'doomed', SecretString: 'z' })),
      h.sm.send(new DeleteSecretCommand({ SecretId: 'doomed' })),
    ]) {
      const err = await rejectionOf(call);
      expect(err).toBeInstanceOf(InvalidRequestException);
      expect(err.message).toContain('marked for deletion');
    }
    const d = await h.sm.send(new DescribeSecretCommand({ SecretId: 'doomed' }));
    expect(d.DeletedDate).toEqual(deleted.DeletionDate);
    expect((await h.sm.send(new ListSecretsCommand({}))).SecretList?.map((s) => s.Name)).toEqual(['kept']);
    const withDeleted = await h.sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true }));
    expect(withDeleted.SecretList?.map((s) => s.Name)).toEqual(['doomed', 'kept']);
    const recreate = await rejectionOf(h.sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'n' })));
    expect(recreate).toBeInstanceOf(InvalidRequestException);

    await h.sm.send(new RestoreSecretCommand({ SecretId: 'doomed' }));
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).SecretString).toBe('x');

    await h.sm.send(new DeleteSecretCommand({ SecretId: 'doomed' })); // default window: 30 days
    h.clock.advance(29 * DAY_MS);
    expect(h.aws.inspectSecret('doomed')).toBeDefined();
    h.clock.advance(DAY_MS);
    const gone = await rejectionOf(h.sm.send(new DescribeSecretCommand({ SecretId: 'doomed' })));
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
  });

  it('force-deletes at once, also a secret already scheduled for deletion', async () => {
    await create('force', 'x');
    await h.sm.send(new DeleteSecretCommand({ SecretId: 'force' }));
    await h.sm.send(new DeleteSecretCommand({ SecretId: 'force', ForceDeleteWithoutRecovery: true }));
    expect(h.aws.inspectSecret('force')).toBeUndefined();
    const created = await create('force', 'again');
    expect(created.Name).toBe('force');
  });

  it('validates the recovery options', async () => {
    await create('opts', 'x');
    const short = await rejectionOf(h.sm.send(new DeleteSecretCommand({ SecretId: 'opts', RecoveryWindowInDays: 3 })));
    expect(short).toBeInstanceOf(InvalidParameterException);
    const both = await rejectionOf(
      h.sm.send(new DeleteSecretCommand({ SecretId: 'opts', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })),
    );
    expect(both).toBeInstanceOf(InvalidParameterException);
    expect(h.aws.inspectSecret('opts')?.deletionDate).toBeUndefined();
  });
});

describe('inspection', () => {
  it('exposes versions with values and labels without going through the SDK', async () => {
    const created = await create('inspect', 'secret-value');
    const snap = h.aws.inspectSecret(created.ARN as string);
    expect(snap?.name).toBe('inspect');
    expect(snap?.versions).toEqual([
      { versionId: created.VersionId, stages: ['AWSCURRENT'], secretString: 'secret-value', createdDate: new Date(h.clock.now()) },
    ]);
    expect(currentOf(stagesOf(h.aws, 'inspect'))).toBe(created.VersionId);
    expect(h.aws.inspectSecret('absent')).toBeUndefined();
  });
});
