/**
 * Transport faults and 5xx on ICA calls, and the lost mint: ICA minted a JWT but the answer never
 * arrived. Every ICA call may be retried: ICA has no revoke, so a JWT minted twice or lost on the
 * way is not something we can or need to clean up; it expires on its own at its exp.
 */
import { describe, expect, it } from 'vitest';
import { HttpError, TransportError } from '../../../core/errors.js';
import { clientFor, expectClean, KEY, PASSWORD, rejection, useFakeIca } from './helpers.js';

const start = useFakeIca();

describe('ICA client resilience', () => {
  it('a 5xx then success: the create is retried', async () => {
    const fake = await start({ faults: { failNext: 2 } });
    const issued = await clientFor(fake, KEY).createToken();
    expect(fake.isLive(issued.token)).toBe(true);
    expect(fake.stats().create).toBe(3);
  });

  it('a connection dropped before processing is retried', async () => {
    const fake = await start({ faults: { dropNext: 1 } });
    const issued = await clientFor(fake, PASSWORD).createToken();
    expect(fake.isLive(issued.token)).toBe(true);
    expect(fake.stats().create).toBe(2);
    expect(fake.minted).toBe(1);
  });

  it('a malformed 200 body => TransportError malformed, never a half-read token', async () => {
    const fake = await start({ faults: { malformedNext: 3 } });
    const e = await rejection(clientFor(fake, KEY).createToken());
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).reason).toBe('malformed');
    expectClean(e);
  });

  it('a 200 without a token => TransportError malformed', async () => {
    // The extra fields are spread after `token`, so this one blanks it.
    const fake = await start({ quirks: { tokenExtraFields: { token: '' } } });
    const e = await rejection(clientFor(fake, KEY).createToken());
    expect(e).toBeInstanceOf(TransportError);
    expect(e.message).toContain('without a token');
  });

  it('an answer slower than the timeout => TransportError timeout', async () => {
    const fake = await start({ faults: { latencyMs: 400 } });
    const e = await rejection(clientFor(fake, KEY, {}, { timeoutMs: 100, maxAttempts: 1 }).createToken());
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).reason).toBe('timeout');
  });

  it('lost mint once: the retry mints again and succeeds; the lost JWT expires on its own', async () => {
    const fake = await start({ quirks: { uniqueClaim: true }, faults: { mintThenDropNext: 1 } });
    const issued = await clientFor(fake, KEY).createToken();
    expect(fake.minted).toBe(2);
    expect(fake.liveCount()).toBe(2); // ours and the orphan nobody received
    fake.clock.advance(43_200);
    expect(fake.liveCount()).toBe(0);
    expect(fake.isLive(issued.token)).toBe(false);
  });

  it('lost mint on every attempt: a clean TransportError, no token in it, nothing to clean up', async () => {
    const fake = await start({ faults: { mintThenDropNext: 3 } });
    const e = await rejection(clientFor(fake, KEY).createToken());
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).reason).toBe('reset');
    expect((e as TransportError).retryable).toBe(true);
    expect(e.message).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/ica\/rest\/api\/tokens \(create\)/);
    expectClean(e);
    expect(fake.minted).toBe(3);
    // Same subject, same second, no unique claim: the three lost mints are one JWT at the server.
    expect(fake.liveCount()).toBe(1);
    fake.clock.advance(43_200);
    expect(fake.liveCount()).toBe(0);
  });

  it('at seeded fault rates, calls still succeed within the retries', async () => {
    const fake = await start({ faults: { errorRate: 0.2, dropRate: 0.1, mintThenDropRate: 0.1, seed: 7, ops: ['create'] } });
    const client = clientFor(fake, KEY, {}, { maxAttempts: 6 });
    for (let i = 0; i < 10; i++) {
      fake.clock.advance(1);
      const issued = await client.createToken();
      expect(fake.isLive(issued.token)).toBe(true);
    }
    expect(fake.stats().create).toBeGreaterThan(10);
  });

  it('a 5xx on refresh is retried (a second refresh only yields another JWT)', async () => {
    const fake = await start({ quirks: { refreshKeepsOldValid: true } });
    const client = clientFor(fake, PASSWORD);
    const { token } = await client.createToken();
    fake.clock.advance(60);
    fake.setFaults({ failNext: 1, ops: ['refresh'] });
    const next = await client.refreshToken(token);
    expect(fake.isLive(next.token)).toBe(true);
    expect(fake.stats().refresh).toBe(2);
  });

  it('a 5xx that persists on refresh => HttpError, not a refusal (the core must not mint on a server failure)', async () => {
    const fake = await start();
    const client = clientFor(fake, PASSWORD);
    const { token } = await client.createToken();
    fake.clock.advance(60);
    fake.setFaults({ failNext: 3, errorStatus: 502, ops: ['refresh'] });
    const e = await rejection(client.refreshToken(token));
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(502);
    expectClean(e, [token]);
  });
});
