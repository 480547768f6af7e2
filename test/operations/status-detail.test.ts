/**
 * On-demand `status` of one secret (core/operations/status-detail.ts): what one DescribeSecret of
 * the token secret and one of its credential secret add to the token's status. Stores in memory.
 */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../core/deps.js';
import { PAUSED_TAG, ROTATION_ERROR_TAG } from '../../core/names.js';
import { managedFrom } from '../../core/operations/managed-secret.js';
import { formatPause } from '../../core/operations/records.js';
import { detailedStatus } from '../../core/operations/status-detail.js';
import { formatFailureRecord } from '../../core/rotation/failure-record.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function setup(options: { tags?: Record<string, string>; schedule?: boolean; credential?: 'missing' } = {}) {
  const value = {
    host: 'https://tg.example.com',
    credentialSecretId: 'cred/app',
    token: 't',
    expiresAt: iso(NOW + 3_600_000),
    issuedAt: iso(NOW - 60_000),
    ...(options.schedule ? { rotationSchedule: { scheduleExpression: 'cron(0 2 * * ? *)', duration: '2h' } } : {}),
  };
  const managed = managedFrom('arn:token', { arn: 'arn:token', versionId: 'v1', secretString: JSON.stringify(value), stages: ['AWSCURRENT'] });
  const described: string[] = [];
  const deps = {
    clock: { now: () => NOW },
    providers: { definition: () => ({ name: 'tigergraph' }) },
    store: {
      describe: async (id: string) => {
        described.push(id);
        if (id === 'arn:token') return { arn: 'arn:token', tags: options.tags ?? {}, versions: {}, lastRotatedDate: new Date(NOW - 120_000) };
        if (options.credential === 'missing') throw new Error('ResourceNotFoundException');
        return { arn: 'arn:cred', tags: {}, versions: {}, lastChangedDate: new Date(NOW - 3 * 86_400_000) };
      },
    },
  } as unknown as Deps;
  return { managed, deps, described };
}

describe('detailedStatus', () => {
  it('a secret at rest: its token status, not paused, its last rotation, no window, no failure, its credential age', async () => {
    const s = setup();
    expect(await detailedStatus(s.managed, s.deps)).toEqual({
      secretId: 'arn:token',
      versionId: 'v1',
      provider: 'tigergraph',
      providerVersion: null,
      expiresAt: iso(NOW + 3_600_000),
      secondsLeft: 3_600,
      issuedAt: iso(NOW - 60_000),
      neverExpires: false,
      paused: false,
      pause: null,
      lastRotation: { outcome: 'finished', at: iso(NOW - 120_000) },
      lastRefresh: null,
      lastRevoke: null,
      rotationWindow: null,
      rotationFailure: null,
      credential: { credentialSecretId: 'arn:cred', lastChangedAt: iso(NOW - 3 * 86_400_000), ageDays: 3 },
    });
    expect(s.described).toEqual(['arn:token', 'cred/app']);
  });

  it('a pause in force, with the whole seconds left until it ends', async () => {
    const pause = { reason: 'upgrade', pausedAt: iso(NOW - 1_000), until: iso(NOW + 90_500) };
    const s = setup({ tags: { [PAUSED_TAG]: formatPause(pause) } });
    expect(await detailedStatus(s.managed, s.deps)).toMatchObject({ paused: true, pause: { ...pause, secondsLeft: 90 } });
  });

  it('a pause that has ended is no pause', async () => {
    const s = setup({ tags: { [PAUSED_TAG]: formatPause({ reason: 'old', pausedAt: iso(NOW - 2_000), until: iso(NOW) }) } });
    expect(await detailedStatus(s.managed, s.deps)).toMatchObject({ paused: false, pause: null });
  });

  it('the next rotation window, as instants', async () => {
    const s = setup({ schedule: true });
    expect((await detailedStatus(s.managed, s.deps)).rotationWindow).toEqual({ open: false, opensAt: iso(NOW + 7_200_000), closesAt: iso(NOW + 14_400_000) });
  });

  it('the failure the rotation function recorded', async () => {
    const s = setup({ tags: { [ROTATION_ERROR_TAG]: formatFailureRecord('v2', 'createSecret', new Error('refused'), new Date(NOW - 1_000)) } });
    expect((await detailedStatus(s.managed, s.deps)).rotationFailure).toEqual({ versionId: 'v2', step: 'createSecret', reason: 'Error: refused', at: iso(NOW - 1_000) });
  });

  it('a credential secret that cannot be described: credential null, the status still answered', async () => {
    const s = setup({ credential: 'missing' });
    expect(await detailedStatus(s.managed, s.deps)).toMatchObject({ credential: null, secondsLeft: 3_600 });
  });
});
