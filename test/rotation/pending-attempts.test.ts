/**
 * A pending token the server refuses (core/rotation/pending-attempts.ts), called directly: the
 * count read from the failure record, and on the last refusal what becomes of the abandoned token
 * under each capability and policy. steps.test.ts runs it through testSecret.
 */
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../core/deps.js';
import { ROTATION_ERROR_TAG } from '../../core/names.js';
import type { FleetSource } from '../../core/operations/fleet.js';
import type { ProviderCapabilities, TokenProvider } from '../../core/providers/provider.js';
import { pendingRefusals, PendingTokenRefusedError, refusedPendingToken } from '../../core/rotation/pending-attempts.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const ARN = 'arn:aws:secretsmanager:eu-west-1:1:secret:app/token-AbCdEf';
const record = (versionId: string, attempt: number) => `${versionId} testSecret PendingTokenRefusedError: attempt ${attempt} of 3: refused at 2030-01-01T00:00:00Z`;

function setup(options: { capabilities?: Partial<ProviderCapabilities>; revoke?: 'revoked' | 'already-gone' | Error; record?: string; leftSeconds?: number; fleetHolder?: string } = {}) {
  const calls: string[] = [];
  const logs: [string, Record<string, unknown>][] = [];
  const provider = {
    name: 'memory',
    capabilities: async () => ({ refresh: 'none', revoke: 'by-token', routineRevoke: 'always', tokensMayCollide: false, ...options.capabilities }),
    revoke: async () => {
      calls.push('revoke');
      if (options.revoke instanceof Error) throw options.revoke;
      return options.revoke ?? 'revoked';
    },
  } as unknown as TokenProvider;
  const expiresAt = new Date(NOW + (options.leftSeconds ?? 86_400) * 1000);
  const fleetValue = options.fleetHolder ? [{ arn: options.fleetHolder, versionId: 'x', secretString: JSON.stringify({ token: 'pending-token' }), stages: ['AWSCURRENT'] }] : [];
  const deps = {
    clock: { now: () => NOW },
    log: (m: string, f: Record<string, unknown>) => logs.push([m, f]),
    store: {
      removeStage: async (_arn: string, stage: string, versionId: string) => void calls.push(`remove ${stage} ${versionId}`),
      batchGet: async () => ({ values: fleetValue.map((value) => ({ ...value, secretId: value.arn })), errors: [] }),
    },
  } as unknown as Deps;
  const refused = {
    versionId: 'v2',
    description: { arn: ARN, name: 'app/token', rotationEnabled: true, versions: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] }, tags: (options.record ? { [ROTATION_ERROR_TAG]: options.record } : {}) as Record<string, string> },
    held: { token: 'pending-token', fields: {}, expiresAt },
    provider,
    settings: { pendingTokenAttempts: 3, routineRevokeMinRemainingSeconds: 3_600 },
    ...(options.fleetHolder !== undefined ? { fleet: { kind: 'ids', ids: [options.fleetHolder] } as FleetSource } : {}),
  };
  const run = () => refusedPendingToken(refused, deps).catch((e: unknown) => e as PendingTokenRefusedError);
  return { run, calls, logs, refused };
}

describe('pendingRefusals', () => {
  it('the attempt the record of this version counts; 0 for another version, another failure or none', () => {
    expect(pendingRefusals(record('v2', 2), 'v2')).toBe(2);
    expect(pendingRefusals(record('v1', 2), 'v2')).toBe(0);
    expect(pendingRefusals('v2 createSecret Error: boom at 2030-01-01T00:00:00Z', 'v2')).toBe(0);
    expect(pendingRefusals(undefined, 'v2')).toBe(0);
  });
});

describe('refusedPendingToken', () => {
  it('below the bound: attempt n of K, not abandoned, nothing revoked or removed', async () => {
    const s = setup({ record: record('v2', 1) });
    const e = await s.run();
    expect(e).toBeInstanceOf(PendingTokenRefusedError);
    expect(e).toMatchObject({ attempt: 2, attempts: 3, abandoned: false, name: 'PendingTokenRefusedError' });
    expect(e.message).toMatch(/^attempt 2 of 3: the memory server refused the pending token of secret app\/token /);
    expect(s.calls).toEqual([]);
  });

  it('the last refusal: the token revoked, AWSPENDING removed, abandoned, and the log names the fate', async () => {
    const s = setup({ record: record('v2', 2) });
    const e = await s.run();
    expect(e).toMatchObject({ attempt: 3, attempts: 3, abandoned: true });
    expect(e.message).toMatch(/^attempt 3 of 3 abandoned: .* 3 times; AWSPENDING removed, its token revoked; AWSCURRENT is unchanged/);
    expect(s.calls).toEqual(['revoke', 'remove AWSPENDING v2']);
    expect(s.logs).toEqual([['pending token refused on every attempt: rotation abandoned, the next one mints a new token', { secretId: 'app/token', versionId: 'v2', attempts: 3, orphan: 'revoked' }]]);
  });

  it('a token already gone at the server says so, without an expiry in the log', async () => {
    const s = setup({ record: record('v2', 2), revoke: 'already-gone' });
    const e = await s.run();
    expect(e.message).toContain('its token already gone at the server;');
    expect(s.logs[0]?.[1]).not.toHaveProperty('orphanExpiresAt');
  });

  it('a provider that cannot revoke: left to expire, the log says when', async () => {
    const s = setup({ record: record('v2', 2), capabilities: { revoke: 'none' } });
    const e = await s.run();
    expect(e.message).toContain('its token left to expire: the provider cannot or by policy should not revoke it;');
    expect(s.calls).toEqual(['remove AWSPENDING v2']);
    expect(s.logs[0]?.[1]).toMatchObject({ orphan: 'expiring', orphanExpiresAt: s.refused.held.expiresAt.toISOString() });
  });

  it('revokes only long-lived tokens where the provider spends a block-list entry on each (the threshold itself is short)', async () => {
    const short = setup({ record: record('v2', 2), capabilities: { routineRevoke: 'long-lived-only' }, leftSeconds: 3_600 });
    expect((await short.run()).message).toContain('left to expire: the provider cannot');
    expect(short.calls).toEqual(['remove AWSPENDING v2']);
    const long = setup({ record: record('v2', 2), capabilities: { routineRevoke: 'long-lived-only' }, leftSeconds: 3_601 });
    expect((await long.run()).message).toContain('its token revoked;');
  });

  it('a token that may collide: not revoked without a fleet to check; with one, revoked unless another secret holds it', async () => {
    const blind = setup({ record: record('v2', 2), capabilities: { tokensMayCollide: true } });
    expect((await blind.run()).message).toContain('left to expire: another secret may hold the same token');
    expect(blind.calls).toEqual(['remove AWSPENDING v2']);
    const heldByOther = setup({ record: record('v2', 2), capabilities: { tokensMayCollide: true }, fleetHolder: 'arn:other' });
    expect((await heldByOther.run()).message).toContain('left to expire: another secret may hold the same token');
    expect(heldByOther.calls).toEqual(['remove AWSPENDING v2']);
    const heldByItself = setup({ record: record('v2', 2), capabilities: { tokensMayCollide: true }, fleetHolder: ARN });
    expect((await heldByItself.run()).message).toContain('its token revoked;');
  });

  it('a revoke that fails: not revoked, it expires on its own; AWSPENDING still removed', async () => {
    const s = setup({ record: record('v2', 2), revoke: new Error('server down') });
    const e = await s.run();
    expect(e.message).toContain('its token not revoked: the revoke failed, it expires on its own;');
    expect(s.calls).toEqual(['revoke', 'remove AWSPENDING v2']);
    expect(s.logs[0]?.[1]).toMatchObject({ orphan: 'revoke-failed' });
  });

  it('a token that never expires left behind: the log says null', async () => {
    const s = setup({ record: record('v2', 2), capabilities: { revoke: 'none' } });
    (s.refused.held as { expiresAt?: Date | null }).expiresAt = null;
    await s.run();
    expect(s.logs[0]?.[1]).toMatchObject({ orphanExpiresAt: null });
  });
});
