/**
 * On-demand `pause` and `resume` of one secret (core/operations/pause.ts): the tag written and
 * removed, what the caller is told, and the change events. A store of tags in memory.
 */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../core/deps.js';
import type { ChangeEvent } from '../../core/events.js';
import { PAUSED_TAG } from '../../core/names.js';
import type { ManagedSecret } from '../../core/operations/managed-secret.js';
import { DEFAULT_PAUSE_SECONDS, pause, resume } from '../../core/operations/pause.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const managed = { secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:app/token-AbCdEf', arn: 'arn:aws:secretsmanager:eu-west-1:1:secret:app/token-AbCdEf', secret: { provider: 'ica' } } as unknown as ManagedSecret;

function setup(tags: Record<string, string> = {}) {
  const events: ChangeEvent[] = [];
  const calls: string[] = [];
  const clock = { now: () => NOW };
  const deps = {
    clock,
    events: { put: async (e: ChangeEvent) => void events.push(e) },
    store: {
      tag: async (_id: string, t: Record<string, string>) => {
        calls.push('tag');
        Object.assign(tags, t);
      },
      untag: async (_id: string, keys: string[]) => {
        calls.push('untag');
        for (const k of keys) delete tags[k];
      },
      describe: async () => ({ tags: { ...tags } }),
    },
  } as unknown as Deps;
  return { deps, tags, events, calls, clock };
}

describe('pause', () => {
  it('tags the secret until now plus a day by default, and tells when it ends', async () => {
    const s = setup();
    const result = await pause(managed, s.deps, { reason: 'db migration' });
    expect(DEFAULT_PAUSE_SECONDS).toBe(86_400);
    expect(result).toEqual({ paused: true, reason: 'db migration', pausedAt: iso(NOW), until: iso(NOW + 86_400_000), secondsLeft: 86_400 });
    expect(s.tags[PAUSED_TAG]).toBe(`${iso(NOW + 86_400_000)} ${iso(NOW)} db migration`);
  });

  it('for the duration asked, with the reason as the tag keeps it', async () => {
    const s = setup();
    const result = await pause(managed, s.deps, { reason: 'incident #7 (see ticket)', durationSeconds: 600 });
    expect(result).toEqual({ paused: true, reason: 'incident 7 see ticket', pausedAt: iso(NOW), until: iso(NOW + 600_000), secondsLeft: 600 });
  });

  it('a reason too long for the tag is reported as stored, cut to fit', async () => {
    const s = setup();
    const result = await pause(managed, s.deps, { reason: 'r'.repeat(300) });
    expect(s.tags[PAUSED_TAG]).toHaveLength(256);
    expect(result.reason).toBe('r'.repeat(256 - `${iso(NOW)} ${iso(NOW)} `.length));
    expect(s.events[0]?.detail.reason).toBe(result.reason);
  });

  it('emits Connection Paused with the stored reason and the end of the pause', async () => {
    const s = setup();
    await pause(managed, s.deps, { reason: 'why?', durationSeconds: 60 });
    expect(s.events).toHaveLength(1);
    expect(s.events[0]?.detailType).toBe('Connection Paused');
    expect(s.events[0]?.detail).toMatchObject({ secretArn: managed.arn, provider: 'ica', reason: 'why', pausedUntil: iso(NOW + 60_000) });
  });
});

describe('resume', () => {
  it('a paused secret: the tag removed, Connection Resumed, resumed', async () => {
    const s = setup();
    await pause(managed, s.deps, { reason: 'r' });
    s.events.length = 0;
    expect(await resume(managed, s.deps)).toEqual({ resumed: true });
    expect(s.tags).toEqual({});
    expect(s.events.map((e) => [e.detailType, e.detail.secretArn, e.detail.provider])).toEqual([['Connection Resumed', managed.arn, 'ica']]);
  });

  it('a secret never paused: nothing written, no event, not resumed', async () => {
    const s = setup({ other: 'x' });
    expect(await resume(managed, s.deps)).toEqual({ resumed: false });
    expect(s.calls).toEqual([]);
    expect(s.events).toEqual([]);
  });

  it('a pause that ended on its own: its tag cleared, but no event and not resumed', async () => {
    const s = setup({ [PAUSED_TAG]: `${iso(NOW)} ${iso(NOW - 60_000)} old` });
    expect(await resume(managed, s.deps)).toEqual({ resumed: false });
    expect(s.tags).toEqual({});
    expect(s.events).toEqual([]);
  });
});
