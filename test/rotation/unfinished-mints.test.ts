/** Which versions an unfinished mint adds to the tracked ones (issue 22): only a MINTED version that never served. */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../core/deps.js';
import { unfinishedMintVersionIds } from '../../core/rotation/unfinished-mints.js';
import type { SecretDescription } from '../../core/secrets/store.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const future = new Date(NOW + 86_400_000).toISOString();

function setup(stagesOfMinted: string[], value: Record<string, unknown> | undefined) {
  const reads: string[] = [];
  const description: SecretDescription = {
    arn: 'arn:s',
    name: 's',
    rotationEnabled: true,
    versions: { current: ['AWSCURRENT'], minted: stagesOfMinted },
    tags: {},
  };
  const deps = {
    clock: { now: () => NOW },
    store: {
      tryGet: async (_id: string, { versionId }: { versionId?: string }) => {
        reads.push(String(versionId));
        return value ? { versionId: String(versionId), secretString: JSON.stringify(value), stages: stagesOfMinted } : undefined;
      },
    },
  } as unknown as Pick<Deps, 'store' | 'clock'>;
  return { description, deps, reads };
}

describe('unfinishedMintVersionIds', () => {
  it('a MINTED version with no other label and a live token of its own: it, and what its value tracked', async () => {
    const s = setup(['TGMINTED'], { token: 'orphan', expiresAt: future, retiredVersionIds: ['older'] });
    expect(await unfinishedMintVersionIds(s.description, 'current-token', s.deps, [])).toEqual(['minted', 'older']);
  });

  it.each([
    ['it is AWSCURRENT (the last rotation finished)', ['TGMINTED', 'AWSCURRENT']],
    ['it is AWSPREVIOUS (it served, and is tracked as replaced)', ['TGMINTED', 'AWSPREVIOUS']],
  ])('nothing when %s, and no read', async (_name, stages) => {
    const s = setup(stages, { token: 'x', expiresAt: future });
    s.description.versions = { minted: stages, ...(stages.includes('AWSCURRENT') ? {} : { current: ['AWSCURRENT'] }) };
    expect(await unfinishedMintVersionIds(s.description, 'current-token', s.deps, [])).toEqual([]);
    expect(s.reads).toEqual([]);
  });

  it('not the version itself when its token expired, or is the current token, or it holds none', async () => {
    for (const value of [
      { token: 'orphan', expiresAt: new Date(NOW - 1).toISOString() },
      { token: 'current-token', expiresAt: future },
      { expiresAt: future },
    ]) {
      const s = setup(['TGMINTED'], value);
      expect(await unfinishedMintVersionIds(s.description, 'current-token', s.deps, [])).toEqual([]);
    }
  });

  it('a token that never expires (expiresAt null) or records no expiry is live: the version is tracked', async () => {
    for (const value of [{ token: 'orphan', expiresAt: null }, { token: 'orphan' }]) {
      const s = setup(['TGMINTED'], value);
      expect(await unfinishedMintVersionIds(s.description, 'current-token', s.deps, [])).toEqual(['minted']);
    }
  });

  it('a token expiring at this very instant is expired: not tracked', async () => {
    const s = setup(['TGMINTED'], { token: 'orphan', expiresAt: new Date(NOW).toISOString() });
    expect(await unfinishedMintVersionIds(s.description, 'current-token', s.deps, [])).toEqual([]);
  });

  it('what the version tracked is carried without its entries that are not version ids', async () => {
    const s = setup(['TGMINTED'], { token: 'orphan', expiresAt: future, retiredVersionIds: ['older', 7, null, 'oldest'] });
    expect(await unfinishedMintVersionIds(s.description, 'current-token', s.deps, [])).toEqual(['minted', 'older', 'oldest']);
  });

  it('a version that can no longer be read, or whose tracked list is not a list, adds nothing of its own list', async () => {
    const gone = setup(['TGMINTED'], undefined);
    expect(await unfinishedMintVersionIds(gone.description, 'current-token', gone.deps, [])).toEqual([]);
    expect(gone.reads).toEqual(['minted']);
    const odd = setup(['TGMINTED'], { token: 'orphan', expiresAt: future, retiredVersionIds: 'older' });
    expect(await unfinishedMintVersionIds(odd.description, 'current-token', odd.deps, [])).toEqual(['minted']);
  });

  it('nothing when no version carries MINTED (a secret rotated before the label existed)', async () => {
    const s = setup([], undefined);
    expect(await unfinishedMintVersionIds(s.description, 'current-token', s.deps, [])).toEqual([]);
  });
});
