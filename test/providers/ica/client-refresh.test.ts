import { describe, expect, it } from 'vitest';
import { RefreshUnsupportedError, TokenNotFoundError, TransportError } from '../../../core/errors.js';
import { ICA_ACCEPT } from '../../../core/providers/ica/index.js';
import { claims, clientFor, expectClean, FixedClock, KEY, PASSWORD, rejection, useFakeIca } from './helpers.js';

const start = useFakeIca();

describe('ICA refresh (POST /ica/rest/api/tokens:refresh)', () => {
  it('password mode: a new JWT with a later exp, sent as Bearer to the path with the colon', async () => {
    const fake = await start();
    const client = clientFor(fake, PASSWORD);
    const first = await client.createToken();
    fake.clock.advance(3600);
    fake.resetStats();
    const next = await client.refreshToken(first.token);
    expect(next.token).not.toBe(first.token);
    expect(next.expiresAt?.getTime()).toBe((claims(next.token).exp as number) * 1000);
    expect(next.expiresAt!.getTime() - first.expiresAt!.getTime()).toBe(3_600_000);
    expect(next.issuedAt.getTime()).toBe(fake.clock.now() - (fake.clock.now() % 1000));
    expect(claims(next.token).sub).toBe(claims(first.token).sub);
    expect(fake.isLive(next.token)).toBe(true);
    expect(fake.requests()).toEqual([
      { op: 'refresh', method: 'POST', path: '/ica/rest/api/tokens:refresh', accept: ICA_ACCEPT, auth: 'bearer', tenant: undefined },
    ]);
  });

  it('by default the fake invalidates the old JWT; the client does not rely on either reading', async () => {
    const fake = await start();
    const client = clientFor(fake, PASSWORD);
    const first = await client.createToken();
    fake.clock.advance(60);
    await client.refreshToken(first.token);
    expect(fake.isLive(first.token)).toBe(false);
  });

  it('API-key mode refuses without a call', async () => {
    const fake = await start();
    const client = clientFor(fake, KEY);
    const { token } = await client.createToken();
    fake.resetStats();
    const e = await rejection(client.refreshToken(token));
    expect(e).toBeInstanceOf(RefreshUnsupportedError);
    expect(e.message).toContain('API key');
    expect(fake.stats().total).toBe(0);
  });

  it('an expired JWT (by its exp) => TokenNotFoundError without a call', async () => {
    const fake = await start();
    const client = clientFor(fake, PASSWORD);
    const { token } = await client.createToken();
    fake.clock.advance(43_200);
    fake.resetStats();
    const e = await rejection(client.refreshToken(token));
    expect(e).toBeInstanceOf(TokenNotFoundError);
    expect(e.message).toContain('expired at');
    expectClean(e, [token]);
    expect(fake.stats().total).toBe(0);
  });

  it('a JWT without exp, expired by the held expiresAt => TokenNotFoundError without a call', async () => {
    const fake = await start({ quirks: { omitExp: true } });
    const client = clientFor(fake, PASSWORD);
    const issued = await client.createToken(600);
    fake.clock.advance(601);
    fake.resetStats();
    await expect(client.refreshToken(issued.token, { expiresAt: issued.expiresAt })).rejects.toBeInstanceOf(TokenNotFoundError);
    expect(fake.stats().total).toBe(0);
  });

  it('a JWT without exp and no known expiry is sent (the server decides)', async () => {
    const fake = await start({ quirks: { omitExp: true } });
    const client = clientFor(fake, PASSWORD);
    const issued = await client.createToken(600);
    fake.clock.advance(60);
    const next = await client.refreshToken(issued.token, {}, 600);
    expect(next.expiresAt?.getTime()).toBe(fake.clock.now() + 600_000);
    expect(fake.stats().refresh).toBe(1);
  });

  it('a JWT the server no longer accepts (already refreshed) => RefreshUnsupportedError, so the core mints', async () => {
    const fake = await start();
    const client = clientFor(fake, PASSWORD);
    const first = await client.createToken();
    fake.clock.advance(60);
    await client.refreshToken(first.token);
    const e = await rejection(client.refreshToken(first.token));
    expect(e).toBeInstanceOf(RefreshUnsupportedError);
    expect(e.message).toMatch(/^ICA refused to refresh the JWT at POST http:\/\/127\.0\.0\.1:\d+\/ica\/rest\/api\/tokens:refresh \(refresh\) \(HTTP 401/);
    expectClean(e, [first.token]);
  });

  it('server-side expiry the client could not see (clock skew) => RefreshUnsupportedError, token not in the message', async () => {
    const fake = await start();
    const minter = clientFor(fake, PASSWORD);
    const { token } = await minter.createToken();
    fake.clock.advance(50_000);
    // This client's clock is still at the mint, hours behind the server's: it believes the JWT is live.
    const skewed = clientFor(fake, PASSWORD, {}, { clock: new FixedClock() });
    const e = await rejection(skewed.refreshToken(token));
    expect(e).toBeInstanceOf(RefreshUnsupportedError);
    expect(fake.stats().refresh).toBe(1);
    expectClean(e, [token]);
  });

  it('a lost refresh answer: retried with the old JWT; if the server invalidated it, the refresh fails over to minting', async () => {
    const fake = await start();
    const client = clientFor(fake, PASSWORD);
    const first = await client.createToken();
    fake.clock.advance(60);
    fake.setFaults({ mintThenDropNext: 1 });
    const e = await rejection(client.refreshToken(first.token));
    expect(e).toBeInstanceOf(RefreshUnsupportedError);
    expect(fake.stats().refresh).toBe(2);
    expect(fake.minted).toBe(2); // the lost JWT lapses at its own exp: nothing to clean up
    expect(fake.liveCount()).toBe(1);
  });

  it('a lost refresh answer where the old JWT stays valid: the retry succeeds', async () => {
    const fake = await start({ quirks: { refreshKeepsOldValid: true } });
    const client = clientFor(fake, PASSWORD);
    const first = await client.createToken();
    fake.clock.advance(60);
    fake.setFaults({ mintThenDropNext: 1 });
    const next = await client.refreshToken(first.token);
    expect(fake.isLive(next.token)).toBe(true);
    expect(fake.isLive(first.token)).toBe(true);
    expect(fake.stats().refresh).toBe(2);
  });

  it('refresh answers lost every time => TransportError (retryable)', async () => {
    const fake = await start({ quirks: { refreshKeepsOldValid: true } });
    const client = clientFor(fake, PASSWORD);
    const first = await client.createToken();
    fake.clock.advance(60);
    fake.setFaults({ dropNext: 3 });
    const e = await rejection(client.refreshToken(first.token));
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).retryable).toBe(true);
    expectClean(e, [first.token]);
  });
});
