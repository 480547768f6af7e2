/**
 * createTokenSource: what it reads, how long it keeps it (fake clock), one read for concurrent
 * callers, failed reads not cached, refresh after a refusal, and typed errors that never hold a token.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  createTokenSource,
  SecretFormatError,
  SecretReadError,
  TokenNotReadyError,
  type TokenInfo,
} from '../../consumer/index.js';
import { DEFAULT_REFUSAL_BACKOFF_MS, MIN_REUSE_MS, REFUSAL_BACKOFF_JITTER } from '../../consumer/source.js';
import { allText, FakeSecrets, fakeNow, secretJson, TOKEN } from './helpers.js';

const SECRET_ID = 'app/tigergraph/token';
const MIN = 60_000;

function setup(fields: Record<string, unknown> = {}, options: { maxAgeMs?: number; refreshBeforeMs?: number; refusalBackoffMs?: number; pendingWaitMs?: number } = {}) {
  const clock = fakeNow();
  const client = new FakeSecrets(secretJson(fields));
  // AWSPENDING is read once, not waited for (real time), unless a test says otherwise: these tests count AWSCURRENT reads.
  const source = createTokenSource({ secretId: SECRET_ID, client, now: clock.now, pendingWaitMs: 0, ...options });
  return { clock, client, source };
}

describe('what a read returns', () => {
  it('reads AWSCURRENT of the given secret and returns the token with its provider, host, base URL, expiry and version', async () => {
    const { client, source } = setup({ graph: 'social' });
    const info = await source.get();
    expect(client.requests).toEqual([{ SecretId: SECRET_ID, VersionStage: 'AWSCURRENT' }]);
    expect(info.token).toBe(TOKEN);
    expect(info).toMatchObject({
      provider: 'tigergraph',
      host: 'https://tg.example.com',
      baseUrl: 'https://tg.example.com:9000',
      versionId: 'v1',
      secretId: SECRET_ID,
      graph: 'social',
    });
    expect(info.expiresAt).toEqual(new Date('2030-01-01T00:00:00.000Z'));
    expect(info.issuedAt).toEqual(new Date('2029-12-01T00:00:00.000Z'));
  });

  it('keeps the token out of JSON, console output and spreads', async () => {
    const { source } = setup();
    const info = await source.get();
    expect(JSON.stringify(info)).not.toContain(TOKEN);
    expect(inspect(info, { showHidden: false, depth: 5 })).not.toContain(TOKEN);
    expect({ ...info }).not.toHaveProperty('token');
    expect(Object.isFrozen(info)).toBe(true);
  });

  it('expiresAt null (never expires) and absent both read as null', async () => {
    expect((await setup({ expiresAt: null }).source.get()).expiresAt).toBeNull();
    expect((await setup({ expiresAt: undefined }).source.get()).expiresAt).toBeNull();
  });

  it('a secret whose first rotation has not run fails with TokenNotReadyError saying what to check', async () => {
    const { source } = setup({ token: undefined, expiresAt: undefined, issuedAt: undefined, providerVersion: undefined });
    const error = await source.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenNotReadyError);
    expect(error).toMatchObject({ code: 'TOKEN_NOT_READY', secretId: SECRET_ID, retryable: true });
    const message = (error as Error).message;
    expect(message).toContain(SECRET_ID);
    expect(message).toContain('first rotation has not run');
    expect(message).toContain('arn:aws:secretsmanager:us-east-1:000000000000:secret:app/tg/credentials-AbCdEf');
    expect(message).toContain('filled in');
    expect(message).toContain('tg-token-rotation:last-rotation-error');
  });

  it.each([
    ['not JSON', `{"token": "${TOKEN}", `, undefined],
    ['a JSON array', JSON.stringify([TOKEN]), undefined],
    ['an unknown provider', secretJson({ provider: 'neo4j' }), 'provider'],
    ['no host', secretJson({ host: undefined }), 'host'],
    ['a host that is not a URL', secretJson({ host: `tg.example.com/${TOKEN}` }), 'host'],
    ['a bad expiresAt', secretJson({ expiresAt: `soon ${TOKEN}` }), 'expiresAt'],
    ['a bad port', secretJson({ restppPort: TOKEN }), 'restppPort'],
    ['a non-string token', JSON.stringify({ host: 'https://tg.example.com', token: { value: TOKEN } }), 'token'],
    ['plain http without allowInsecureHttp', secretJson({ host: 'http://tg.example.com' }), 'host'],
  ])('a secret with %s fails with SecretFormatError naming the field, never the token', async (_what, secretString, field) => {
    const client = new FakeSecrets(secretString);
    const error = await createTokenSource({ secretId: SECRET_ID, client, allowInsecureHttp: false }).get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as SecretFormatError).field).toBe(field);
    expect((error as Error).message).toContain(SECRET_ID);
    expect(allText(error)).not.toContain(TOKEN);
  });

  it('a binary secret (no SecretString) fails with SecretFormatError', async () => {
    const client = new FakeSecrets();
    client.set(undefined);
    const error = await createTokenSource({ secretId: SECRET_ID, client }).get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as Error).message).toContain('no SecretString');
  });

  it('plain http is used only when the secret allows it and the process does (option or TG_TOKEN_ROTATION_LOCAL)', async () => {
    const client = new FakeSecrets(secretJson({ host: 'http://127.0.0.1:8123', allowInsecureHttp: true, restppPort: 8123 }));
    await expect(createTokenSource({ secretId: SECRET_ID, client, allowInsecureHttp: false }).get()).rejects.toBeInstanceOf(SecretFormatError);
    expect((await createTokenSource({ secretId: SECRET_ID, client, allowInsecureHttp: true }).get()).baseUrl).toBe('http://127.0.0.1:8123');
    const denied = new FakeSecrets(secretJson({ host: 'http://127.0.0.1:8123', restppPort: 8123 }));
    await expect(createTokenSource({ secretId: SECRET_ID, client: denied, allowInsecureHttp: true }).get()).rejects.toThrow(/plain http/);
  });

  it('a failed GetSecretValue is a SecretReadError naming the AWS error and what to check', async () => {
    const { client, source } = setup();
    client.failNext(Object.assign(new Error('User is not authorized to perform secretsmanager:GetSecretValue'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400, requestId: 'r-1' } }));
    const error = await source.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretReadError);
    expect(error).toMatchObject({ code: 'SECRET_READ', awsErrorName: 'AccessDeniedException', retryable: false });
    expect((error as Error).message).toMatch(/secretsmanager:GetSecretValue/);
    expect((error as Error).cause).toMatchObject({ name: 'AccessDeniedException', $metadata: { requestId: 'r-1' } });
  });

  it('an SDK error holding the raw answer (the secret) in $response: not kept, so logging the error cannot print the token', async () => {
    const { client, source } = setup();
    const raw = { statusCode: 200, body: secretJson() };
    client.failNext(Object.assign(new Error('Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), { name: 'SyntaxError', $response: raw }));
    const error = await source.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretReadError);
    expect(allText(error)).not.toContain(TOKEN);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(TOKEN);
  });

  it('rejects bad options at creation', () => {
    expect(() => createTokenSource({ secretId: '' })).toThrow(TypeError);
    expect(() => createTokenSource({ secretId: SECRET_ID, maxAgeMs: -1 })).toThrow(RangeError);
    expect(() => createTokenSource({ secretId: SECRET_ID, refreshBeforeMs: Number.NaN })).toThrow(RangeError);
    expect(() => createTokenSource({ secretId: SECRET_ID, refusalBackoffMs: -5 })).toThrow(/refusalBackoffMs/);
  });
});

describe('how long a read is kept (fake clock)', () => {
  it('until refreshBeforeMs before expiresAt', async () => {
    const clock = fakeNow();
    const expiresAt = clock.now() + 10 * MIN;
    const client = new FakeSecrets(secretJson({ expiresAt: new Date(expiresAt).toISOString() }));
    const source = createTokenSource({ secretId: SECRET_ID, client, now: clock.now, maxAgeMs: Infinity, refreshBeforeMs: MIN });
    await source.get();
    clock.set(expiresAt - MIN - 1);
    await source.get();
    expect(client.calls).toBe(1);
    clock.set(expiresAt - MIN);
    await source.get();
    expect(client.calls).toBe(2);
  });

  it('never longer than maxAgeMs, however far the expiry', async () => {
    const { clock, client, source } = setup({}, { maxAgeMs: 5 * MIN });
    await source.get();
    clock.advance(5 * MIN - 1);
    await source.get();
    expect(client.calls).toBe(1);
    clock.advance(1);
    await source.get();
    expect(client.calls).toBe(2);
    // A never-expiring token is still re-read every maxAgeMs.
    const never = setup({ expiresAt: null }, { maxAgeMs: 5 * MIN });
    await never.source.get();
    never.clock.advance(5 * MIN);
    await never.source.get();
    expect(never.client.calls).toBe(2);
  });

  it('defaults: 5 minutes, and 60 s before expiry', async () => {
    const clock = fakeNow();
    const client = new FakeSecrets(secretJson({ expiresAt: new Date(clock.now() + 3 * MIN).toISOString() }));
    const source = createTokenSource({ secretId: SECRET_ID, client, now: clock.now });
    await source.get();
    clock.advance(2 * MIN - 1);
    await source.get();
    expect(client.calls).toBe(1);
    clock.advance(1);
    await source.get();
    expect(client.calls).toBe(2);
  });

  it('a token already inside the refresh window (late rotation) is re-read at most once per second, not per call', async () => {
    const clock = fakeNow();
    const client = new FakeSecrets(secretJson({ expiresAt: new Date(clock.now() + 10_000).toISOString() }));
    const source = createTokenSource({ secretId: SECRET_ID, client, now: clock.now });
    for (let i = 0; i < 20; i++) await source.get();
    expect(client.calls).toBe(1);
    clock.advance(MIN_REUSE_MS);
    await source.get();
    expect(client.calls).toBe(2);
  });

  it('maxAgeMs 0 disables the cache: every get() reads', async () => {
    const { client, source } = setup({}, { maxAgeMs: 0 });
    for (let i = 0; i < 5; i++) await source.get();
    expect(client.calls).toBe(5);
  });

  it('a new version is seen once the cached one has aged out', async () => {
    const { clock, client, source } = setup({}, { maxAgeMs: MIN });
    const first = await source.get();
    const v2 = client.set(secretJson({ token: 'tok-NEW-VALUE-0000000000000000000000' }));
    expect((await source.get()).versionId).toBe(first.versionId);
    clock.advance(MIN);
    const second = await source.get();
    expect(second.versionId).toBe(v2);
    expect(second.token).toBe('tok-NEW-VALUE-0000000000000000000000');
  });
});

describe('concurrency and failures', () => {
  it('10 concurrent get() share one GetSecretValue', async () => {
    const { client, source } = setup();
    client.hold();
    const all = Array.from({ length: 10 }, () => source.get());
    client.open();
    const infos = await Promise.all(all);
    expect(client.calls).toBe(1);
    expect(new Set(infos).size).toBe(1);
    expect(source.stats()).toEqual({ reads: 1, failedReads: 0, refreshes: 0, rereadsSkipped: 0, pendingReads: 0, pendingUsed: 0 });
  });

  it('a failed read is shared by the callers waiting on it and not cached: the next get() reads again', async () => {
    const { client, source } = setup();
    client.failNext(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    client.hold();
    const waiting = Array.from({ length: 5 }, () => source.get().catch((e: unknown) => e));
    client.open();
    const outcomes = await Promise.all(waiting);
    expect(outcomes.every((e) => e instanceof SecretReadError && e.retryable)).toBe(true);
    expect(client.calls).toBe(1);
    const info = await source.get();
    expect(info.token).toBe(TOKEN);
    expect(client.calls).toBe(2);
    expect(source.stats()).toEqual({ reads: 2, failedReads: 1, refreshes: 0, rereadsSkipped: 0, pendingReads: 0, pendingUsed: 0 });
  });

  it('a failed read after the cache aged out is not cached either, and does not poison the source', async () => {
    const { clock, client, source } = setup({}, { maxAgeMs: MIN });
    await source.get();
    clock.advance(MIN);
    client.failNext(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(source.get()).rejects.toBeInstanceOf(SecretReadError);
    await expect(source.get()).resolves.toMatchObject({ versionId: 'v1' });
    expect(client.calls).toBe(3);
  });

  it('refresh(stale) from 10 callers refused with the same token makes one read; a later one reuses it', async () => {
    const { client, source } = setup();
    const refused = await source.get();
    client.set(secretJson({ token: 'tok-ROTATED-000000000000000000000000' }));
    client.hold();
    const all = Array.from({ length: 10 }, () => source.refresh(refused));
    // While the re-read is on its way, get() does not hand out the refused token again.
    const meanwhile = source.get();
    client.open();
    const infos = await Promise.all([...all, meanwhile]);
    expect(client.calls).toBe(2);
    expect(infos.every((i: TokenInfo) => i.versionId === 'v2')).toBe(true);
    await source.refresh(refused);
    expect(client.calls).toBe(2);
    expect(source.stats()).toMatchObject({ reads: 2, refreshes: 1 });
  });

  it('refresh() without a stale token always reads (joining a read in flight)', async () => {
    const { client, source } = setup();
    await source.get();
    await source.refresh();
    await source.refresh();
    expect(client.calls).toBe(3);
    client.hold();
    const a = source.refresh();
    const b = source.refresh();
    client.open();
    await Promise.all([a, b]);
    expect(client.calls).toBe(4);
  });
});

describe('back-off after consecutive refusals (fake clock)', () => {
  const LONGEST = DEFAULT_REFUSAL_BACKOFF_MS * (1 + REFUSAL_BACKOFF_JITTER);

  it('once a re-read finds the refused version still current, its refusals are not re-read until the back-off ends', async () => {
    const { clock, client, source } = setup();
    const refused = await source.get();
    const confirmed = await source.refresh(refused); // the first refusal always re-reads
    expect(client.currentReads).toBe(2);
    expect(confirmed.versionId).toBe(refused.versionId);
    for (let i = 0; i < 50; i++) {
      // Refused again and again: the very same TokenInfo comes back, unread.
      expect(await source.refresh(confirmed)).toBe(confirmed);
      clock.advance(DEFAULT_REFUSAL_BACKOFF_MS / 50 - 1);
    }
    expect(client.currentReads).toBe(2);
    expect(source.stats()).toMatchObject({ reads: 2, refreshes: 1, rereadsSkipped: 50 });
    clock.advance(LONGEST);
    await source.refresh(confirmed);
    expect(client.currentReads).toBe(3);
  });

  it('a newer version is never held back: a rotation found by the re-read ends the back-off', async () => {
    const { clock, client, source } = setup({}, { maxAgeMs: 1_000 });
    const refused = await source.get();
    await source.refresh(refused);
    expect(client.currentReads).toBe(2);
    // The cache ages out; get() reads a version rotated in meanwhile: its refusal re-reads at once.
    const v2 = client.set(secretJson({ token: 'tok-ROTATED-000000000000000000000000' }));
    clock.advance(1_000);
    const rotated = await source.get();
    expect(rotated.versionId).toBe(v2);
    expect(client.currentReads).toBe(3);
    client.set(secretJson({ token: 'tok-ROTATED-AGAIN-000000000000000000' }));
    const next = await source.refresh(rotated);
    expect(client.currentReads).toBe(4);
    expect(next.token).toBe('tok-ROTATED-AGAIN-000000000000000000');
    // That re-read found something new, so the next refusal re-reads at once too.
    await source.refresh(next);
    expect(client.currentReads).toBe(5);
  });

  it('refresh() without a stale token (the app asking) is never held back', async () => {
    const { client, source } = setup();
    const refused = await source.get();
    await source.refresh(refused);
    await source.refresh();
    expect(client.currentReads).toBe(3);
  });

  it('refusalBackoffMs 0 re-reads on every refusal (the behaviour before the back-off)', async () => {
    const { client, source } = setup({}, { refusalBackoffMs: 0 });
    let info = await source.get();
    for (let i = 0; i < 5; i++) info = await source.refresh(info);
    expect(client.currentReads).toBe(6);
  });

  it('each back-off lasts between refusalBackoffMs and 1.2 times it', async () => {
    for (let run = 0; run < 20; run++) {
      const { clock, client, source } = setup({}, { refusalBackoffMs: 1_000 });
      const confirmed = await source.refresh(await source.get());
      clock.advance(999);
      await source.refresh(confirmed);
      expect(client.currentReads).toBe(2);
      clock.advance(201);
      await source.refresh(confirmed);
      expect(client.currentReads).toBe(3);
    }
  });
});

describe('a refused token still AWSCURRENT while a rotation holds another in AWSPENDING (APIs that end older tokens on issue: issue 22)', () => {
  const PENDING_TOKEN = 'tok-PENDING-VALUE-0000000000000000000';

  it('the refusal is answered with AWSPENDING’s token, which the source then keeps; nothing backs off', async () => {
    const { client, source } = setup();
    const refused = await source.get();
    client.setPending(secretJson({ token: PENDING_TOKEN }));
    const next = await source.refresh(refused);
    expect(next.token).toBe(PENDING_TOKEN);
    expect(next.versionId).toBe('v-pending');
    expect(client.requests.map((r) => r.VersionStage)).toEqual(['AWSCURRENT', 'AWSCURRENT', 'AWSPENDING']);
    expect(source.stats()).toMatchObject({ reads: 2, pendingReads: 1, pendingUsed: 1, refreshes: 1 });
    expect((await source.get()).token).toBe(PENDING_TOKEN); // kept, no read
    expect(client.calls).toBe(3);
    // Once the rotation finishes, AWSCURRENT holds that same token: nothing changes for the app.
    client.set(secretJson({ token: PENDING_TOKEN }));
    client.setPending(undefined);
  });

  it('AWSPENDING written a moment after the refusal (between the mint and its write) is waited for, within pendingWaitMs', async () => {
    const { client, source } = setup({}, { pendingWaitMs: 2_000 });
    const refused = await source.get();
    setTimeout(() => client.setPending(secretJson({ token: PENDING_TOKEN })), 150);
    expect((await source.refresh(refused)).token).toBe(PENDING_TOKEN);
    expect(source.stats().pendingReads).toBeGreaterThan(1);
  });

  it('with no rotation in flight, AWSPENDING is looked at within the default 500 ms (at most 4 reads), then the back-off applies as before', async () => {
    const client = new FakeSecrets(secretJson());
    const clock = fakeNow();
    const source = createTokenSource({ secretId: SECRET_ID, client, now: clock.now });
    const refused = await source.get();
    const started = performance.now();
    const confirmed = await source.refresh(refused);
    expect(confirmed.versionId).toBe(refused.versionId);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(source.stats().pendingReads).toBeGreaterThanOrEqual(2);
    expect(source.stats().pendingReads).toBeLessThanOrEqual(4);
    const reads = client.calls;
    expect(await source.refresh(confirmed)).toBe(confirmed); // backing off: no read at all
    expect(client.calls).toBe(reads);
  });

  it('AWSPENDING holding the refused token itself (a finished rotation not yet cleaned up) is not used', async () => {
    const { client, source } = setup();
    const refused = await source.get();
    client.setPending(secretJson({}));
    expect((await source.refresh(refused)).versionId).toBe(refused.versionId);
    expect(source.stats().pendingUsed).toBe(0);
  });

  it('a re-read that finds a newer AWSCURRENT does not look at AWSPENDING', async () => {
    const { client, source } = setup();
    const refused = await source.get();
    client.set(secretJson({ token: 'tok-ROTATED-000000000000000000000000' }));
    client.setPending(secretJson({ token: PENDING_TOKEN }));
    expect((await source.refresh(refused)).token).toBe('tok-ROTATED-000000000000000000000000');
    expect(source.stats().pendingReads).toBe(0);
  });
});
