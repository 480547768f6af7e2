/** How a started rotation ended, as the secret shows it (core/operations/rotation-outcome.ts), and the looks the sweep takes before it returns. */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../core/deps.js';
import { ROTATION_ERROR_TAG } from '../../core/names.js';
import { rotationOutcome, rotationOutcomes, type StartedRotation } from '../../core/operations/rotation-outcome.js';

describe('rotationOutcome', () => {
  it('finished once the version is AWSCURRENT, whatever a failure record says', () => {
    expect(rotationOutcome({ versions: { v2: ['AWSCURRENT'] }, tags: { [ROTATION_ERROR_TAG]: 'v2 createSecret boom at x' } }, 'v2')).toEqual({ state: 'finished' });
  });

  it('failed when the record names the version: the reason without the version id', () => {
    expect(rotationOutcome({ versions: { v2: ['AWSPENDING'] }, tags: { [ROTATION_ERROR_TAG]: 'v2 testSecret refused at x' } }, 'v2')).toEqual({ state: 'failed', reason: 'testSecret refused at x' });
  });

  it('running: no record, a record of another version (also one whose id starts alike), or the stale record seen when it was re-driven', () => {
    const versions = { v2: ['AWSPENDING'] };
    expect(rotationOutcome({ versions, tags: {} }, 'v2')).toEqual({ state: 'running' });
    expect(rotationOutcome({ versions, tags: { [ROTATION_ERROR_TAG]: 'v1 createSecret boom' } }, 'v2')).toEqual({ state: 'running' });
    expect(rotationOutcome({ versions, tags: { [ROTATION_ERROR_TAG]: 'v20 createSecret boom' } }, 'v2')).toEqual({ state: 'running' });
    expect(rotationOutcome({ versions, tags: { [ROTATION_ERROR_TAG]: 'v2 createSecret old' } }, 'v2', 'v2 createSecret old')).toEqual({ state: 'running' });
    expect(rotationOutcome({ versions: {}, tags: {} }, 'v9')).toEqual({ state: 'running' });
  });
});

describe('rotationOutcomes', () => {
  /** A store whose DescribeSecret answers, per secret, from a script of looks (the last one repeats); 'throw' fails a look. */
  function scripted(script: Record<string, Array<'running' | 'finished' | 'failed' | 'throw'>>) {
    const looks: Record<string, number> = {};
    const store = {
      describe: async (id: string) => {
        const n = (looks[id] = (looks[id] ?? 0) + 1);
        const steps = script[id] ?? ['running'];
        const step = steps[Math.min(n, steps.length) - 1];
        if (step === 'throw') throw new Error('ThrottlingException');
        return {
          versions: { v: step === 'finished' ? ['AWSCURRENT'] : ['AWSPENDING'] },
          tags: step === 'failed' ? { [ROTATION_ERROR_TAG]: 'v createSecret boom' } : {},
        };
      },
    };
    return { deps: { store } as unknown as Pick<Deps, 'store'>, looks };
  }
  const started = (...ids: string[]): StartedRotation[] => ids.map((secretId) => ({ secretId, versionId: 'v' }));

  it('one look with no wait: each outcome as it stands, running when unknown', async () => {
    const s = scripted({ a: ['finished'], b: ['failed'], c: ['running'], d: ['throw'] });
    const list = started('a', 'b', 'c', 'd');
    const out = await rotationOutcomes(list, s.deps, { waitMs: 0, concurrency: 2 });
    expect(list.map((r) => out.get(r))).toEqual([{ state: 'finished' }, { state: 'failed', reason: 'createSecret boom' }, { state: 'running' }, { state: 'running' }]);
    expect(s.looks).toEqual({ a: 1, b: 1, c: 1, d: 1 });
  });

  it('looks again only at the ones still running (or whose look failed), until each has ended', async () => {
    const s = scripted({ a: ['finished'], b: ['running', 'running', 'finished'], c: ['throw', 'failed'] });
    const list = started('a', 'b', 'c');
    const out = await rotationOutcomes(list, s.deps, { waitMs: 5_000, concurrency: 3, maxPollMs: 10 });
    expect(list.map((r) => out.get(r)?.state)).toEqual(['finished', 'finished', 'failed']);
    expect(s.looks).toEqual({ a: 1, b: 3, c: 2 });
  });

  it('stops when the wait is spent: still running is reported running', async () => {
    const s = scripted({ a: ['running'] });
    const list = started('a');
    const out = await rotationOutcomes(list, s.deps, { waitMs: 120, concurrency: 1, maxPollMs: 20 });
    expect(out.get(list[0] as StartedRotation)).toEqual({ state: 'running' });
    // It looked again within the wait, and returned (a wait that never ended would time the test out).
    expect(s.looks.a).toBeGreaterThanOrEqual(2);
  });

  it('backs off between looks: 250 ms, then double (at most maxPollMs, 4 s by default)', async () => {
    const s = scripted({ a: ['running'] });
    await rotationOutcomes(started('a'), s.deps, { waitMs: 600, concurrency: 1 });
    // Looks at about 0, 250 and 600 ms (the wait's end; a timer may fire a hair early: one more look); a busy or shrinking poll would look many more times.
    expect(s.looks.a).toBeGreaterThanOrEqual(2);
    expect(s.looks.a).toBeLessThanOrEqual(4);
  });

  it('nothing started: no look', async () => {
    const s = scripted({});
    expect((await rotationOutcomes([], s.deps, { waitMs: 1_000, concurrency: 1 })).size).toBe(0);
    expect(s.looks).toEqual({});
  });
});
