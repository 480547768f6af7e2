/**
 * The operational records kept in a token secret's tags (core/operations/records.ts): what a tag
 * may hold, a pause and an outcome as written and read back, the pause in force, a record written
 * best effort, and the last rotation as status reports it.
 */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../core/deps.js';
import { LAST_REFRESH_TAG, LAST_REVOKE_TAG, PAUSED_TAG, ROTATION_ERROR_TAG } from '../../core/names.js';
import { activePause, formatOutcome, formatPause, lastOutcomes, parseOutcome, parsePause, recordOutcome, tagText } from '../../core/operations/records.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('tagText', () => {
  it('keeps letters (any script), digits, spaces and _ . : / = + - @; anything else becomes a space', () => {
    expect(tagText('Incident #42: DB (prod) é 7 _.:/=+-@')).toBe('Incident 42: DB prod é 7 _.:/=+-@');
  });

  it('a character it cannot keep separates the words around it', () => {
    expect(tagText('a#b(c)d')).toBe('a b c d');
  });

  it('collapses runs of whitespace and trims the ends', () => {
    expect(tagText('  a \t\n b  ')).toBe('a b');
  });

  it('cuts to 256 characters, or to the limit given', () => {
    expect(tagText('x'.repeat(300))).toHaveLength(256);
    expect(tagText('abcdef', 3)).toBe('abc');
  });
});

describe('pause records', () => {
  const record = { reason: 'db migration', pausedAt: iso(NOW), until: iso(NOW + 3_600_000) };

  it('`<until> <pausedAt> <reason>`, read back as written', () => {
    const value = formatPause(record);
    expect(value).toBe(`${record.until} ${record.pausedAt} db migration`);
    expect(parsePause(value)).toEqual(record);
  });

  it('the reason is cut so that the whole value fits a tag (256), and made fit for a tag', () => {
    const value = formatPause({ ...record, reason: `why? ${'r'.repeat(400)}` });
    expect(value).toHaveLength(256);
    expect(parsePause(value)?.reason.startsWith('why r')).toBe(true);
  });

  it('a pause without a reason reads back with an empty one', () => {
    expect(parsePause(`${record.until} ${record.pausedAt}`)).toEqual({ ...record, reason: '' });
  });

  it.each([
    ['no tag', undefined],
    ['one word', 'paused'],
    ['an until that is not an instant', `soon ${iso(NOW)} r`],
    ['a pausedAt that is not an instant', `${iso(NOW)} earlier r`],
  ])('not a pause: %s', (_what, value) => {
    expect(parsePause(value)).toBeUndefined();
  });

  it('in force until its `until`, over from that instant on; none without the tag', () => {
    const tags = { [PAUSED_TAG]: formatPause(record) };
    expect(activePause(tags, NOW)).toEqual(record);
    expect(activePause(tags, NOW + 3_599_999)).toEqual(record);
    expect(activePause(tags, NOW + 3_600_000)).toBeUndefined();
    expect(activePause({}, NOW)).toBeUndefined();
    expect(activePause({ [PAUSED_TAG]: 'garbage' }, NOW)).toBeUndefined();
  });
});

describe('outcome records', () => {
  it('`<outcome> <instant> <reason>`, read back as written; no reason key without one', () => {
    expect(formatOutcome({ outcome: 'failed', at: iso(NOW), reason: 'server said (503)' })).toBe(`failed ${iso(NOW)} server said 503`);
    expect(parseOutcome(`failed ${iso(NOW)} server said 503`)).toEqual({ outcome: 'failed', at: iso(NOW), reason: 'server said 503' });
    expect(formatOutcome({ outcome: 'refreshed', at: iso(NOW) })).toBe(`refreshed ${iso(NOW)}`);
    expect(parseOutcome(`refreshed ${iso(NOW)}`)).toEqual({ outcome: 'refreshed', at: iso(NOW) });
  });

  it('a long reason is cut so that the whole value fits a tag (256)', () => {
    expect(formatOutcome({ outcome: 'failed', at: iso(NOW), reason: 'r'.repeat(400) })).toHaveLength(256);
  });

  it.each([
    ['no tag', undefined],
    ['one word', 'refreshed'],
    ['an instant that is not one', 'refreshed yesterday'],
  ])('not an outcome: %s', (_what, value) => {
    expect(parseOutcome(value)).toBeUndefined();
  });
});

describe('recordOutcome', () => {
  function deps(tag: (id: string, tags: Record<string, string>) => Promise<void>) {
    const logs: [string, Record<string, unknown>][] = [];
    const d = { clock: { now: () => NOW }, store: { tag }, log: (m: string, f: Record<string, unknown>) => logs.push([m, f]) };
    return { deps: d as unknown as Pick<Deps, 'store' | 'clock' | 'log'>, logs };
  }

  it('tags the secret with the outcome at the clock\'s instant, with the tags written alongside', async () => {
    const writes: [string, Record<string, string>][] = [];
    const d = deps(async (id, tags) => void writes.push([id, tags]));
    await recordOutcome(d.deps, 'arn:s', LAST_REVOKE_TAG, 'failed', 'boom', { [ROTATION_ERROR_TAG]: 'v1 x at y' });
    await recordOutcome(d.deps, 'arn:s', LAST_REFRESH_TAG, 'refreshed');
    expect(writes).toEqual([
      ['arn:s', { [ROTATION_ERROR_TAG]: 'v1 x at y', [LAST_REVOKE_TAG]: `failed ${iso(NOW)} boom` }],
      ['arn:s', { [LAST_REFRESH_TAG]: `refreshed ${iso(NOW)}` }],
    ]);
    expect(d.logs).toEqual([]);
  });

  it('a tag that cannot be written is logged with the error, never thrown', async () => {
    const failing = deps(async () => {
      throw new Error('AccessDenied');
    });
    await expect(recordOutcome(failing.deps, 'arn:s', LAST_REFRESH_TAG, 'refreshed')).resolves.toBeUndefined();
    expect(failing.logs).toEqual([['outcome not recorded', { secretId: 'arn:s', tag: LAST_REFRESH_TAG, error: 'AccessDenied' }]]);
    const unlogged = deps(async () => {
      throw new Error('AccessDenied');
    });
    const withoutLog = { ...unlogged.deps, log: undefined };
    await expect(recordOutcome(withoutLog, 'arn:s', LAST_REFRESH_TAG, 'refreshed')).resolves.toBeUndefined();
    const odd = deps(() => Promise.reject('plain string'));
    await recordOutcome(odd.deps, 'arn:s', LAST_REFRESH_TAG, 'refreshed');
    expect(odd.logs[0]?.[1].error).toBe('plain string');
  });
});

describe('lastOutcomes', () => {
  const failure = (at: number) => `v1 createSecret server refused at ${iso(at)}`;

  it('a rotation failure after the last finished rotation: failed, at its instant, with what failed', () => {
    const out = lastOutcomes({ tags: { [ROTATION_ERROR_TAG]: failure(NOW) }, lastRotatedDate: new Date(NOW - 1) });
    expect(out.lastRotation).toEqual({ outcome: 'failed', at: iso(NOW), reason: 'v1 createSecret server refused' });
  });

  it('a failure at the very instant of the last rotation is still the last word', () => {
    expect(lastOutcomes({ tags: { [ROTATION_ERROR_TAG]: failure(NOW) }, lastRotatedDate: new Date(NOW) }).lastRotation?.outcome).toBe('failed');
  });

  it('a rotation that finished after the failure: finished, at LastRotatedDate', () => {
    const out = lastOutcomes({ tags: { [ROTATION_ERROR_TAG]: failure(NOW) }, lastRotatedDate: new Date(NOW + 1) });
    expect(out.lastRotation).toEqual({ outcome: 'finished', at: iso(NOW + 1) });
  });

  it('the instant is the record\'s last word, whatever " at " the message holds', () => {
    const out = lastOutcomes({ tags: { [ROTATION_ERROR_TAG]: `v1 createSecret failed at step two at ${iso(NOW)}` }, lastRotatedDate: new Date(NOW - 1) });
    expect(out.lastRotation).toEqual({ outcome: 'failed', at: iso(NOW), reason: 'v1 createSecret failed at step two' });
  });

  it('a failure with no instant is not read as one', () => {
    expect(lastOutcomes({ tags: { [ROTATION_ERROR_TAG]: 'v1 createSecret refused' }, lastRotatedDate: new Date(NOW) }).lastRotation).toEqual({
      outcome: 'finished',
      at: iso(NOW),
    });
    expect(lastOutcomes({ tags: { [ROTATION_ERROR_TAG]: 'v1 createSecret refused' } }).lastRotation).toBeNull();
  });

  it('a failure and never a finished rotation: failed', () => {
    expect(lastOutcomes({ tags: { [ROTATION_ERROR_TAG]: failure(NOW) } }).lastRotation?.outcome).toBe('failed');
  });

  it('nothing recorded: every outcome null', () => {
    expect(lastOutcomes({ tags: {} })).toEqual({ lastRotation: null, lastRefresh: null, lastRevoke: null });
  });

  it('the last refresh and revoke from their records', () => {
    const out = lastOutcomes({ tags: { [LAST_REFRESH_TAG]: `refreshed ${iso(NOW)}`, [LAST_REVOKE_TAG]: `left-to-expire ${iso(NOW)} cannot revoke` } });
    expect(out.lastRefresh).toEqual({ outcome: 'refreshed', at: iso(NOW) });
    expect(out.lastRevoke).toEqual({ outcome: 'left-to-expire', at: iso(NOW), reason: 'cannot revoke' });
  });
});
