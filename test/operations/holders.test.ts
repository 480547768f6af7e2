/**
 * revokeUnstored: what every path that minted a token it could not store does with it. The callers
 * differ only in the index they pass (visible at the call site): a fleet index, HOLDERS_UNKNOWN (no
 * index: a token that can collide is left to expire) or NO_OTHER_HOLDERS (no deployment around).
 */
import { describe, expect, it } from 'vitest';
import { FingerprintIndex, HOLDERS_UNKNOWN, lazyFleetIndex, NO_OTHER_HOLDERS, revokeUnstored } from '../../core/operations/holders.js';
import { MemoryProvider } from '../helpers/memory-provider.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:a-AbCdEf';
const OTHER = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:b-AbCdEf';

describe('revokeUnstored', () => {
  it('revokes a token that cannot collide, whatever the index', async () => {
    for (const index of [HOLDERS_UNKNOWN, NO_OTHER_HOLDERS, new FingerprintIndex()]) {
      const provider = new MemoryProvider();
      const issued = await provider.issue();
      expect(await revokeUnstored(provider, issued, { secretArn: ARN, index })).toEqual({ revocable: true, heldElsewhere: false, revoked: true });
      expect(provider.isLive(issued.token)).toBe(false);
    }
  });

  it('leaves a token that can collide to expire when there is no index to ask (HOLDERS_UNKNOWN)', async () => {
    const provider = new MemoryProvider({ capabilities: { tokensMayCollide: true } });
    const issued = await provider.issue();
    expect(await revokeUnstored(provider, issued, { secretArn: ARN, index: HOLDERS_UNKNOWN })).toEqual({ revocable: true, heldElsewhere: 'unknown', revoked: false });
    expect(provider.calls.revoke).toBe(0);
    expect(provider.isLive(issued.token)).toBe(true);
  });

  it('revokes a token that can collide when no other secret exists (NO_OTHER_HOLDERS) or the index finds none', async () => {
    for (const index of [NO_OTHER_HOLDERS, new FingerprintIndex()]) {
      const provider = new MemoryProvider({ capabilities: { tokensMayCollide: true } });
      const issued = await provider.issue();
      expect((await revokeUnstored(provider, issued, { secretArn: ARN, index })).revoked).toBe(true);
      expect(provider.isLive(issued.token)).toBe(false);
    }
  });

  it("never revokes a token another secret holds as current; its own holding does not count", async () => {
    const provider = new MemoryProvider({ capabilities: { tokensMayCollide: true } });
    const issued = await provider.issue();
    const mine = new FingerprintIndex();
    mine.add(issued.token, ARN);
    expect((await revokeUnstored(provider, issued, { secretArn: ARN, index: mine })).revoked).toBe(true);

    const twin = await provider.issue();
    const theirs = new FingerprintIndex();
    theirs.add(twin.token, OTHER);
    expect(await revokeUnstored(provider, twin, { secretArn: ARN, index: theirs })).toEqual({ revocable: true, heldElsewhere: true, revoked: false });
    expect(provider.isLive(twin.token)).toBe(true);
  });

  it('does nothing where the provider cannot revoke, and swallows a failed revoke', async () => {
    const none = new MemoryProvider({ capabilities: { revoke: 'none' } });
    expect(await revokeUnstored(none, await none.issue(), { secretArn: ARN, index: NO_OTHER_HOLDERS })).toEqual({ revocable: false, heldElsewhere: false, revoked: false });
    expect(none.calls.revoke).toBe(0);

    const failing = new MemoryProvider();
    failing.failRevoke = new Error('server down');
    expect(await revokeUnstored(failing, await failing.issue(), { secretArn: ARN, index: NO_OTHER_HOLDERS })).toEqual({ revocable: true, heldElsewhere: false, revoked: false });
  });
});

describe('lazyFleetIndex', () => {
  const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.shared-token-of-a-and-b';
  /** A store whose batched read answers `a` with TOKEN and `b` with the given error (or its value). */
  const storeWith = (b: { errorCode: string } | { token: string }) => ({
    listTagged: () => {
      throw new Error('ids only');
    },
    batchGet: async (ids: string[]) => ({
      values: [
        { secretId: ARN, arn: ARN, versionId: 'v1', secretString: JSON.stringify({ token: TOKEN }) },
        ...('token' in b ? [{ secretId: OTHER, arn: OTHER, versionId: 'v1', secretString: JSON.stringify({ token: b.token }) }] : []),
      ].filter((v) => ids.includes(v.secretId)),
      errors: 'errorCode' in b ? [{ secretId: OTHER, errorCode: b.errorCode, message: 'm' }] : [],
    }),
  });
  const fleet = { kind: 'ids' as const, ids: [ARN, OTHER] };
  const index = (b: Parameters<typeof storeWith>[0]) => lazyFleetIndex(fleet, { store: storeWith(b) as never });

  it('answers from the fleet: held elsewhere when another secret holds the token as current, not for its own holder', async () => {
    expect(await index({ token: TOKEN }).heldElsewhere(TOKEN, ARN)).toBe(true);
    expect(await index({ token: 'another-token-altogether-xxxxxxxx' }).heldElsewhere(TOKEN, ARN)).toBe(false);
  });

  it('counts a token as possibly held elsewhere while a secret of the fleet could not be read (it may hold it)', async () => {
    for (const errorCode of ['AccessDeniedException', 'DecryptionFailure', 'ThrottlingException']) {
      expect(await index({ errorCode }).heldElsewhere(TOKEN, ARN), errorCode).toBe(true);
    }
  });

  it('does not count a deleted secret (it holds nothing)', async () => {
    expect(await index({ errorCode: 'ResourceNotFoundException' }).heldElsewhere(TOKEN, ARN)).toBe(false);
  });

  it('does not count a tagged secret outside the deployment (tag discovery reports it, never reads it)', async () => {
    const FOREIGN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:c-AbCdEf';
    const listed = (arn: string) => ({ arn, name: arn.split(':').at(-1)!, versions: { v1: ['AWSCURRENT'] }, tags: {} });
    const store = {
      ...storeWith({ token: 'another-token-altogether-xxxxxxxx' }),
      async *listTagged() {
        yield [listed(ARN), listed(OTHER), listed(FOREIGN)];
      },
    };
    const tagged = lazyFleetIndex({ kind: 'tag', ownedArnPrefix: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:' }, { store: store as never });
    expect(await tagged.heldElsewhere(TOKEN, ARN)).toBe(false);
  });
});
