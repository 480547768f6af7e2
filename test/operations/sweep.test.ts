import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { sweep } from '../../core/operations/sweep.js';
import { SecretStore } from '../../core/secrets/store.js';
import { OffsetClock } from '../../core/clock.js';
import { DEFAULT_SETTINGS, parseSettings, settingsFor } from '../../core/settings.js';
import { parseTokenSecret } from '../../core/secrets/token-secret.js';
import { ValidationError } from '../../core/errors.js';
import { MemoryProvider } from '../helpers/memory-provider.js';

const sm = mockClient(SecretsManagerClient);
const clock = new OffsetClock();
const DAY = 86_400;
let provider: MemoryProvider;

const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });

function deps() {
  return { store: new SecretStore(new SecretsManagerClient({ region: 'us-east-1' })), openProvider: async () => provider, clock };
}

function secretJson(token: string | undefined, expiresInSeconds: number, extra: Record<string, unknown> = {}) {
  const now = clock.now();
  return JSON.stringify({
    host: 'https://tg.example.com',
    credentialSecretId: 'cred',
    ...(token ? { token, expiresAt: new Date(now + expiresInSeconds * 1000).toISOString(), issuedAt: new Date(now - DAY * 1000).toISOString() } : {}),
    ...extra,
  });
}

function withCurrent(id: string, secretString: string, createdSecondsAgo = 10 * DAY) {
  sm.on(GetSecretValueCommand, { SecretId: id, VersionStage: 'AWSCURRENT' }).resolves({
    VersionId: `${id}-cur`,
    SecretString: secretString,
    CreatedDate: new Date(clock.now() - createdSecondsAgo * 1000),
  });
}
function withPrevious(id: string, secretString?: string) {
  if (secretString === undefined) sm.on(GetSecretValueCommand, { SecretId: id, VersionStage: 'AWSPREVIOUS' }).rejects(notFound());
  else sm.on(GetSecretValueCommand, { SecretId: id, VersionStage: 'AWSPREVIOUS' }).resolves({ VersionId: `${id}-prev`, SecretString: secretString });
}

beforeEach(() => {
  sm.reset();
  sm.on(PutSecretValueCommand).resolves({ VersionId: 'new-version' });
  sm.on(RotateSecretCommand).resolves({ VersionId: 'rotated-version' });
  sm.on(UpdateSecretVersionStageCommand).resolves({});
  sm.on(GetSecretValueCommand, { VersionId: 'rotated-version' }).rejects(notFound());
  provider = new MemoryProvider({ now: () => clock.now(), lifetimeSeconds: 30 * DAY });
});

describe('sweep: refresh or rotate', () => {
  it('leaves a token far from expiry alone, with two reads and no writes', async () => {
    const { token } = await provider.issue();
    withCurrent('a', secretJson(token, 20 * DAY));
    withPrevious('a');
    const summary = await sweep(['a'], deps(), { settings: DEFAULT_SETTINGS });
    expect(summary).toMatchObject({ checked: 1, refreshed: 0, rotated: 0, revoked: 0, skipped: 0, failed: [] });
    expect(summary.minSecondsToExpiry).toBeGreaterThan(19 * DAY);
    expect(sm.calls()).toHaveLength(2);
    expect(provider.calls).toEqual({ issue: 1, refresh: 0, revoke: 0, verify: 0 });
  });

  it('refreshes a near-expiry token in place where the provider can, keeping issuedAt', async () => {
    const { token } = await provider.issue();
    const current = secretJson(token, 2 * DAY, { team: 'x' });
    withCurrent('a', current);
    withPrevious('a');
    const summary = await sweep(['a'], deps(), { settings: DEFAULT_SETTINGS });
    expect(summary).toMatchObject({ refreshed: 1, rotated: 0, failed: [] });
    const put = sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input;
    // Written under a transient label, then made AWSCURRENT only over the version it was read from.
    expect(put.VersionStages).toEqual(['TGSTAGED']);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: 'a', VersionStage: 'AWSCURRENT', MoveToVersionId: 'new-version', RemoveFromVersionId: 'a-cur' },
    ]);
    const stored = JSON.parse(put.SecretString!);
    expect(stored.token).toBe(token);
    expect(stored.team).toBe('x');
    expect(stored.issuedAt).toBe(JSON.parse(current).issuedAt);
    expect(Date.parse(stored.expiresAt)).toBeGreaterThan(clock.now() + 29 * DAY * 1000);
    expect(stored.refreshedAt).toBeDefined();
    expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(0);
  });

  it('rotates where the provider cannot refresh', async () => {
    provider = new MemoryProvider({ refresh: false, now: () => clock.now() });
    const { token } = await provider.issue();
    withCurrent('a', secretJson(token, 60));
    withPrevious('a');
    const summary = await sweep(['a'], deps(), { settings: DEFAULT_SETTINGS });
    expect(summary).toMatchObject({ refreshed: 0, rotated: 1, failed: [] });
    expect(sm.commandCalls(RotateSecretCommand)[0]!.args[0].input).toMatchObject({ SecretId: 'a', RotateImmediately: true });
  });

  it.each([
    ['an expired token', (t: string) => secretJson(t, -60)],
    ['a secret with no token yet', () => secretJson(undefined, 0)],
  ])('rotates %s without trying to refresh', async (_name, make) => {
    const { token } = await provider.issue();
    withCurrent('a', make(token));
    withPrevious('a');
    const summary = await sweep(['a'], deps(), { settings: DEFAULT_SETTINGS });
    expect(summary).toMatchObject({ refreshed: 0, rotated: 1 });
    expect(provider.calls.refresh).toBe(0);
  });

  it('rotates when the server refuses the token on refresh', async () => {
    withCurrent('a', secretJson('revoked-elsewhere-token', 60));
    withPrevious('a');
    const summary = await sweep(['a'], deps(), { settings: DEFAULT_SETTINGS });
    expect(provider.calls.refresh).toBe(1);
    expect(summary).toMatchObject({ refreshed: 0, rotated: 1, failed: [] });
  });

  it('honours a per-secret refreshBeforeSeconds override', async () => {
    const { token } = await provider.issue();
    withCurrent('a', secretJson(token, 5 * DAY, { refreshBeforeSeconds: 6 * DAY }));
    withPrevious('a');
    expect((await sweep(['a'], deps(), { settings: DEFAULT_SETTINGS })).refreshed).toBe(1);
  });
});

describe('sweep: revoking the previous token', () => {
  it('does not revoke before the grace period has passed', async () => {
    const { token } = await provider.issue();
    const old = await provider.issue();
    withCurrent('a', secretJson(token, 20 * DAY), 60);
    withPrevious('a', secretJson(old.token, 20 * DAY));
    const summary = await sweep(['a'], deps(), { settings: { ...DEFAULT_SETTINGS, revokeGraceSeconds: 3600 } });
    expect(summary.revoked).toBe(0);
    expect(provider.isLive(old.token)).toBe(true);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('revokes after the grace period and removes AWSPREVIOUS so it happens once', async () => {
    const { token } = await provider.issue();
    const old = await provider.issue();
    withCurrent('a', secretJson(token, 20 * DAY), 7200);
    withPrevious('a', secretJson(old.token, 20 * DAY));
    const summary = await sweep(['a'], deps(), { settings: { ...DEFAULT_SETTINGS, revokeGraceSeconds: 3600 } });
    expect(summary.revoked).toBe(1);
    expect(provider.isLive(old.token)).toBe(false);
    expect(provider.isLive(token)).toBe(true);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]!.args[0].input).toEqual({
      SecretId: 'a',
      VersionStage: 'AWSPREVIOUS',
      RemoveFromVersionId: 'a-prev',
    });
  });

  it('never revokes a previous version that holds the current token (after a refresh)', async () => {
    const { token } = await provider.issue();
    withCurrent('a', secretJson(token, 20 * DAY), 7200);
    withPrevious('a', secretJson(token, 1 * DAY));
    const summary = await sweep(['a'], deps(), { settings: DEFAULT_SETTINGS });
    expect(summary.revoked).toBe(0);
    expect(provider.calls.revoke).toBe(0);
    expect(provider.isLive(token)).toBe(true);
  });

  it('keeps AWSPREVIOUS when the revoke fails, so the next run retries', async () => {
    const { token } = await provider.issue();
    const old = await provider.issue();
    withCurrent('a', secretJson(token, 20 * DAY), 7200);
    withPrevious('a', secretJson(old.token, 20 * DAY));
    provider.failRevoke = new Error('server unavailable');
    const summary = await sweep(['a'], deps(), { settings: DEFAULT_SETTINGS });
    expect(summary.failed).toEqual([{ secretId: 'a', error: 'server unavailable' }]);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });
});

describe('sweep: many secrets', () => {
  it('one bad secret never stops the others, and the summary says which failed', async () => {
    for (const id of ['ok1', 'ok2']) {
      const { token } = await provider.issue();
      withCurrent(id, secretJson(token, 2 * DAY));
      withPrevious(id);
    }
    withCurrent('bad', '{"host": "not a url"}');
    sm.on(GetSecretValueCommand, { SecretId: 'gone', VersionStage: 'AWSCURRENT' }).rejects(notFound());
    const summary = await sweep(['ok1', 'bad', 'gone', 'ok2'], deps(), { settings: DEFAULT_SETTINGS });
    expect(summary.checked).toBe(4);
    expect(summary.refreshed).toBe(2);
    expect(summary.failed.map((f) => f.secretId).sort()).toEqual(['bad', 'gone']);
    expect(summary.failed.find((f) => f.secretId === 'bad')!.error).toMatch(/host/);
  });

  it('keeps at most `concurrency` secrets in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
    for (const id of ids) {
      sm.on(GetSecretValueCommand, { SecretId: id, VersionStage: 'AWSCURRENT' }).callsFake(async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return { VersionId: 'v', SecretString: secretJson('t'.repeat(32), 20 * DAY) };
      });
      withPrevious(id);
    }
    const summary = await sweep(ids, deps(), { settings: { ...DEFAULT_SETTINGS, concurrency: 3 } });
    expect(summary.checked).toBe(12);
    expect(peak).toBe(3);
  });

  it('leaves work it cannot finish in time for the next run, counted as skipped', async () => {
    const ids = ['a', 'b', 'c'];
    for (const id of ids) {
      withCurrent(id, secretJson('t'.repeat(32), 20 * DAY));
      withPrevious(id);
    }
    let remaining = 20_000;
    const summary = await sweep(ids, deps(), {
      settings: { ...DEFAULT_SETTINGS, concurrency: 1 },
      remainingTimeMs: () => (remaining -= 4_000),
      reserveMs: 10_000,
    });
    expect(summary.checked + summary.skipped).toBe(3);
    expect(summary.skipped).toBe(1);
  });
});

describe('settings', () => {
  it('defaults when the parameter is absent, and fills missing fields', () => {
    expect(parseSettings(undefined)).toEqual({ refreshBeforeSeconds: 259_200, revokeGraceSeconds: 3_600, concurrency: 10 });
    expect(parseSettings('{"concurrency": 50}')).toEqual({ refreshBeforeSeconds: 259_200, revokeGraceSeconds: 3_600, concurrency: 50 });
  });
  it.each([
    ['{"refreshBeforeSeconds": -1}', 'refreshBeforeSeconds'],
    [{ concurrency: '10' }, 'concurrency'],
    [{ concurency: 5 }, 'concurency'],
    ['not json', 'not valid JSON'],
  ])('fails at load with the field named: %s', (value, expected) => {
    expect(() => parseSettings(value)).toThrow(ValidationError);
    expect(() => parseSettings(value)).toThrow(expected);
  });
  it('lets a token secret override a field for itself', () => {
    const secret = parseTokenSecret(JSON.stringify({ host: 'https://h', credentialSecretId: 'c', revokeGraceSeconds: 60 }));
    expect(settingsFor(secret, DEFAULT_SETTINGS)).toEqual({ ...DEFAULT_SETTINGS, revokeGraceSeconds: 60 });
  });
});

describe('credentials', () => {
  it('are read once per container for secrets that share a credential secret', async () => {
    const { clearCredentialCache, providerOpener } = await import('../../core/providers/open.js');
    clearCredentialCache();
    sm.on(GetSecretValueCommand, { SecretId: 'cred' }).resolves({ VersionId: 'c1', SecretString: '{"secret":"s3cr3t"}' });
    const open = providerOpener(new SecretStore(new SecretsManagerClient({ region: 'us-east-1' })), clock);
    const secret = parseTokenSecret(JSON.stringify({ host: 'https://tg.example.com', credentialSecretId: 'cred', tigergraphVersion: '3' }));
    await open(secret);
    await open({ ...secret, graph: 'Other' });
    expect(sm.commandCalls(GetSecretValueCommand, { SecretId: 'cred' })).toHaveLength(1);
    clearCredentialCache();
    await open(secret);
    expect(sm.commandCalls(GetSecretValueCommand, { SecretId: 'cred' })).toHaveLength(2);
  });

  it('are forgotten as soon as the server refuses them, and only then', async () => {
    const { forgetOnRefusal } = await import('../../core/providers/open.js');
    const { BadCredentialError } = await import('../../core/errors.js');
    let forgotten = 0;
    provider.failIssue = new Error('server down');
    const wrapped = forgetOnRefusal(provider, () => forgotten++);
    await expect(wrapped.issue()).rejects.toThrow('server down');
    expect(forgotten).toBe(0);
    provider.failIssue = new BadCredentialError('the TigerGraph secret was refused');
    await expect(wrapped.issue()).rejects.toBeInstanceOf(BadCredentialError);
    expect(forgotten).toBe(1);
  });
});
