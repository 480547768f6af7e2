/**
 * The refresh and the settle, reported (core/operations/reported.ts): which change event each
 * outcome becomes and what is recorded on the secret. refresh.ts and settle.ts are replaced by
 * stand-ins that answer what each test needs (their own tests pin the work); the store and the
 * event sink are in memory.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Deps } from '../../core/deps.js';
import { CredentialNotSetError, RotationStateError } from '../../core/errors.js';
import type { ChangeEvent } from '../../core/events.js';
import { LAST_REFRESH_TAG, LAST_REVOKE_TAG, RENEWAL_REASON_TAG, ROTATION_ERROR_TAG } from '../../core/names.js';
import type { ManagedSecret } from '../../core/operations/managed-secret.js';
import { RotationFailedError } from '../../core/operations/rotate-now.js';
import type { SettleReport } from '../../core/operations/settle.js';

const outcomes = vi.hoisted(() => ({ refresh: undefined as unknown, settle: undefined as unknown }));
vi.mock('../../core/operations/refresh.js', () => ({
  refreshOrRotate: async () => {
    if (outcomes.refresh instanceof Error) throw outcomes.refresh;
    return outcomes.refresh;
  },
}));
vi.mock('../../core/operations/settle.js', () => ({ settle: async () => outcomes.settle }));

const { renew, settleReported } = await import('../../core/operations/reported.js');

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const at = new Date(NOW).toISOString();
const ARN = 'arn:aws:secretsmanager:eu-west-1:1:secret:app/token-AbCdEf';
const managed = { secretId: ARN, arn: ARN, current: { versionId: 'v1' }, secret: { provider: 'tigergraph' } } as unknown as ManagedSecret;
const settleOptions = { settings: { revokeGraceSeconds: 0, routineRevokeMinRemainingSeconds: 0 }, index: {} } as never;

function setup(options: { events?: boolean; expiryOf?: Record<string, string | null> } = {}) {
  const events: ChangeEvent[] = [];
  const tags: Record<string, string> = {};
  const calls: string[] = [];
  const logs: string[] = [];
  const deps = {
    clock: { now: () => NOW },
    log: (m: string) => logs.push(m),
    ...(options.events === false ? {} : { events: { put: async (e: ChangeEvent) => void events.push(e) } }),
    store: {
      tag: async (_id: string, t: Record<string, string>) => {
        calls.push(`tag ${Object.keys(t).sort().join(',')}`);
        Object.assign(tags, t);
      },
      untag: async (_id: string, keys: string[]) => {
        calls.push(`untag ${keys.join(',')}`);
        for (const k of keys) delete tags[k];
      },
      describe: async () => ({ arn: ARN, tags: {}, versions: { v1: ['AWSCURRENT'] } }),
      tryGet: async (_id: string, { versionId }: { versionId: string }) => {
        calls.push(`get ${versionId}`);
        const expiry = options.expiryOf?.[versionId];
        return expiry === undefined ? undefined : { versionId, secretString: JSON.stringify({ token: 'x', expiresAt: expiry }), stages: [] };
      },
    },
  } as unknown as Deps;
  return { deps, events, tags, calls, logs };
}

const kinds = (events: ChangeEvent[]) => events.map((e) => e.detailType);

beforeEach(() => {
  outcomes.refresh = undefined;
  outcomes.settle = undefined;
});

describe('renew', () => {
  it('an in-place refresh: Token Refreshed with the versions and the new expiry, last-refresh `refreshed`', async () => {
    outcomes.refresh = { method: 'refresh', versionId: 'v2', expiresAt: '2030-01-02T00:00:00.000Z' };
    const s = setup();
    expect(await renew(managed, s.deps)).toBe(outcomes.refresh);
    expect(kinds(s.events)).toEqual(['Token Refreshed']);
    expect(s.events[0]?.detail).toMatchObject({ secretArn: ARN, provider: 'tigergraph', versionId: 'v2', previousVersionId: 'v1', expiresAt: '2030-01-02T00:00:00.000Z' });
    expect(s.events[0]?.detail).not.toHaveProperty('reason');
    expect(s.tags).toEqual({ [LAST_REFRESH_TAG]: `refreshed ${at}` });
    expect(s.calls).toEqual([`tag ${LAST_REFRESH_TAG}`]);
  });

  it('a held-back renewal made anyway: the reason tagged before, carried by the event, and removed after a refresh', async () => {
    outcomes.refresh = { method: 'refresh', versionId: 'v2', expiresAt: '2030-01-02T00:00:00.000Z' };
    const s = setup();
    await renew(managed, s.deps, { override: 'paused (db), but the token expires soon!' });
    expect(s.calls).toEqual([`tag ${RENEWAL_REASON_TAG}`, `tag ${LAST_REFRESH_TAG}`, `untag ${RENEWAL_REASON_TAG}`]);
    expect(s.events[0]?.detail.reason).toBe('paused (db), but the token expires soon!');
    expect(s.tags).toEqual({ [LAST_REFRESH_TAG]: `refreshed ${at}` });
  });

  it('the reason as a tag may hold it, left for the rotation function when the renewal is a rotation', async () => {
    outcomes.refresh = { method: 'rotate', versionId: 'v2', state: 'pending' };
    const s = setup();
    await renew(managed, s.deps, { override: 'paused (db), but the token expires soon!' });
    expect(s.tags).toEqual({ [RENEWAL_REASON_TAG]: 'paused db but the token expires soon' });
    expect(s.events).toEqual([]);
  });

  it('a failed refresh: Refresh Failed with the reason, last-refresh `failed` and the failure record in one TagResource, and the error thrown', async () => {
    const error = new Error('server down');
    outcomes.refresh = error;
    const s = setup();
    await expect(renew(managed, s.deps)).rejects.toBe(error);
    expect(kinds(s.events)).toEqual(['Refresh Failed']);
    expect(s.events[0]?.detail.reason).toBe('Error: server down');
    expect(s.calls).toEqual([`tag ${LAST_REFRESH_TAG},${ROTATION_ERROR_TAG}`]);
    expect(s.tags[LAST_REFRESH_TAG]).toBe(`failed ${at} Error: server down`);
    expect(s.tags[ROTATION_ERROR_TAG]).toMatch(/^v1 refresh Error: server down at /);
  });

  it('a credential not filled in yet: Credential Not Set', async () => {
    outcomes.refresh = new CredentialNotSetError('cred/app', '{"secret": "..."}');
    const s = setup();
    await expect(renew(managed, s.deps)).rejects.toBeInstanceOf(CredentialNotSetError);
    expect(kinds(s.events)).toEqual(['Credential Not Set']);
  });

  it('a rotation in progress: Refresh Failed and last-refresh `failed`, but no failure record', async () => {
    outcomes.refresh = new RotationStateError('a rotation is in progress');
    const s = setup();
    await expect(renew(managed, s.deps)).rejects.toBeInstanceOf(RotationStateError);
    expect(kinds(s.events)).toEqual(['Refresh Failed']);
    expect(Object.keys(s.tags)).toEqual([LAST_REFRESH_TAG]);
  });

  it('a rotation that failed was reported by the rotation function: nothing here', async () => {
    outcomes.refresh = new RotationFailedError('the rotation failed');
    const s = setup();
    await expect(renew(managed, s.deps)).rejects.toBeInstanceOf(RotationFailedError);
    expect(s.events).toEqual([]);
    expect(s.calls).toEqual([]);
  });

  it('a reason that cannot be tagged is logged, and the renewal goes on', async () => {
    outcomes.refresh = { method: 'refresh', versionId: 'v2', expiresAt: '2030-01-02T00:00:00.000Z' };
    const s = setup();
    const tag = s.deps.store.tag.bind(s.deps.store);
    s.deps.store.tag = (async (id: string, t: Record<string, string>) => {
      if (RENEWAL_REASON_TAG in t) throw new Error('AccessDenied');
      return tag(id, t);
    }) as typeof s.deps.store.tag;
    const fields: Record<string, unknown>[] = [];
    s.deps.log = (_m, f) => void fields.push(f);
    await renew(managed, s.deps, { override: 'why' });
    expect(fields[0]).toEqual({ secretId: ARN, error: 'Error: AccessDenied' });
    expect(kinds(s.events)).toEqual(['Token Refreshed']);
    s.deps.log = undefined;
    await expect(renew(managed, s.deps, { override: 'why' })).resolves.toBe(outcomes.refresh);
  });
});

describe('settleReported', () => {
  const report = (fates: SettleReport['fates'], error?: unknown): SettleReport => ({ state: error ? 'unsettled' : 'settled', fates, ...(error ? { error } : {}) });

  it('revoked and already-gone tokens: Token Revoked each, last-revoke `revoked`', async () => {
    outcomes.settle = report([
      { versionId: 'a', fate: 'revoked' },
      { versionId: 'b', fate: 'already-gone' },
    ]);
    const s = setup();
    expect(await settleReported(managed, s.deps, settleOptions)).toBe(outcomes.settle);
    expect(s.events.map((e) => [e.detailType, e.detail.versionId, e.detail.outcome])).toEqual([
      ['Token Revoked', 'a', 'revoked'],
      ['Token Revoked', 'b', 'already-gone'],
    ]);
    expect(s.tags).toEqual({ [LAST_REVOKE_TAG]: `revoked ${at}` });
  });

  it('a token left to expire: Token Left To Expire with its recorded expiry; last-revoke `left-to-expire`, even after a revoked one', async () => {
    outcomes.settle = report([
      { versionId: 'a', fate: 'revoked' },
      { versionId: 'b', fate: 'expiring' },
      { versionId: 'c', fate: 'expiring' },
    ]);
    const s = setup({ expiryOf: { b: '2030-01-05T00:00:00.000Z', c: null } });
    await settleReported(managed, s.deps, settleOptions);
    expect(s.events.slice(1).map((e) => [e.detailType, e.detail.versionId, e.detail.expiresAt])).toEqual([
      ['Token Left To Expire', 'b', '2030-01-05T00:00:00.000Z'],
      ['Token Left To Expire', 'c', null],
    ]);
    expect(s.tags).toEqual({ [LAST_REVOKE_TAG]: `left-to-expire ${at}` });
  });

  it('last-revoke `left-to-expire` whichever comes first, the revoked token or the one left to expire', async () => {
    outcomes.settle = report([
      { versionId: 'b', fate: 'expiring' },
      { versionId: 'a', fate: 'revoked' },
    ]);
    const s = setup();
    await settleReported(managed, s.deps, settleOptions);
    expect(s.tags).toEqual({ [LAST_REVOKE_TAG]: `left-to-expire ${at}` });
  });

  it('a version whose expiry cannot be read: the event without one; no events sink: no read at all', async () => {
    outcomes.settle = report([{ versionId: 'gone', fate: 'expiring' }]);
    const s = setup();
    await settleReported(managed, s.deps, settleOptions);
    expect(s.events[0]?.detail).not.toHaveProperty('expiresAt');
    const quiet = setup({ events: false, expiryOf: { gone: null } });
    await settleReported(managed, quiet.deps, settleOptions);
    expect(quiet.calls).toEqual([`tag ${LAST_REVOKE_TAG}`]);
  });

  it('a failed revoke: Revoke Failed with the error, and last-revoke `failed` with it, whatever came before or after', async () => {
    const error = new Error('server refused');
    outcomes.settle = report(
      [
        { versionId: 'a', fate: 'expiring' },
        { versionId: 'b', fate: 'failed' },
        { versionId: 'c', fate: 'revoked' },
        { versionId: 'd', fate: 'expiring' },
      ],
      error,
    );
    const s = setup();
    await settleReported(managed, s.deps, settleOptions);
    expect(kinds(s.events)).toEqual(['Token Left To Expire', 'Revoke Failed', 'Token Revoked', 'Token Left To Expire']);
    expect(s.events[1]?.detail.reason).toBe('Error: server refused');
    expect(s.tags).toEqual({ [LAST_REVOKE_TAG]: `failed ${at} Error: server refused` });
  });

  it('fates that need no action (expired, same as current, held elsewhere, no token): no event, nothing recorded', async () => {
    outcomes.settle = report([
      { versionId: 'a', fate: 'expired' },
      { versionId: 'b', fate: 'same-as-current' },
      { versionId: 'c', fate: 'held-elsewhere' },
      { versionId: 'd', fate: 'no-token' },
    ]);
    const s = setup();
    await settleReported(managed, s.deps, settleOptions);
    expect(s.events).toEqual([]);
    expect(s.calls).toEqual([]);
  });
});
