/**
 * A token source riding out Secrets Manager trouble (fake client, fake clock): the cached token is
 * served while it is valid and reads fail for a reason that passes, reads are retried in the
 * background with back-off, never per call; past its expiry margin the failure is an error, never
 * the token. Every read has a timeout; versionStage picks the label read.
 * test/consumer/outage-endpoint.test.ts does the same against the local endpoint over HTTP.
 */
import { describe, expect, it } from 'vitest';
import { createTokenSource, SecretFormatError, SecretReadError, type SecretsClient } from '../../consumer/index.js';
import {
  DEFAULT_EXPIRY_MARGIN_MS,
  DEFAULT_READ_TIMEOUT_MS,
  READ_RETRY_BASE_MS,
  READ_RETRY_MAX_MS,
  readRetryDelay,
} from '../../consumer/source.js';
import { allText, FakeSecrets, fakeNow, secretJson, TOKEN } from './helpers.js';

const SECRET_ID = 'app/tigergraph/token';
const MIN = 60_000;
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

function setup(fields: Record<string, unknown> = {}, options: { expiryMarginMs?: number; readTimeoutMs?: number } = {}) {
  const clock = fakeNow();
  const client = new FakeSecrets(secretJson(fields));
  const source = createTokenSource({ secretId: SECRET_ID, client, now: clock.now, maxAgeMs: MIN, ...options });
  return { clock, client, source };
}

/** A microtask turn or two: lets a read started in the background settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Secrets Manager failing while the cached token is valid', () => {
  it('get() serves the cached token, and does not read again before the back-off has passed', async () => {
    const { clock, client, source } = setup();
    await source.get();
    clock.advance(MIN);
    client.down(throttled());
    await expect(source.get()).resolves.toMatchObject({ versionId: 'v1' });
    for (let i = 0; i < 50; i++) await expect(source.get()).resolves.toMatchObject({ versionId: 'v1' });
    // The first retry comes 0.5 to 1 times READ_RETRY_BASE_MS later: none within half of it.
    clock.advance(READ_RETRY_BASE_MS / 2 - 1);
    await source.get();
    expect(client.calls).toBe(2);
    expect(source.stats()).toMatchObject({ reads: 2, failedReads: 1, servedStale: 52 });
  });

  it('the retry runs in the background: the caller past the back-off gets the cached token at once, the next one the new version', async () => {
    const { clock, client, source } = setup();
    await source.get();
    clock.advance(MIN);
    client.down(throttled());
    await source.get();
    client.down(undefined);
    client.set(secretJson({ token: 'tok-ROTATED-000000000000000000000000' }));
    client.hold();
    clock.advance(READ_RETRY_BASE_MS);
    // The retry is held open, yet this caller is answered.
    await expect(source.get()).resolves.toMatchObject({ versionId: 'v1' });
    expect(client.calls).toBe(3);
    client.open();
    await settle();
    await expect(source.get()).resolves.toMatchObject({ versionId: 'v2' });
    expect(client.calls).toBe(3);
  });

  it('consecutive failures double the wait (with jitter), up to READ_RETRY_MAX_MS', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const nominal = Math.min(READ_RETRY_MAX_MS, READ_RETRY_BASE_MS * 2 ** (attempt - 1));
      expect(readRetryDelay(attempt, () => 0)).toBe(nominal / 2);
      expect(readRetryDelay(attempt, () => 0.999999)).toBeCloseTo(nominal, -1);
    }
    expect(readRetryDelay(30, () => 1)).toBe(READ_RETRY_MAX_MS);
  });

  it('an outage of 30 minutes with a call every second: no failed call, and a few dozen reads, not 1,800', async () => {
    const { clock, client, source } = setup({ expiresAt: new Date(fakeNow().now() + 3 * 3600_000).toISOString() });
    await source.get();
    clock.advance(MIN);
    client.down(throttled());
    const failures: unknown[] = [];
    for (let s = 0; s < 1800; s++) {
      await source.get().catch((e: unknown) => failures.push(e));
      await settle();
      clock.advance(1000);
    }
    expect(failures).toEqual([]);
    // At most one read per shortest back-off (half the nominal wait), at least one per longest.
    const bound = (fraction: number) => {
      let reads = 0;
      for (let t = 0; t <= 1800_000; reads++) t += fraction * Math.min(READ_RETRY_MAX_MS, READ_RETRY_BASE_MS * 2 ** reads);
      return reads;
    };
    expect(client.calls - 1).toBeLessThanOrEqual(bound(0.5) + 1);
    expect(client.calls - 1).toBeGreaterThanOrEqual(bound(1) - 1);
    expect(client.calls).toBeLessThan(80);
  });

  it('a token without expiry (Trifacta expiredAt null) is served for as long as the outage lasts', async () => {
    const { clock, client, source } = setup({ expiresAt: null });
    await source.get();
    client.down(throttled());
    clock.advance(24 * 3600_000);
    await expect(source.get()).resolves.toMatchObject({ versionId: 'v1', expiresAt: null });
  });
});

describe('what is never served', () => {
  it('past expiresAt minus expiryMarginMs: a SecretReadError naming the expiry, never the token', async () => {
    const start = fakeNow().now();
    const expiresAt = new Date(start + 10 * MIN);
    const { clock, client, source } = setup({ expiresAt: expiresAt.toISOString() });
    await source.get();
    clock.advance(5 * MIN);
    client.down(throttled());
    await expect(source.get()).resolves.toMatchObject({ versionId: 'v1' });
    clock.set(expiresAt.getTime() - DEFAULT_EXPIRY_MARGIN_MS - 1);
    await expect(source.get()).resolves.toMatchObject({ versionId: 'v1' });
    clock.advance(1);
    const error = await source.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretReadError);
    expect(error).toMatchObject({ code: 'SECRET_READ', retryable: true, awsErrorName: 'ThrottlingException', cachedExpiresAt: expiresAt });
    expect((error as Error).message).toContain(`expires at ${expiresAt.toISOString()}, too close to serve it (expiryMarginMs)`);
    expect(allText(error)).not.toContain(TOKEN);
    // Past the expiry too, every get() reads (one at a time) and fails the same way.
    clock.set(expiresAt.getTime() + MIN);
    await expect(source.get()).rejects.toMatchObject({ cachedExpiresAt: expiresAt });
  });

  it('expiryMarginMs is an option', async () => {
    const expiresAt = fakeNow().now() + 10 * MIN;
    const { clock, client, source } = setup({ expiresAt: new Date(expiresAt).toISOString() }, { expiryMarginMs: 3 * MIN });
    await source.get();
    client.down(throttled());
    clock.set(expiresAt - 3 * MIN - 1);
    await expect(source.get()).resolves.toMatchObject({ versionId: 'v1' });
    clock.advance(1);
    await expect(source.get()).rejects.toBeInstanceOf(SecretReadError);
  });

  it('errors that do not pass are not ridden out: access denied, a missing secret', async () => {
    for (const name of ['AccessDeniedException', 'ResourceNotFoundException']) {
      const { clock, client, source } = setup();
      await source.get();
      clock.advance(MIN);
      client.down(Object.assign(new Error('no'), { name }));
      await expect(source.get()).rejects.toMatchObject({ awsErrorName: name, retryable: false });
      expect(source.stats().servedStale).toBe(0);
    }
  });

  it('a new version that is not a token secret is an error, not the old token', async () => {
    const { clock, client, source } = setup();
    await source.get();
    clock.advance(MIN);
    client.set('not json');
    await expect(source.get()).rejects.toBeInstanceOf(SecretFormatError);
  });
});

describe('read timeout (readTimeoutMs)', () => {
  /** A client whose reads never answer, keeping the abort signal each got. */
  function hangingClient(): SecretsClient & { signals: Array<AbortSignal | undefined> } {
    const signals: Array<AbortSignal | undefined> = [];
    return {
      signals,
      send: (_command, options) => {
        signals.push(options?.abortSignal);
        return new Promise(() => undefined);
      },
    };
  }

  it('a read that never answers fails after readTimeoutMs with TimeoutError, and the client was told to abort', async () => {
    const client = hangingClient();
    const source = createTokenSource({ secretId: SECRET_ID, client, readTimeoutMs: 50 });
    const started = performance.now();
    const error = await source.get().catch((e: unknown) => e);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(error).toBeInstanceOf(SecretReadError);
    expect(error).toMatchObject({ awsErrorName: 'TimeoutError', retryable: true });
    expect((error as Error).message).toMatch(/no answer within the read timeout \(readTimeoutMs\)/);
    expect(client.signals[0]?.aborted).toBe(true);
  });

  it('the AWSPENDING read after a refusal has the same timeout: a hanging one ends the refresh within it, with the AWSCURRENT read', async () => {
    const fake = new FakeSecrets(secretJson());
    const signals: Array<AbortSignal | undefined> = [];
    const client: SecretsClient = {
      send: (command, options) => {
        if (command.input.VersionStage !== 'AWSPENDING') return fake.send(command, options);
        signals.push(options?.abortSignal);
        return new Promise(() => undefined);
      },
    };
    const source = createTokenSource({ secretId: SECRET_ID, client, readTimeoutMs: 50, refusalBackoffMs: 0 });
    const stale = await source.get();
    const started = performance.now();
    const found = await source.refresh(stale);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(found.versionId).toBe(stale.versionId);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('by default every read carries a 5-second timeout', async () => {
    expect(DEFAULT_READ_TIMEOUT_MS).toBe(5_000);
    const { client, source } = setup();
    await source.get();
    expect(client.signals[0]).toBeInstanceOf(AbortSignal);
    expect(client.signals[0]?.aborted).toBe(false);
  });

  it('a timed-out read while the cached token is valid: the cached token', async () => {
    const clock = fakeNow();
    const fake = new FakeSecrets(secretJson());
    let hang = false;
    const client: SecretsClient = { send: (command, options) => (hang ? new Promise(() => undefined) : fake.send(command, options)) };
    const source = createTokenSource({ secretId: SECRET_ID, client, now: clock.now, maxAgeMs: MIN, readTimeoutMs: 30 });
    await source.get();
    clock.advance(MIN);
    hang = true;
    await expect(source.get()).resolves.toMatchObject({ versionId: 'v1' });
    expect(source.stats()).toMatchObject({ failedReads: 1, servedStale: 1 });
  });

  it('0 turns it off; a negative one is refused', () => {
    expect(() => createTokenSource({ secretId: SECRET_ID, readTimeoutMs: -1 })).toThrow(/readTimeoutMs: expected a number >= 0/);
    const client = new FakeSecrets();
    return createTokenSource({ secretId: SECRET_ID, client, readTimeoutMs: 0 })
      .get()
      .then(() => expect(client.signals).toEqual([undefined]));
  });
});

describe('versionStage', () => {
  it('reads the label given, and says so in its errors', async () => {
    const client = new FakeSecrets();
    const source = createTokenSource({ secretId: SECRET_ID, client, versionStage: 'AWSPREVIOUS' });
    expect(source.versionStage).toBe('AWSPREVIOUS');
    await source.get();
    expect(client.requests).toEqual([{ SecretId: SECRET_ID, VersionStage: 'AWSPREVIOUS' }]);
    client.failNext(Object.assign(new Error('no'), { name: 'ResourceNotFoundException' }));
    await expect(source.refresh()).rejects.toThrow(`reading token secret ${SECRET_ID} (AWSPREVIOUS) failed: ResourceNotFoundException`);
  });

  it('defaults to AWSCURRENT; an empty label is refused', () => {
    expect(createTokenSource({ secretId: SECRET_ID }).versionStage).toBe('AWSCURRENT');
    expect(() => createTokenSource({ secretId: SECRET_ID, versionStage: '' })).toThrow(/versionStage: expected a staging label/);
  });
});
