import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { parseOnDemandEvent, perform } from '../../functions/on-demand/handler.js';
import { SecretStore } from '../../core/secrets/store.js';
import { OffsetClock } from '../../core/clock.js';
import { RotationStateError, ValidationError } from '../../core/errors.js';
import { MemoryProvider } from '../helpers/memory-provider.js';

const sm = mockClient(SecretsManagerClient);
const clock = new OffsetClock();
let provider: MemoryProvider;
let currentToken: string;
const ID = 'tg-secret';

function deps() {
  return { store: new SecretStore(new SecretsManagerClient({ region: 'us-east-1' })), openProvider: async () => provider, clock };
}
const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });

beforeEach(async () => {
  sm.reset();
  provider = new MemoryProvider({ now: () => clock.now() });
  const issued = await provider.issue({ lifetimeSeconds: 3600 });
  currentToken = issued.token;
  sm.on(GetSecretValueCommand, { SecretId: ID, VersionStage: 'AWSCURRENT' }).resolves({
    VersionId: 'v2',
    SecretString: JSON.stringify({
      host: 'https://tg.example.com',
      credentialSecretId: 'cred',
      tigergraphVersion: 'auto',
      providerVersion: '3',
      token: currentToken,
      expiresAt: issued.expiresAt.toISOString(),
      issuedAt: issued.issuedAt.toISOString(),
    }),
  });
  sm.on(PutSecretValueCommand).resolves({ VersionId: 'v3' });
  sm.on(UpdateSecretVersionStageCommand).resolves({});
});

describe('on-demand input', () => {
  it.each([
    [{ secretId: ID }, 'action'],
    [{ action: 'rotate', secretId: ID }, 'action'],
    [{ action: 'status' }, 'secretId'],
    [{ action: 'request', secretId: ID, lifetimeSeconds: 'long' }, 'lifetimeSeconds'],
    [{ action: 'delete', secretId: ID, force: 'yes' }, 'force'],
    [{ action: 'status', secretId: ID, secretID: 'typo' }, 'secretID'],
  ])('rejects %j naming %s', (event, field) => {
    let error: unknown;
    try {
      parseOnDemandEvent(event);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).name).toBe('ValidationError');
    expect((error as Error).message).toContain(field);
  });
});

describe('on-demand actions', () => {
  it('status reports metadata and expiry, no token, no provider call', async () => {
    const result = await perform({ action: 'status', secretId: ID }, deps());
    expect(result).toMatchObject({ secretId: ID, versionId: 'v2', tigergraphVersion: '3' });
    expect((result as { secondsLeft: number }).secondsLeft).toBeGreaterThan(3500);
    expect(JSON.stringify(result)).not.toContain(currentToken);
    expect(provider.calls).toEqual({ issue: 1, refresh: 0, revoke: 0, verify: 0 });
  });

  it('request rotates through Secrets Manager and reports the new version', async () => {
    sm.on(RotateSecretCommand).resolves({ VersionId: 'v3' });
    sm.on(GetSecretValueCommand, { SecretId: ID, VersionId: 'v3' }).resolves({ VersionId: 'v3', SecretString: JSON.stringify({ expiresAt: '2030-01-01T00:00:00.000Z', token: 'x' }) });
    const result = await perform({ action: 'request', secretId: ID }, deps());
    expect(result).toEqual({ versionId: 'v3', expiresAt: '2030-01-01T00:00:00.000Z' });
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('request answers clearly when a rotation is already in progress', async () => {
    sm.on(RotateSecretCommand).rejects(new InvalidRequestException({ message: "A previous rotation isn't complete. That rotation will be reattempted.", $metadata: {} }));
    await expect(perform({ action: 'request', secretId: ID }, deps())).rejects.toBeInstanceOf(RotationStateError);
  });

  it('refresh extends the token in place on a refresh-capable provider', async () => {
    sm.on(GetSecretValueCommand, { SecretId: ID, VersionStage: 'AWSPREVIOUS' }).rejects(notFound());
    const result = await perform({ action: 'refresh', secretId: ID, lifetimeSeconds: 7200 }, deps());
    expect(result).toMatchObject({ method: 'refresh' });
    expect(Date.parse((result as { expiresAt: string }).expiresAt) - clock.now()).toBeGreaterThan(7000_000);
    expect(JSON.stringify(result)).not.toContain(currentToken);
  });

  it('refresh keeps an older, not yet revoked previous token on AWSPREVIOUS so it is still revoked later', async () => {
    const old = await provider.issue();
    sm.on(GetSecretValueCommand, { SecretId: ID, VersionStage: 'AWSPREVIOUS' }).resolves({ VersionId: 'v1', SecretString: JSON.stringify({ token: old.token }) });
    await perform({ action: 'refresh', secretId: ID }, deps());
    const calls = sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { SecretId: ID, VersionStage: 'AWSCURRENT', MoveToVersionId: 'v3', RemoveFromVersionId: 'v2' },
      { SecretId: ID, VersionStage: 'AWSPREVIOUS', MoveToVersionId: 'v1', RemoveFromVersionId: 'v2' },
    ]);
  });

  it('refresh rotates where the provider cannot refresh', async () => {
    provider = new MemoryProvider({ refresh: false, now: () => clock.now() });
    sm.on(RotateSecretCommand).resolves({ VersionId: 'v3' });
    sm.on(GetSecretValueCommand, { SecretId: ID, VersionId: 'v3' }).rejects(notFound());
    expect(await perform({ action: 'refresh', secretId: ID }, deps())).toEqual({ method: 'rotate', expiresAt: null });
  });

  it('delete without a token revokes the AWSPREVIOUS token, whatever the grace period', async () => {
    const old = await provider.issue();
    sm.on(GetSecretValueCommand, { SecretId: ID, VersionStage: 'AWSPREVIOUS' }).resolves({ VersionId: 'v1', SecretString: JSON.stringify({ token: old.token }) });
    expect(await perform({ action: 'delete', secretId: ID }, deps())).toEqual({ deleted: true });
    expect(provider.isLive(old.token)).toBe(false);
    expect(provider.isLive(currentToken)).toBe(true);
  });

  it('delete without a token and no AWSPREVIOUS deletes nothing', async () => {
    sm.on(GetSecretValueCommand, { SecretId: ID, VersionStage: 'AWSPREVIOUS' }).rejects(notFound());
    expect(await perform({ action: 'delete', secretId: ID }, deps())).toEqual({ deleted: false });
    expect(provider.calls.revoke).toBe(0);
  });

  it('delete refuses the AWSCURRENT token without force, and deletes it with force', async () => {
    const err = await perform({ action: 'delete', secretId: ID, token: currentToken }, deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/force/);
    expect((err as Error).message).not.toContain(currentToken);
    expect(provider.isLive(currentToken)).toBe(true);
    expect(await perform({ action: 'delete', secretId: ID, token: currentToken, force: true }, deps())).toEqual({ deleted: true });
    expect(provider.isLive(currentToken)).toBe(false);
  });

  it('delete of a given token that is already gone reports deleted: false', async () => {
    expect(await perform({ action: 'delete', secretId: ID, token: 'never-issued' }, deps())).toEqual({ deleted: false });
  });
});
