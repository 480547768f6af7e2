/**
 * writeCurrent (every write to a token secret outside a rotation) against the local Secrets
 * Manager endpoint: which version ends up AWSCURRENT and AWSPREVIOUS, which replaced tokens stay
 * tracked (AWSPREVIOUS, `retiredVersionIds`), when the secret stays settled, and what it refuses
 * to overwrite (a newer current version, a rotation in flight). Also `retiredVersionIds` itself.
 */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../core/deps.js';
import { RotationStateError } from '../../core/errors.js';
import { loadManaged } from '../../core/operations/managed-secret.js';
import { retiredVersionIds, RotationPendingError, writeCurrent } from '../../core/operations/write-current.js';
import { MemoryProvider, memoryOpener } from '../helpers/memory-provider.js';
import { rejection } from '../helpers/fakes.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();

function deps(): Deps {
  return fx.deps(memoryOpener(new MemoryProvider()));
}

const stagesOf = (arn: string, versionId: string) => fx.labels(arn)[versionId] ?? [];
const holderOf = (arn: string, stage: string) => Object.entries(fx.labels(arn)).find(([, l]) => l.includes(stage))?.[0];
const writes = () => fx.aws.countCalls('PutSecretValue') + fx.aws.countCalls('UpdateSecretVersionStage');

/** Current token `current` over a replaced token `old` (AWSPREVIOUS); `settled` marks the current version TGSETTLED. */
async function replaced(options: { settled?: boolean; currentExtra?: Record<string, unknown> } = {}) {
  const { arn, versionId: oldVersion } = await fx.createSecret('write/s', tokenJson(fx.clock, 'old-token-0123456789abcdef', 20 * DAY));
  const stages = options.settled ? ['AWSCURRENT', 'TGSETTLED'] : ['AWSCURRENT'];
  const currentVersion = await fx.putVersion(arn, tokenJson(fx.clock, 'current-token-0123456789abcdef', 2 * DAY, options.currentExtra), stages);
  return { arn, oldVersion, currentVersion };
}

async function write(arn: string, next: Record<string, unknown>, d: Deps = deps()) {
  const managed = await loadManaged(arn, d.store);
  fx.aws.resetRequestLog();
  return writeCurrent(managed, d, JSON.stringify(next), 'refreshing');
}

describe('writeCurrent: the same token written again (a refresh in place, a settings change)', () => {
  it('over a replaced token not yet revoked: the new version is current and AWSPREVIOUS goes back to the replaced token', async () => {
    const s = await replaced();
    const versionId = await write(s.arn, tokenJson(fx.clock, 'current-token-0123456789abcdef', 30 * DAY));
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(versionId);
    expect(holderOf(s.arn, 'AWSPREVIOUS')).toBe(s.oldVersion);
    expect(stagesOf(s.arn, versionId)).not.toContain('TGSETTLED');
    expect(fx.valueAt(s.arn, 'AWSCURRENT')).not.toHaveProperty('retiredVersionIds');
  });

  it('of a settled secret: stays settled, in two writes (AWSPREVIOUS, marking nothing to revoke, stays on the old current)', async () => {
    const s = await replaced({ settled: true });
    const versionId = await write(s.arn, tokenJson(fx.clock, 'current-token-0123456789abcdef', 30 * DAY));
    expect(stagesOf(s.arn, versionId)).toEqual(expect.arrayContaining(['AWSCURRENT', 'TGSETTLED']));
    expect(holderOf(s.arn, 'AWSPREVIOUS')).toBe(s.currentVersion);
    expect(writes()).toBe(2);
  });

  it('of a secret never rotated (no AWSPREVIOUS): two writes, and it does not become settled', async () => {
    const { arn, versionId: first } = await fx.createSecret('write/fresh', tokenJson(fx.clock, 'only-token-0123456789abcdef', 2 * DAY));
    const versionId = await write(arn, tokenJson(fx.clock, 'only-token-0123456789abcdef', 30 * DAY));
    expect(holderOf(arn, 'AWSCURRENT')).toBe(versionId);
    expect(holderOf(arn, 'AWSPREVIOUS')).toBe(first);
    expect(stagesOf(arn, versionId)).not.toContain('TGSETTLED');
    expect(writes()).toBe(2);
  });
});

describe('writeCurrent: a secret without a token yet (settings changed before its first rotation)', () => {
  it('writes the value as the new current version', async () => {
    const { arn } = await fx.createSecret('write/no-token', tokenJson(fx.clock, undefined, 0));
    const versionId = await write(arn, { ...tokenJson(fx.clock, undefined, 0), lifetimeSeconds: DAY });
    expect(holderOf(arn, 'AWSCURRENT')).toBe(versionId);
    expect(fx.valueAt(arn, 'AWSCURRENT')).toMatchObject({ lifetimeSeconds: DAY });
    expect(fx.valueAt(arn, 'AWSCURRENT')).not.toHaveProperty('token');
  });
});

describe('writeCurrent: a new token', () => {
  it('the replaced current token becomes AWSPREVIOUS and the older unrevoked one is listed in retiredVersionIds', async () => {
    const s = await replaced();
    const versionId = await write(s.arn, tokenJson(fx.clock, 'new-token-0123456789abcdef', 30 * DAY));
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(versionId);
    expect(holderOf(s.arn, 'AWSPREVIOUS')).toBe(s.currentVersion);
    expect(fx.valueAt(s.arn, 'AWSCURRENT')!.retiredVersionIds).toEqual([s.oldVersion]);
    expect(stagesOf(s.arn, versionId)).not.toContain('TGSETTLED');
  });

  it('over a settled current: nothing is listed, and a stale list in the value written is dropped', async () => {
    const s = await replaced({ settled: true });
    const versionId = await write(s.arn, tokenJson(fx.clock, 'new-token-0123456789abcdef', 30 * DAY, { retiredVersionIds: ['stale'] }));
    expect(fx.valueAt(s.arn, 'AWSCURRENT')).not.toHaveProperty('retiredVersionIds');
    expect(holderOf(s.arn, 'AWSPREVIOUS')).toBe(s.currentVersion);
    expect(stagesOf(s.arn, versionId)).not.toContain('TGSETTLED');
  });

  it('keeps the list the current value carries, adding AWSPREVIOUS once', async () => {
    const s = await replaced({ currentExtra: { retiredVersionIds: ['older-1', 'older-2'] } });
    await write(s.arn, tokenJson(fx.clock, 'new-token-0123456789abcdef', 30 * DAY));
    expect(fx.valueAt(s.arn, 'AWSCURRENT')!.retiredVersionIds).toEqual(['older-1', 'older-2', s.oldVersion]);
  });
});

describe('writeCurrent: what it refuses to overwrite', () => {
  it('a current version written since the read: RotationStateError, nothing written', async () => {
    const s = await replaced();
    const d = deps();
    const managed = await loadManaged(s.arn, d.store);
    const newer = await fx.putVersion(s.arn, tokenJson(fx.clock, 'newer-token-0123456789abcdef', 30 * DAY), ['AWSCURRENT']);
    fx.aws.resetRequestLog();
    const error = await rejection(writeCurrent(managed, d, JSON.stringify(tokenJson(fx.clock, 'x-token-0123456789abcdef', DAY)), 'refreshing'));
    expect(error).toBeInstanceOf(RotationStateError);
    expect(error).not.toBeInstanceOf(RotationPendingError);
    expect(error.message).toBe(
      `AWSCURRENT of ${s.arn} changed while refreshing (a concurrent rotation or refresh); the newer version stays current and nothing was overwritten`,
    );
    expect(writes()).toBe(0);
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(newer);
  });

  it('a rotation in flight (AWSPENDING on another version): RotationPendingError, nothing written', async () => {
    const s = await replaced();
    await fx.putVersion(s.arn, tokenJson(fx.clock, 'pending-token-0123456789abcdef', 30 * DAY), ['AWSPENDING']);
    const error = await rejection(write(s.arn, tokenJson(fx.clock, 'current-token-0123456789abcdef', 30 * DAY)));
    expect(error).toBeInstanceOf(RotationPendingError);
    expect(error.message).toBe(`A rotation of ${s.arn} is in progress; refreshing waits until it has finished (try again shortly)`);
    expect(writes()).toBe(0);
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(s.currentVersion);
  });

  it('AWSPENDING left on the current version itself (a finished rotation) does not stop the write', async () => {
    const s = await replaced();
    await fx.putVersion(s.arn, tokenJson(fx.clock, 'current-token-0123456789abcdef', 2 * DAY), ['AWSCURRENT', 'AWSPENDING']);
    const before = holderOf(s.arn, 'AWSCURRENT');
    const versionId = await write(s.arn, tokenJson(fx.clock, 'current-token-0123456789abcdef', 30 * DAY));
    expect(versionId).not.toBe(before);
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(versionId);
  });
});

describe('writeCurrent: when moving AWSCURRENT fails', () => {
  /** Deps whose first move of AWSCURRENT runs `before` and then fails with `errorName`. */
  function failingMove(errorName: string, before: () => Promise<unknown> = async () => undefined) {
    const d = deps();
    const moveStage = d.store.moveStage.bind(d.store);
    let failed = false;
    d.store.moveStage = async (secretId, stage, to, from) => {
      if (stage === 'AWSCURRENT' && !failed) {
        failed = true;
        await before();
        throw Object.assign(new Error(`${errorName}: simulated`), { name: errorName });
      }
      return moveStage(secretId, stage, to, from);
    };
    return d;
  }
  const next = () => tokenJson(fx.clock, 'current-token-0123456789abcdef', 30 * DAY);

  it.each(['ThrottlingException', 'InvalidParameterException'])(
    'with %s while AWSCURRENT is still on the version read: that error, the current version unchanged, the write label removed',
    async (errorName) => {
      const s = await replaced();
      const error = await rejection(write(s.arn, next(), failingMove(errorName)));
      expect(error.name).toBe(errorName);
      expect(holderOf(s.arn, 'AWSCURRENT')).toBe(s.currentVersion);
      expect(holderOf(s.arn, 'AWSPREVIOUS')).toBe(s.oldVersion);
      expect(holderOf(s.arn, 'TGSTAGED')).toBeUndefined();
    },
  );

  it('with InvalidParameterException because another write made a newer version current: RotationStateError, the newer version stays', async () => {
    const s = await replaced();
    let newer = '';
    const d = failingMove('InvalidParameterException', async () => {
      newer = await fx.putVersion(s.arn, tokenJson(fx.clock, 'newer-token-0123456789abcdef', 30 * DAY), ['AWSCURRENT']);
    });
    const error = await rejection(write(s.arn, next(), d));
    expect(error).toBeInstanceOf(RotationStateError);
    expect(error.message).toMatch(/changed while refreshing/);
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(newer);
  });

  it('with another error while a newer version became current: that error, as itself', async () => {
    const s = await replaced();
    const d = failingMove('ThrottlingException', () => fx.putVersion(s.arn, tokenJson(fx.clock, 'newer-token-0123456789abcdef', 30 * DAY), ['AWSCURRENT']));
    const error = await rejection(write(s.arn, next(), d));
    expect(error.name).toBe('ThrottlingException');
  });

  it('a failure to remove the write label does not hide the error that matters', async () => {
    const s = await replaced();
    const d = failingMove('ThrottlingException');
    d.store.removeStage = async () => {
      throw Object.assign(new Error('AccessDeniedException: simulated'), { name: 'AccessDeniedException' });
    };
    const error = await rejection(write(s.arn, next(), d));
    expect(error.name).toBe('ThrottlingException');
    expect(holderOf(s.arn, 'AWSCURRENT')).toBe(s.currentVersion);
  });
});

describe('retiredVersionIds: the replaced tokens a new token leaves unrevoked', () => {
  const current = (json: Record<string, unknown>) => ({ versionId: 'cur', secretString: JSON.stringify(json) });
  const description = (versions: Record<string, string[]>) => ({ arn: 'arn:a', name: 'a', rotationEnabled: true, versions, tags: {} });

  it.each<[string, Record<string, unknown>, Record<string, string[]>, string[]]>([
    ['a settled current', { retiredVersionIds: ['r1'] }, { cur: ['AWSCURRENT', 'TGSETTLED'], prev: ['AWSPREVIOUS'] }, []],
    ['a current never rotated', {}, { cur: ['AWSCURRENT'] }, []],
    ['AWSPREVIOUS only', {}, { cur: ['AWSCURRENT'], prev: ['AWSPREVIOUS'] }, ['prev']],
    ['the carried list, then AWSPREVIOUS', { retiredVersionIds: ['r1', 'r2'] }, { cur: ['AWSCURRENT'], prev: ['AWSPREVIOUS'] }, ['r1', 'r2', 'prev']],
    ['AWSPREVIOUS already in the list, once', { retiredVersionIds: ['prev', 'r1'] }, { cur: ['AWSCURRENT'], prev: ['AWSPREVIOUS'] }, ['prev', 'r1']],
    ['only the strings of the list', { retiredVersionIds: ['r1', 7, null, 'r2'] }, { cur: ['AWSCURRENT'] }, ['r1', 'r2']],
    ['a list that is not one', { retiredVersionIds: 'r1' }, { cur: ['AWSCURRENT'] }, []],
    ['AWSPREVIOUS on the current version itself', {}, { cur: ['AWSCURRENT', 'AWSPREVIOUS'] }, []],
    ['a current version no longer labelled', { retiredVersionIds: ['r1'] }, { prev: ['AWSPREVIOUS'] }, ['r1', 'prev']],
  ])('%s', (_what, json, versions, expected) => {
    expect(retiredVersionIds(current(json), description(versions))).toEqual(expected);
  });
});
