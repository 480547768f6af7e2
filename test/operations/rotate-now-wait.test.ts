/**
 * rotateNow's wait, on a scripted store: what it reports while finishSecret is between its two
 * label changes (AWSCURRENT moved, AWSPENDING not yet removed), so a request right after a
 * "finished" one is not refused as "a rotation is in progress".
 */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../core/deps.js';
import { rotateNow } from '../../core/operations/rotate-now.js';
import type { SecretDescription } from '../../core/secrets/store.js';

const V = 'v-new';

/**
 * A store whose DescribeSecret answers, after RotateSecret, `stagesByLook[i]` for the new version at
 * the i-th look (the last one repeats); before it (rotateNow looks first), only the old version.
 */
function scripted(stagesByLook: string[][]) {
  let looks = 0;
  let rotated = false;
  const store = {
    rotate: async () => ((rotated = true), V),
    describe: async (): Promise<SecretDescription> => {
      if (!rotated) return { arn: 'arn:s', name: 's', rotationEnabled: true, versions: { old: ['AWSCURRENT'] }, tags: {} };
      const stages = stagesByLook[Math.min(looks, stagesByLook.length - 1)]!;
      looks++;
      return { arn: 'arn:s', name: 's', rotationEnabled: true, versions: { old: stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : ['AWSCURRENT'], [V]: stages }, tags: {} };
    },
    tryGet: async () => ({ versionId: V, secretString: JSON.stringify({ token: 't', expiresAt: '2030-01-01T00:00:00.000Z' }) }),
  };
  const deps = { store, providers: {}, clock: { now: () => Date.now() } } as unknown as Deps;
  return { deps, looks: () => looks };
}

describe('rotateNow: a rotation between finishSecret\'s two label changes', () => {
  it('waits for AWSPENDING to come off the new current version before it reports finished', async () => {
    const s = scripted([['AWSPENDING'], ['AWSCURRENT', 'AWSPENDING'], ['AWSCURRENT']]);
    const result = await rotateNow('s', s.deps, { timeoutMs: 5_000, pollMs: 5 });
    expect(result).toMatchObject({ state: 'finished', versionId: V, expiresAt: '2030-01-01T00:00:00.000Z' });
    expect(s.looks()).toBe(3);
  });

  it('still reports finished when AWSPENDING stays on the current version past the wait', async () => {
    const s = scripted([['AWSCURRENT', 'AWSPENDING']]);
    expect(await rotateNow('s', s.deps, { timeoutMs: 60, pollMs: 5 })).toMatchObject({ state: 'finished' });
  });

  it('without a wait: pending, and no look after RotateSecret (the sweep looks at the outcomes of the rotations it started)', async () => {
    const s = scripted([['AWSCURRENT', 'AWSPENDING']]);
    expect(await rotateNow('s', s.deps)).toEqual({ method: 'rotate', versionId: V, state: 'pending' });
    expect(s.looks()).toBe(0);
  });
});
