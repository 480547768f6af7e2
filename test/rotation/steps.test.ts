import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { runRotationStep, type RotationStep } from '../../core/rotation/steps.js';
import { SecretStore } from '../../core/secrets/store.js';
import { RotationStateError, TokenNotFoundError, ValidationError } from '../../core/errors.js';
import { systemClock } from '../../core/clock.js';
import { MemoryProvider, memoryOpener } from '../helpers/memory-provider.js';
import { parseFailureRecord } from '../../core/rotation/failure-record.js';
import { PendingTokenRefusedError } from '../../core/rotation/pending-attempts.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import type { HeldToken, IssueRequest } from '../../core/providers/provider.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:tg-AbCdEf';
const CURRENT = 'v-current';
const PENDING = 'v-pending';
const currentValue = {
  host: 'https://tg.example.com',
  credentialSecretId: 'cred',
  lifetimeSeconds: 3600,
  team: 'kept-as-is',
  token: 'old-token-value-123456',
  expiresAt: '2030-01-01T00:00:00.000Z',
  issuedAt: '2029-12-01T00:00:00.000Z',
};

const sm = mockClient(SecretsManagerClient);
let provider: MemoryProvider;

function deps() {
  return { store: new SecretStore(new SecretsManagerClient({ region: 'us-east-1' })), providers: memoryOpener(provider), clock: systemClock };
}

function describeWith(versions: Record<string, string[]>, rotationEnabled = true) {
  sm.on(DescribeSecretCommand).resolves({ ARN, Name: 'tg', RotationEnabled: rotationEnabled, VersionIdsToStages: versions });
}

const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });

/** No patience for a new token unless a test gives some: a refusal counts at once. */
const IMPATIENT = { ...DEFAULT_SETTINGS, newTokenPatienceSeconds: 0 };

function run(step: RotationStep, token = PENDING, rotationToken?: string) {
  return runRotationStep({ secretId: ARN, clientRequestToken: token, step, ...(rotationToken ? { rotationToken } : {}) }, deps(), { settings: IMPATIENT });
}

beforeEach(() => {
  sm.reset();
  provider = new MemoryProvider();
  // A failing step tags the secret with the reason (best effort; see 'failure record' below).
  sm.on(TagResourceCommand).resolves({});
});

describe('checks before any step', () => {
  it('refuses a secret with rotation disabled', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] }, false);
    await expect(run('createSecret')).rejects.toThrow(/not enabled for rotation/);
    expect(provider.calls.issue).toBe(0);
  });
  it('refuses a ClientRequestToken that is not a version of the secret', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'] });
    await expect(run('createSecret', 'nope')).rejects.toBeInstanceOf(RotationStateError);
  });
  it('refuses a version that is neither pending nor current', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPREVIOUS'] });
    await expect(run('testSecret')).rejects.toThrow(/neither AWSPENDING nor AWSCURRENT/);
  });
  it.each(['createSecret', 'setSecret', 'testSecret'] as const)('does nothing for %s when the version is already AWSCURRENT', async (step) => {
    describeWith({ [PENDING]: ['AWSCURRENT'] });
    const result = await run(step);
    expect(result.outcome).toBe('already-current');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect(provider.calls.issue).toBe(0);
  });
});

describe('createSecret', () => {
  it('mints one token and stores it as AWSPENDING, keeping every other field', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ VersionId: CURRENT, SecretString: JSON.stringify(currentValue) });
    sm.on(PutSecretValueCommand).resolves({ VersionId: PENDING });

    const result = await run('createSecret', PENDING, 'rot-token');

    expect(result.outcome).toBe('created');
    expect(provider.calls.issue).toBe(1);
    const put = sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input;
    expect(put.ClientRequestToken).toBe(PENDING);
    expect(put.VersionStages).toEqual(['AWSPENDING', 'TGMINTED']); // TGMINTED: where the last mint went (unfinished-mints.ts)
    expect(put.RotationToken).toBe('rot-token');
    const stored = JSON.parse(put.SecretString!);
    expect(stored.team).toBe('kept-as-is');
    expect(stored.host).toBe(currentValue.host);
    expect(stored.token).not.toBe(currentValue.token);
    expect(provider.isLive(stored.token)).toBe(true);
    expect(Date.parse(stored.expiresAt) - Date.parse(stored.issuedAt)).toBe(3600_000);
    expect(stored).not.toHaveProperty('tigergraphVersion'); // no defaults written into the user's JSON
    expect(stored).not.toHaveProperty('retiredVersionIds'); // nothing replaced is left unrevoked
    // The provider learns which secret and version the token is for (Trifacta writes it into the description).
    expect(provider.issued[0]).toEqual({ lifetimeSeconds: 3600, purpose: { secretName: 'tg', versionId: PENDING } });
  });

  it('keeps an unrevoked AWSPREVIOUS tracked in the new value (retiredVersionIds), as the move will take its label', async () => {
    describeWith({ 'v-older': ['AWSPREVIOUS'], [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({
      VersionId: CURRENT,
      SecretString: JSON.stringify({ ...currentValue, retiredVersionIds: ['v-oldest'] }),
    });
    sm.on(PutSecretValueCommand).resolves({ VersionId: PENDING });
    await run('createSecret');
    const stored = JSON.parse(sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input.SecretString!);
    expect(stored.retiredVersionIds).toEqual(['v-oldest', 'v-older']);
  });

  it('lists nothing as retired when the current version is settled (everything it replaced is dealt with)', async () => {
    describeWith({ 'v-older': ['AWSPREVIOUS'], [CURRENT]: ['AWSCURRENT', 'TGSETTLED'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({
      VersionId: CURRENT,
      SecretString: JSON.stringify({ ...currentValue, retiredVersionIds: ['v-oldest'], refreshedAt: '2029-12-10T00:00:00.000Z' }),
    });
    sm.on(PutSecretValueCommand).resolves({ VersionId: PENDING });
    await run('createSecret');
    const stored = JSON.parse(sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input.SecretString!);
    expect(stored).not.toHaveProperty('retiredVersionIds');
    expect(stored).not.toHaveProperty('refreshedAt'); // belongs to the replaced token
  });

  it('does nothing when the pending version already has a value', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).resolves({ VersionId: PENDING, SecretString: JSON.stringify({ ...currentValue, expiresAt: '2031-01-01T00:00:00.000Z' }) });
    const result = await run('createSecret');
    expect(result).toMatchObject({ outcome: 'already-created', expiresAt: '2031-01-01T00:00:00.000Z' });
    expect(provider.calls.issue).toBe(0);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('revokes the minted token when the put fails, and rethrows', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ VersionId: CURRENT, SecretString: JSON.stringify(currentValue) });
    sm.on(PutSecretValueCommand).rejects(new InternalServiceError({ message: 'boom', $metadata: {} }));
    await expect(run('createSecret')).rejects.toThrow(/boom/);
    expect(provider.calls.issue).toBe(1);
    expect(provider.calls.revoke).toBe(1);
    expect(provider.live.size).toBe(0);
  });

  describe('when the provider\'s tokens may collide, the clean-up first checks the fleet', () => {
    const OTHER = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:other-GhIjKl';
    const minted = () => [...provider.live.keys()][0]!;
    function failingPut() {
      describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
      sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
      sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ VersionId: CURRENT, SecretString: JSON.stringify(currentValue) });
      sm.on(PutSecretValueCommand).rejects(new InternalServiceError({ message: 'boom', $metadata: {} }));
    }
    /** The fleet's AWSCURRENT values: this secret (its own, older token) and OTHER holding `otherToken()`. */
    function fleetHolding(otherToken: () => string) {
      sm.on(BatchGetSecretValueCommand).callsFake(() => ({
        SecretValues: [
          { ARN, Name: 'tg', VersionId: CURRENT, VersionStages: ['AWSCURRENT'], SecretString: JSON.stringify(currentValue) },
          { ARN: OTHER, Name: 'other', VersionId: 'v-other', VersionStages: ['AWSCURRENT'], SecretString: JSON.stringify({ ...currentValue, token: otherToken() }) },
        ],
      }));
    }
    function runWithFleet(log: Array<[string, Record<string, unknown>]> = []) {
      return runRotationStep({ secretId: ARN, clientRequestToken: PENDING, step: 'createSecret' }, { ...deps(), log: (m, f) => log.push([m, f]) }, { fleet: { kind: 'ids', ids: [ARN, OTHER] } });
    }

    it('does not revoke a minted token another secret holds as current, and logs it', async () => {
      provider = new MemoryProvider({ capabilities: { tokensMayCollide: true } });
      failingPut();
      fleetHolding(minted);
      const log: Array<[string, Record<string, unknown>]> = [];
      await expect(runWithFleet(log)).rejects.toThrow(/boom/);
      expect(provider.calls.revoke).toBe(0);
      expect(provider.isLive(minted())).toBe(true);
      expect(sm.commandCalls(BatchGetSecretValueCommand)[0]!.args[0].input.SecretIdList).toEqual([ARN, OTHER]);
      expect(log).toEqual([[expect.stringMatching(/orphan held elsewhere/), expect.objectContaining({ orphanRevoked: false, orphanHeldElsewhere: true })]]);
    });

    it('revokes it when no other secret holds it', async () => {
      provider = new MemoryProvider({ capabilities: { tokensMayCollide: true } });
      failingPut();
      fleetHolding(() => 'another-token-entirely');
      await expect(runWithFleet()).rejects.toThrow(/boom/);
      expect(provider.calls.revoke).toBe(1);
      expect(provider.live.size).toBe(0);
      expect(sm.commandCalls(BatchGetSecretValueCommand)).toHaveLength(1);
    });

    it('leaves it to expire when the fleet cannot be read', async () => {
      provider = new MemoryProvider({ capabilities: { tokensMayCollide: true } });
      failingPut();
      sm.on(BatchGetSecretValueCommand).rejects(new InternalServiceError({ message: 'batch down', $metadata: {} }));
      const log: Array<[string, Record<string, unknown>]> = [];
      await expect(runWithFleet(log)).rejects.toThrow(/boom/);
      expect(provider.calls.revoke).toBe(0);
      expect(log[0]![1]).toMatchObject({ orphanRevoked: false, orphanHeldElsewhere: 'unknown' });
    });

    it('reads no fleet for a provider whose tokens cannot collide', async () => {
      failingPut();
      fleetHolding(minted);
      await expect(runWithFleet()).rejects.toThrow(/boom/);
      expect(provider.calls.revoke).toBe(1);
      expect(sm.commandCalls(BatchGetSecretValueCommand)).toHaveLength(0);
    });
  });

  it('treats a concurrent winner (ResourceExistsException) as success and revokes its own token', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' })
      .rejectsOnce(notFound())
      .resolves({ VersionId: PENDING, SecretString: JSON.stringify(currentValue) });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ VersionId: CURRENT, SecretString: JSON.stringify(currentValue) });
    sm.on(PutSecretValueCommand).rejects(new ResourceExistsException({ message: 'exists', $metadata: {} }));
    const result = await run('createSecret');
    expect(result.outcome).toBe('already-created');
    expect(provider.live.size).toBe(0);
  });

  it('fails with a ValidationError and writes nothing when the current JSON is bad', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ VersionId: CURRENT, SecretString: JSON.stringify({ host: 'tg.example.com' }) });
    const err = await run('createSecret').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/host/);
    expect((err as Error).message).toMatch(/credentialSecretId/);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(provider.calls.issue).toBe(0);
  });

  it('does not store anything when the provider fails to issue', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ VersionId: CURRENT, SecretString: JSON.stringify(currentValue) });
    provider.failIssue = new Error('server said no');
    await expect(run('createSecret')).rejects.toThrow('server said no');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});

describe('setSecret', () => {
  it('has nothing to set at the provider', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    expect((await run('setSecret')).outcome).toBe('nothing-to-set');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe('testSecret', () => {
  beforeEach(() => describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] }));

  it('passes when the provider accepts the pending token', async () => {
    const issued = await provider.issue();
    sm.on(GetSecretValueCommand, { VersionId: PENDING }).resolves({ VersionId: PENDING, SecretString: JSON.stringify({ ...currentValue, token: issued.token, expiresAt: issued.expiresAt?.toISOString() }) });
    expect((await run('testSecret')).outcome).toBe('tested');
    expect(provider.calls.verify).toBe(1);
  });
  it('fails when the provider refuses the token', async () => {
    sm.on(GetSecretValueCommand, { VersionId: PENDING }).resolves({ VersionId: PENDING, SecretString: JSON.stringify({ ...currentValue, token: 'unknown-token' }) });
    const err = await run('testSecret').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenNotFoundError);
    expect((err as Error).message).not.toContain('unknown-token');
  });
  it('fails when the pending token already expired, without calling the provider, and abandons that rotation', async () => {
    sm.on(GetSecretValueCommand, { VersionId: PENDING }).resolves({ VersionId: PENDING, SecretString: JSON.stringify({ ...currentValue, expiresAt: '2001-01-01T00:00:00.000Z' }) });
    await expect(run('testSecret')).rejects.toThrow(/expired/);
    expect(provider.calls.verify).toBe(0);
    // A retry of this version could never pass: AWSPENDING is removed so a new rotation can start.
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: PENDING },
    ]);
  });
  it('has nothing to test on a version without a value (Secrets Manager’s configuration test, RotateImmediately false): no provider call, nothing changed, nothing recorded', async () => {
    sm.on(GetSecretValueCommand).rejects(notFound());
    expect(await run('testSecret')).toEqual({ step: 'testSecret', versionId: PENDING, outcome: 'nothing-to-test' });
    expect(provider.calls.verify).toBe(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect(sm.commandCalls(TagResourceCommand)).toHaveLength(0);
  });
  it('fails clearly when the pending value has no token', async () => {
    const { token: _t, ...noToken } = currentValue;
    sm.on(GetSecretValueCommand, { VersionId: PENDING }).resolves({ VersionId: PENDING, SecretString: JSON.stringify(noToken) });
    await expect(run('testSecret')).rejects.toThrow(/no token field/);
  });
});

describe('testSecret: a pending token the server refuses is re-driven a bounded number of times (issue 22)', () => {
  const TAG = 'tg-token-rotation:last-rotation-error';
  let pendingToken: string;
  beforeEach(async () => {
    const issued = await provider.issue();
    pendingToken = issued.token;
    provider.refused.add(pendingToken);
    sm.on(GetSecretValueCommand, { VersionId: PENDING }).resolves({
      VersionId: PENDING,
      SecretString: JSON.stringify({ ...currentValue, token: issued.token, expiresAt: issued.expiresAt!.toISOString() }),
    });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
  });
  function describeWithRecord(record?: string) {
    sm.on(DescribeSecretCommand).resolves({
      ARN,
      Name: 'tg',
      RotationEnabled: true,
      VersionIdsToStages: { [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] },
      ...(record ? { Tags: [{ Key: TAG, Value: record }] } : {}),
    });
  }
  const runWith = (settings: Partial<typeof DEFAULT_SETTINGS> = {}, log?: (m: string, f: Record<string, unknown>) => void) =>
    runRotationStep({ secretId: ARN, clientRequestToken: PENDING, step: 'testSecret' }, { ...deps(), ...(log ? { log } : {}) }, { settings: { ...IMPATIENT, ...settings } });
  const taggedRecord = () => sm.commandCalls(TagResourceCommand).at(-1)!.args[0].input.Tags![0]!.Value!;

  it('the first refusal is attempt 1 of 3, recorded in the failure tag; nothing is removed or revoked', async () => {
    describeWithRecord();
    const err = (await runWith().catch((e: unknown) => e)) as PendingTokenRefusedError;
    expect(err).toBeInstanceOf(PendingTokenRefusedError);
    expect(err).toBeInstanceOf(TokenNotFoundError);
    expect(err).toMatchObject({ attempt: 1, attempts: 3, abandoned: false });
    expect(taggedRecord()).toMatch(new RegExp(`^${PENDING} testSecret PendingTokenRefusedError: attempt 1 of 3: `));
    expect(parseFailureRecord(taggedRecord())).toMatchObject({ versionId: PENDING, step: 'testSecret', pendingTokenAttempts: { attempt: 1, of: 3, abandoned: false } });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect(provider.calls.revoke).toBe(0);
    expect(taggedRecord()).not.toContain(pendingToken);
  });

  it('counts on from the record of the same version, and from 1 when the record is of another version or another failure', async () => {
    describeWithRecord(`${PENDING} testSecret PendingTokenRefusedError: attempt 1 of 3: refused at 2030-01-01T00:00:00.000Z`);
    expect(await runWith().catch((e: unknown) => e)).toMatchObject({ attempt: 2, abandoned: false });
    describeWithRecord(`other-version testSecret PendingTokenRefusedError: attempt 2 of 3: refused at 2030-01-01T00:00:00.000Z`);
    expect(await runWith().catch((e: unknown) => e)).toMatchObject({ attempt: 1, abandoned: false });
    describeWithRecord(`${PENDING} createSecret TransportError: timeout at 2030-01-01T00:00:00.000Z`);
    expect(await runWith().catch((e: unknown) => e)).toMatchObject({ attempt: 1, abandoned: false });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('the third refusal abandons the version: the orphan revoked, AWSPENDING removed, AWSCURRENT untouched', async () => {
    describeWithRecord(`${PENDING} testSecret PendingTokenRefusedError: attempt 2 of 3: refused at 2030-01-01T00:00:00.000Z`);
    const log: Array<[string, Record<string, unknown>]> = [];
    const err = await runWith({}, (m, f) => log.push([m, f])).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'PendingTokenRefusedError', attempt: 3, attempts: 3, abandoned: true });
    expect((err as Error).message).toMatch(/^attempt 3 of 3 abandoned: .*AWSPENDING removed, its token revoked/);
    expect(provider.calls.revoke).toBe(1);
    expect(provider.live.has(pendingToken)).toBe(false);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: PENDING }]);
    expect(parseFailureRecord(taggedRecord())?.pendingTokenAttempts).toEqual({ attempt: 3, of: 3, abandoned: true });
    expect(log).toEqual([[expect.stringMatching(/abandoned/), expect.objectContaining({ versionId: PENDING, attempts: 3, orphan: 'revoked' })]]);
    expect(JSON.stringify(log)).not.toContain(pendingToken);
  });

  it('pendingTokenAttempts sets the bound: 1 abandons at the first refusal', async () => {
    describeWithRecord();
    expect(await runWith({ pendingTokenAttempts: 1 }).catch((e: unknown) => e)).toMatchObject({ attempt: 1, attempts: 1, abandoned: true });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(1);
  });

  it('where the provider cannot revoke, the abandoned token is left to expire (and the log says when)', async () => {
    const kept = provider;
    provider = new MemoryProvider({ capabilities: { revoke: 'none' } });
    provider.refused.add(pendingToken);
    provider.live.set(pendingToken, kept.live.get(pendingToken)!);
    describeWithRecord(`${PENDING} testSecret PendingTokenRefusedError: attempt 2 of 3: refused at 2030-01-01T00:00:00.000Z`);
    const log: Array<[string, Record<string, unknown>]> = [];
    const err = await runWith({}, (m, f) => log.push([m, f])).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/its token left to expire/);
    expect(provider.calls.revoke).toBe(0);
    expect(log[0]![1]).toMatchObject({ orphan: 'expiring', orphanExpiresAt: expect.any(String) });
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(1);
  });

  it('a token that can collide is not revoked without a fleet to check (left to expire), but AWSPENDING still goes', async () => {
    const kept = provider;
    provider = new MemoryProvider({ capabilities: { tokensMayCollide: true } });
    provider.refused.add(pendingToken);
    provider.live.set(pendingToken, kept.live.get(pendingToken)!);
    describeWithRecord(`${PENDING} testSecret PendingTokenRefusedError: attempt 2 of 3: refused at 2030-01-01T00:00:00.000Z`);
    expect(await runWith().catch((e: unknown) => e)).toMatchObject({ abandoned: true });
    expect(provider.calls.revoke).toBe(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(1);
  });
});

describe('testSecret: patience for a token minted a moment ago (issue 22)', () => {
  let pendingToken: string;
  beforeEach(async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    const issued = await provider.issue();
    pendingToken = issued.token;
    provider.refused.add(pendingToken); // not accepted yet: clock skew, or still propagating
    sm.on(GetSecretValueCommand, { VersionId: PENDING }).resolves({
      VersionId: PENDING,
      SecretString: JSON.stringify({ ...currentValue, token: issued.token, expiresAt: issued.expiresAt!.toISOString() }),
    });
  });
  const testWith = (patienceSeconds: number, remainingTimeMs?: () => number) =>
    runRotationStep(
      { secretId: ARN, clientRequestToken: PENDING, step: 'testSecret' },
      deps(),
      { settings: { ...DEFAULT_SETTINGS, newTokenPatienceSeconds: patienceSeconds }, ...(remainingTimeMs ? { remainingTimeMs } : {}) },
    );

  it('a token refused at first and accepted a second later passes, after more than one try, with nothing recorded', async () => {
    setTimeout(() => provider.refused.delete(pendingToken), 1_000);
    expect((await testWith(10)).outcome).toBe('tested');
    expect(provider.calls.verify).toBeGreaterThan(1);
    expect(sm.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it('without patience (0) the same token fails at the first refusal', async () => {
    setTimeout(() => provider.refused.delete(pendingToken), 1_000);
    await expect(testWith(0)).rejects.toBeInstanceOf(PendingTokenRefusedError);
    expect(provider.calls.verify).toBe(1);
  });

  it('never waits past the invocation’s remaining time less the margin, whatever the setting', async () => {
    const started = performance.now();
    // 10.8 s left: the 10 s margin leaves 0.8 s of the 60 s patience.
    const deadline = Date.now() + 10_800;
    await expect(testWith(60, () => deadline - Date.now())).rejects.toBeInstanceOf(PendingTokenRefusedError);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(700);
    expect(took).toBeLessThan(5_000);
    expect(provider.calls.verify).toBeGreaterThan(1);
  });
});

describe('finishSecret', () => {
  beforeEach(() => {
    sm.on(GetSecretValueCommand, { VersionId: PENDING, VersionStage: 'AWSPENDING' }).resolves({
      VersionId: PENDING,
      SecretString: JSON.stringify({ ...currentValue, token: 'new-token-value-654321', expiresAt: '2031-01-01T00:00:00.000Z' }),
    });
  });
  it('revokes nothing: a replaced token stays valid for the grace period and tracked (AWSPREVIOUS, retiredVersionIds)', async () => {
    const older = await provider.issue();
    describeWith({ 'v-older': ['AWSPREVIOUS'], [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    expect((await run('finishSecret')).outcome).toBe('finished');
    expect(provider.isLive(older.token)).toBe(true);
    expect(provider.calls.revoke).toBe(0);
  });
  it('clears the failure tag of an earlier failed rotation once one succeeds', async () => {
    sm.on(DescribeSecretCommand).resolves({
      ARN,
      Name: 'tg',
      RotationEnabled: true,
      VersionIdsToStages: { [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] },
      Tags: [{ Key: 'tg-token-rotation:last-rotation-error', Value: 'x createSecret boom' }],
    });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    sm.on(UntagResourceCommand).resolves({});
    await run('finishSecret');
    expect(sm.commandCalls(UntagResourceCommand)[0]!.args[0].input).toEqual({ SecretId: ARN, TagKeys: ['tg-token-rotation:last-rotation-error'] });
  });
  it('refuses to make current a pending version createSecret has not filled (steps out of order)', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionId: PENDING, VersionStage: 'AWSPENDING' }).resolves({ VersionId: PENDING });
    await expect(run('finishSecret')).rejects.toThrow(RotationStateError);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });
  it('moves AWSCURRENT to the pending version and removes AWSPENDING', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    expect((await run('finishSecret')).outcome).toBe('finished');
    const calls = sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { SecretId: ARN, VersionStage: 'AWSCURRENT', MoveToVersionId: PENDING, RemoveFromVersionId: CURRENT },
      { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: PENDING },
    ]);
    expect(provider.calls.revoke).toBe(0); // the previous token stays valid for the grace period
  });
  it('on a retry after the move, only cleans AWSPENDING up', async () => {
    describeWith({ [CURRENT]: ['AWSPREVIOUS'], [PENDING]: ['AWSCURRENT', 'AWSPENDING'] });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    expect((await run('finishSecret')).outcome).toBe('already-current');
    const calls = sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([{ SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: PENDING }]);
  });
  it('leaves AWSCURRENT where it was when the move fails', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(UpdateSecretVersionStageCommand).rejects(new InternalServiceError({ message: 'down', $metadata: {} }));
    await expect(run('finishSecret')).rejects.toThrow('down');
  });
});

describe('failure record', () => {
  it('a failing step tags the secret with the version, the step and a reason holding only allowed characters', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ VersionId: CURRENT, SecretString: JSON.stringify(currentValue) });
    provider.failIssue = new Error('server said "no" (HTTP 500), try later!');
    await expect(run('createSecret')).rejects.toThrow('server said');
    const tag = sm.commandCalls(TagResourceCommand)[0]!.args[0].input.Tags![0]!;
    expect(tag.Key).toBe('tg-token-rotation:last-rotation-error');
    expect(tag.Value).toMatch(new RegExp(`^${PENDING} createSecret Error: server said no HTTP 500 try later`));
    expect(tag.Value).toMatch(/^[\p{L}\p{N}\s_.:/=+\-@]{0,256}$/u);
    // Ends with the instant, so the same failure again is a new record.
    expect(tag.Value).toMatch(/ at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
  it('a failure to tag never hides the step’s own error', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ VersionId: CURRENT, SecretString: JSON.stringify(currentValue) });
    sm.on(TagResourceCommand).rejects(new InternalServiceError({ message: 'tagging down', $metadata: {} }));
    provider.failIssue = new Error('mint failed');
    await expect(run('createSecret')).rejects.toThrow('mint failed');
  });
});

describe('step results and edges the other tests leave open (issue 17)', () => {
  function createSecretWith(current: Record<string, unknown> = currentValue) {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(notFound());
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ VersionId: CURRENT, SecretString: JSON.stringify(current) });
  }

  it('createSecret answers the new token’s exact expiry (now + the secret’s lifetimeSeconds), as stored', async () => {
    createSecretWith();
    sm.on(PutSecretValueCommand).resolves({ VersionId: PENDING });
    const result = await run('createSecret');
    const stored = JSON.parse(sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input.SecretString!);
    expect(result).toEqual({ step: 'createSecret', versionId: PENDING, outcome: 'created', expiresAt: stored.expiresAt });
    expect(Math.abs(Date.parse(stored.expiresAt) - (Date.now() + 3600_000))).toBeLessThan(5_000);
  });

  it('createSecret of a token that never expires answers expiresAt null', async () => {
    provider = new (class extends MemoryProvider {
      override async issue(request?: IssueRequest) {
        return { ...(await super.issue(request)), expiresAt: null };
      }
    })();
    createSecretWith();
    sm.on(PutSecretValueCommand).resolves({ VersionId: PENDING });
    expect(await run('createSecret')).toEqual({ step: 'createSecret', versionId: PENDING, outcome: 'created', expiresAt: null });
    expect(JSON.parse(sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input.SecretString!).expiresAt).toBeNull();
  });

  it('createSecret, testSecret and finishSecret name their step in the result', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
    const issued = await provider.issue();
    const pending = { ...currentValue, token: issued.token, expiresAt: issued.expiresAt!.toISOString() };
    sm.on(GetSecretValueCommand, { VersionId: PENDING }).resolves({ VersionId: PENDING, SecretString: JSON.stringify(pending) });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    expect(await run('createSecret')).toEqual({ step: 'createSecret', versionId: PENDING, outcome: 'already-created', expiresAt: pending.expiresAt });
    expect(await run('testSecret')).toEqual({ step: 'testSecret', versionId: PENDING, outcome: 'tested', expiresAt: pending.expiresAt });
    expect(await run('finishSecret')).toEqual({ step: 'finishSecret', versionId: PENDING, outcome: 'finished' });
    // No failure tag on the secret: nothing to clear.
    expect(sm.commandCalls(UntagResourceCommand)).toHaveLength(0);
  });

  describe('a server that mints the current token again (same-second JWTs)', () => {
    const start = Date.parse('2030-06-01T00:00:00.000Z');
    it('mints once more a second later and stores the different token', async () => {
      let now = start;
      provider = new MemoryProvider({ deterministic: true, now: () => now });
      const issue = provider.issue.bind(provider);
      provider.issue = async (request) => {
        const out = await issue(request);
        now += 1_000; // the server's next second
        return out;
      };
      createSecretWith({ ...currentValue, token: `same-${start / 1000}` });
      sm.on(PutSecretValueCommand).resolves({ VersionId: PENDING });
      expect((await run('createSecret')).outcome).toBe('created');
      expect(provider.calls.issue).toBe(2);
      expect(JSON.parse(sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input.SecretString!).token).toBe(`same-${start / 1000 + 1}`);
    });

    it('gives up after two more mints that all return the current token, storing nothing', async () => {
      provider = new MemoryProvider({ deterministic: true, now: () => start });
      createSecretWith({ ...currentValue, token: `same-${start / 1000}` });
      await expect(run('createSecret')).rejects.toThrow(/minted the current token .* again/);
      expect(provider.calls.issue).toBe(3);
      expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    });
  });

  describe('a minted token that could not be stored', () => {
    it('is revoked with the provider fields it was minted with', async () => {
      const revoked: HeldToken[] = [];
      provider = new (class extends MemoryProvider {
        override async issue(request?: IssueRequest) {
          const out = await super.issue(request);
          return { ...out, fields: { tokenId: `id-of-${out.token}` } };
        }
        override async revoke(held: HeldToken) {
          revoked.push(held);
          return super.revoke(held);
        }
      })();
      createSecretWith();
      sm.on(PutSecretValueCommand).rejects(new InternalServiceError({ message: 'boom', $metadata: {} }));
      const logs: Array<[string, Record<string, unknown>]> = [];
      const step = runRotationStep({ secretId: ARN, clientRequestToken: PENDING, step: 'createSecret' }, { ...deps(), log: (m: string, f: Record<string, unknown>) => logs.push([m, f]) });
      await expect(step).rejects.toThrow(/boom/);
      expect(revoked).toHaveLength(1);
      const { token } = revoked[0]!;
      expect(revoked[0]).toEqual({ token, fields: { tokenId: `id-of-${token}` }, expiresAt: expect.any(Date) });
      expect(provider.isLive(token)).toBe(false);
      expect(logs).toContainEqual([expect.any(String), expect.objectContaining({ orphanRevoked: true })]);
    });

    it('is left to expire where the provider cannot revoke, and the log says when it expires', async () => {
      provider = new MemoryProvider({ capabilities: { revoke: 'none' } });
      const logs: Array<[string, Record<string, unknown>]> = [];
      createSecretWith();
      sm.on(PutSecretValueCommand).rejects(new InternalServiceError({ message: 'boom', $metadata: {} }));
      const step = runRotationStep({ secretId: ARN, clientRequestToken: PENDING, step: 'createSecret' }, { ...deps(), log: (m: string, f: Record<string, unknown>) => logs.push([m, f]) });
      await expect(step).rejects.toThrow(/boom/);
      expect(provider.calls.revoke).toBe(0);
      const [minted] = [...provider.live.entries()];
      expect(logs).toContainEqual([expect.any(String), expect.objectContaining({ orphanRevoked: false, orphanExpiresAt: new Date(minted![1]).toISOString() })]);
    });

    it('is left alone, and the put’s error reported, when the provider cannot say what it can do', async () => {
      provider.capabilities = async () => {
        throw new Error('capabilities unknown');
      };
      createSecretWith();
      sm.on(PutSecretValueCommand).rejects(new InternalServiceError({ message: 'boom', $metadata: {} }));
      const logs: Array<[string, Record<string, unknown>]> = [];
      const step = runRotationStep({ secretId: ARN, clientRequestToken: PENDING, step: 'createSecret' }, { ...deps(), log: (m: string, f: Record<string, unknown>) => logs.push([m, f]) });
      await expect(step).rejects.toThrow(/boom/);
      expect(provider.calls.revoke).toBe(0);
      expect(logs).toContainEqual([expect.any(String), expect.objectContaining({ orphanRevoked: false })]);
    });

    it('a concurrent createSecret that stored first (ResourceExistsException) is success, named as the createSecret step', async () => {
      describeWith({ [CURRENT]: ['AWSCURRENT'], [PENDING]: ['AWSPENDING'] });
      sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' })
        .rejectsOnce(notFound())
        .resolves({ VersionId: PENDING, SecretString: JSON.stringify({ ...currentValue, expiresAt: '2031-01-01T00:00:00.000Z' }) });
      sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({ VersionId: CURRENT, SecretString: JSON.stringify(currentValue) });
      sm.on(PutSecretValueCommand).rejects(new ResourceExistsException({ message: 'exists', $metadata: {} }));
      expect(await run('createSecret')).toEqual({ step: 'createSecret', versionId: PENDING, outcome: 'already-created', expiresAt: '2031-01-01T00:00:00.000Z' });
    });

    it('a ResourceExistsException with no pending value to be found is the put’s own error, not success', async () => {
      createSecretWith();
      sm.on(PutSecretValueCommand).rejects(new ResourceExistsException({ message: 'exists', $metadata: {} }));
      await expect(run('createSecret')).rejects.toBeInstanceOf(ResourceExistsException);
    });
  });

  it('the failure record fits a tag value (256 characters) however long the error', async () => {
    createSecretWith();
    provider.failIssue = new Error(`server said ${'no '.repeat(200)}`);
    await expect(run('createSecret')).rejects.toThrow('server said');
    const tag = sm.commandCalls(TagResourceCommand)[0]!.args[0].input.Tags![0]!;
    expect(tag.Value!.length).toBeLessThanOrEqual(256);
    expect(tag.Value).toMatch(new RegExp(`^${PENDING} createSecret Error: server said no no`));
  });
});
